/* ops.h: one forward/backward pair per operation, outputs first, then inputs, then sizes.
 * Activations are channel-major, (C, n, H, W): a conv layer's output for the whole batch is one
 * (K, n*OH*OW) matrix, so each convolution is a single GEMM over the batch. Parameters and their
 * gradients live in one arena each (net.h); *_off are float offsets into them. Every function
 * only enqueues work on rt->queue: nothing here waits for the device. */
#ifndef CLNET_OPS_H
#define CLNET_OPS_H

#include "clnet/clrt.h"
#include "clnet/geom.h"
#include "clnet/hparams.h"

/* conv.c (shapes: geom.h). col: workspace of (C*KH*KW, n*OH*OW) floats; ones: at least
 * n*OH*OW ones. */
size_t conv_col_floats(const conv_geom *g, int n);
/* Floats of GEMM scratch (rt->gemm_scratch) the tiled algorithm needs at batch n. */
size_t conv_scratch_floats(const conv_geom *g, int n);
/* The algorithm g runs with on rt's device (resolves CONV_AUTO through gemm_device_algo), and
 * an algorithm's name. */
enum conv_algo conv_algo_of(const clrt *rt, const conv_geom *g);
const char *conv_algo_name(enum conv_algo a);
/* The kernels one pass of g runs with algo (CONV_TILED or CONV_CLBLAST), for clnet bench. */
enum conv_pass { CONV_FWD, CONV_BWD_WEIGHTS, CONV_BWD_DATA };
const char *conv_dispatch(const conv_geom *g, enum conv_algo algo, enum conv_pass pass);
/* One line for the train header: what runs the convolutions on rt's device. */
const char *conv_describe(const clrt *rt, char *buf, size_t len);
/* Whether pass (CONV_FWD or CONV_BWD_DATA) of g on algo fuses a ReLU into its last kernel, the
 * tiled grid's crop: the forward also writes a = ReLU(z), the data gradient applies the ReLU
 * of the layer below (both exactly as relu_forward / relu_backward). Elsewhere the caller runs
 * those. */
int conv_fuses_relu(const conv_geom *g, enum conv_algo algo, enum conv_pass pass);
/* Floats of the padded input the forward keeps for the weight gradient (the tiled grid, where
 * both passes use it), else 0: the xg of conv_forward and conv_backward. */
size_t conv_kept_grid_floats(const conv_geom *g, enum conv_algo algo, int n);
/* z = conv(x) + b; a, when not NULL, receives ReLU(z) where conv_fuses_relu allows: returns
 * whether it did. xg: NULL, or conv_kept_grid_floats(g, algo, n) floats (not 0) where x is
 * left padded for conv_backward's weight gradient, which then reads it instead of padding x
 * again: give the backward the same xg, after the forward of the same x. */
int conv_forward(clrt *rt, cl_mem z, cl_mem a, cl_mem x, cl_mem xg, cl_mem params,
                 size_t w_off, size_t b_off, cl_mem col, const conv_geom *g, int n);
/* dz: gradient w.r.t. z (K, n, OH, OW). Writes dW and db into grads; dx may be NULL (first
 * layer), else receives the gradient w.r.t. x. relu_z, when not NULL, is the z of the ReLU that
 * made x: where conv_fuses_relu allows, dx is then the gradient w.r.t. that z (returns 1). col
 * is overwritten. */
int conv_backward(clrt *rt, cl_mem dx, cl_mem relu_z, cl_mem grads, cl_mem dz, cl_mem x,
                  cl_mem xg, cl_mem params, size_t w_off, size_t b_off, cl_mem col, cl_mem ones,
                  const conv_geom *g, int n);
/* The two halves of conv_backward: dW and db; and dx (through col). */
void conv_backward_weights(clrt *rt, cl_mem grads, cl_mem dz, cl_mem x, cl_mem xg,
                           size_t w_off, size_t b_off, cl_mem col, cl_mem ones,
                           const conv_geom *g, int n);
int conv_backward_data(clrt *rt, cl_mem dx, cl_mem relu_z, cl_mem dz, cl_mem params,
                       size_t w_off, cl_mem col, const conv_geom *g, int n);

/* conv_tiled.c: the CONV_TILED path of stride-1 convolutions (no im2col; gemm.cl on the padded
 * input). ws: conv_tiled_floats(g, n) floats of workspace. */
int conv_tiled_implicit(const conv_geom *g);
/* Whether the forward goes through an im2col matrix all the same: where that matrix is no
 * larger than the output grid the implicit path would write and crop (few input channels), or
 * the image is small (conv_tiled.c). */
int conv_tiled_forward_im2col(const conv_geom *g);
/* Whether the forward is computed for the valid output pixels only, without ReLU (small images,
 * many filters: conv_tiled.c). */
int conv_tiled_forward_pixels(const conv_geom *g);
/* Whether the data gradient is computed on the grid and cropped out of it (else, on a small
 * image, for its valid pixels only: conv_tiled.c). */
int conv_tiled_data_crops(const conv_geom *g);
/* Whether the weight gradient does (larger strides, and small images: conv_tiled.c). */
int conv_tiled_weights_im2col(const conv_geom *g);
size_t conv_tiled_floats(const conv_geom *g, int n);
/* The padded input (C planes of the grid and the zeroed slack after them), in floats. */
size_t conv_tiled_grid_floats(const conv_geom *g, int n);
size_t conv_tiled_scratch(const conv_geom *g, int n);
/* a, xg and relu_z may be NULL (conv_forward, conv_backward above). */
void conv_tiled_forward(clrt *rt, cl_mem z, cl_mem a, cl_mem x, cl_mem xg, cl_mem params,
                        size_t w_off, size_t b_off, cl_mem ws, const conv_geom *g, int n);
