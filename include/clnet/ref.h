/* ref.h: plain-C reference implementations (direct loops, double accumulation) in the layouts of
 * ops.h: whole tensors for small shapes, single elements for sampling big ones. Host only. */
#ifndef CLNET_REF_H
#define CLNET_REF_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/geom.h"
#include "clnet/hparams.h"
#include "clnet/stats.h"

/* One element each: output (k, b, oy, ox); input gradient (c, b, y, x) from dz; weight gradient
 * (k, c, ky, kx); bias gradient k. x (C, n, H, W), w (K, C, KH, KW), dz (K, n, OH, OW). */
double ref_conv_out(const float *x, const float *w, const float *b, const conv_geom *g, int n,
                    int k, int bi, int oy, int ox);
double ref_conv_dx(const float *dz, const float *w, const conv_geom *g, int n, int c, int bi, int y,
                   int x);
double ref_conv_dw(const float *dz, const float *x, const conv_geom *g, int n, int k, int c, int ky,
                   int kx);
double ref_conv_db(const float *dz, const conv_geom *g, int n, int k);

/* Direct convolution, channel-major (C, n, H, W) in, (K, n, OH, OW) out, W (K, C, KH, KW). */
void ref_conv_forward(float *z, const float *x, const float *w, const float *b, const conv_geom *g,
                      int n);
void ref_maxpool_forward(float *out, const float *in, const pool_geom *g, int n);
void ref_avgpool_forward(float *out, const float *in, const pool_geom *g, int n);
void ref_pad_forward(float *out, const float *in, int planes, int H, int W, int OH, int OW,
                     int top, int left);
/* The gradients of average pooling (dout / size^2 over every window of an input element) and of
 * zero padding (the crop of dout back to H x W), overwriting din. */
void ref_avgpool_backward(float *din, const float *dout, const pool_geom *g, int n);
void ref_pad_backward(float *din, const float *dout, int planes, int H, int W, int OH, int OW,
                      int top, int left);
void ref_dense_forward(float *z, const float *x, const float *w, const float *b, int n, int F, int K);
/* dense's gradients in double: dw (F, K) and db (K) from x (n, F) and dz (n, K); dx (n, F)
 * through w (F, K). */
void ref_dense_backward(double *dw, double *db, double *dx, const float *x, const float *dz,
                        const float *w, int n, int F, int K);
/* ReLU as the kernels: a = z < 0 ? 0 : z (NaN passes); d (w.r.t. a, in place) = 0 unless z > 0. */
void ref_relu_forward(float *a, const float *z, size_t n);
void ref_relu_backward(float *d, const float *z, size_t n);
/* Max pooling's gradient: din (nin) = dout gathered at each output's maximum (arg: its flat
 * input index, as the forward kept it). */
void ref_maxpool_backward(float *din, const float *dout, const int *arg, size_t nout, size_t nin);
/* One update of n parameters in double (kernels/optim.cl's formulas): p and the state m, v
 * (unused by SGD, v by momentum); decay 1 where weight decay applies; t: 1-based. */
void ref_optim_update(double *p, double *m, double *v, const float *g, const float *decay,
                      const optim_hparams *h, double lr, long t, size_t n);
/* Per-example loss and probabilities; returns the mean loss. */
double ref_softmax_xent(float *probs, const float *logits, const uint16_t *labels, int n, int K,
                        int *correct);

/* Statistics of x[0..n) in double (count, le0, nonfinite, min, max, mean, std; not the range). */
void ref_hist_stats(hist_stats *s, const float *x, size_t n);
/* Counts the finite values of x[0..n) into nbins bins: (int)((v - lo) * scale) in float, clamped
 * to [0, nbins-1], the same operations as the device. */
void ref_hist_bins(uint32_t *bins, const float *x, size_t n, float lo, float scale, int nbins);

#endif