void conv_tiled_backward_weights(clrt *rt, cl_mem grads, cl_mem dz, cl_mem x, cl_mem xg,
                                 size_t w_off, cl_mem ws, const conv_geom *g, int n);
void conv_tiled_backward_data(clrt *rt, cl_mem dx, cl_mem relu_z, cl_mem dz, cl_mem params,
                              size_t w_off, cl_mem ws, const conv_geom *g, int n);

/* x viewed as (outer, channels, inner) += params[b_off + channel] (conv: outer 1, inner
 * n*OH*OW; dense: outer n, inner 1). */
void bias_add(clrt *rt, cl_mem x, cl_mem params, size_t b_off, size_t outer, int inner,
              int channels);

/* relu.c: a = max(z, 0); backward turns d (w.r.t. a) into d w.r.t. z in place. */
void relu_forward(clrt *rt, cl_mem a, cl_mem z, size_t count);
void relu_backward(clrt *rt, cl_mem d, cl_mem z, size_t count);

/* pool.c: max pooling; arg keeps the flat input index of each maximum. */
void pool_forward(clrt *rt, cl_mem out, cl_mem arg, cl_mem in, const pool_geom *g, int n);
void pool_backward(clrt *rt, cl_mem din, cl_mem dout, cl_mem arg, const pool_geom *g, int n);
/* Average pooling: each output is the mean of its window; backward spreads dout / size^2 back
 * over every window an input element is in (overwrites din). */
void avgpool_forward(clrt *rt, cl_mem out, cl_mem in, const pool_geom *g, int n);
void avgpool_backward(clrt *rt, cl_mem din, cl_mem dout, const pool_geom *g, int n);

/* pad.c: planes of H x W placed at (top, left) in planes of OH x OW, zero around them;
 * backward crops the gradient back out (overwrites din). */
void pad_forward(clrt *rt, cl_mem out, cl_mem in, int planes, int H, int W, int OH, int OW,
                 int top, int left);
void pad_backward(clrt *rt, cl_mem din, cl_mem dout, int planes, int H, int W, int OH, int OW,
                  int top, int left);
/* The same with offsets (floats) into out and in: planes of H x W into planes of OH x OW; and
 * the crop, planes of IH x IW cut to H x W from (top, left). */
void pad_planes(clrt *rt, cl_mem out, size_t out_off, cl_mem in, size_t in_off, int planes,
                int H, int W, int OH, int OW, int top, int left);
void crop_planes(clrt *rt, cl_mem out, size_t out_off, cl_mem in, size_t in_off, int planes,
                 int H, int W, int IH, int IW, int top, int left);
/* The crop from (0, 0) with a ReLU fused (conv_tiled.c): z = the crop and a = ReLU(z) as
 * relu_forward; or dx = the crop where z > 0, else 0, as relu_backward of the layer below. */
void crop_relu(clrt *rt, cl_mem z, cl_mem a, cl_mem grid, size_t grid_off, int planes, int H,
               int W, int IH, int IW);
void crop_relu_backward(clrt *rt, cl_mem dx, cl_mem z, cl_mem grid, size_t grid_off, int planes,
                        int H, int W, int IH, int IW);

/* dense.c: z (n, K) = x (n, F) W (F, K) + b. ws: dense_ws_floats(n, F, K) floats of workspace;
 * ones: at least n ones. */
size_t dense_ws_floats(int n, int F, int K);
/* Floats of GEMM scratch (rt->gemm_scratch) the products on clnet's GEMM need. */
size_t dense_scratch_floats(int n, int F, int K);
/* The kernels the forward (backward: the backward, with dx: also the input gradient) runs on rt's
 * device, for clnet bench. */
const char *dense_dispatch(const clrt *rt, int backward, int dx, int n, int K);
void dense_forward(clrt *rt, cl_mem z, cl_mem x, cl_mem params, size_t w_off, size_t b_off,
                   cl_mem ws, int n, int F, int K);
void dense_backward(clrt *rt, cl_mem dx, cl_mem grads, cl_mem dz, cl_mem x, cl_mem params,
                    size_t w_off, size_t b_off, cl_mem ones, cl_mem ws, int n, int F, int K);
/* (C, n, P) <-> (n, C*P). */
void flatten_forward(clrt *rt, cl_mem out, cl_mem in, int C, int n, int P);
void flatten_backward(clrt *rt, cl_mem din, cl_mem dout, int C, int n, int P);

/* loss.c: softmax cross-entropy. per: (n, 2) per-example loss and correctness; dlogits is the
 * gradient of the loss summed over the n examples and divided by norm (n for the batch mean; the
 * global batch on data-parallel ranks, so that their sum is its mean). loss_reduce writes (mean
 * loss, correct count) to stats[2*slot..]; with guard, a non-finite mean sets status[0]. */
void loss_forward_backward(clrt *rt, cl_mem probs, cl_mem dlogits, cl_mem per, cl_mem logits,
                           cl_mem labels, int n, int norm, int K);
void loss_reduce(clrt *rt, cl_mem stats, cl_mem status, cl_mem per, int slot, int n, int guard);
/* pred[offset .. offset+n) = each example's predicted class (its largest logit; ints). */
void loss_predictions(clrt *rt, cl_mem pred, int offset, cl_mem logits, int n, int K);

/* optim.c: one update of every parameter (kernels/optim.cl has the formulas; hparams.h the
 * settings). m, v: the state arenas (NULL when the optimizer has none); decay: 1 where weight
 * decay applies, else 0; t: 1-based update count (Adam's bias correction). Nothing happens once
 * status[0] is set. */
void optim_update(clrt *rt, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, cl_mem decay,
                  cl_mem status, const optim_hparams *h, double lr, long t, size_t count);

#endif
