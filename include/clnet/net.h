/* net.h: the network: a layer table built from a spec string and the input size, one parameter
 * arena and one gradient arena, every activation buffer allocated once up front, and the
 * forward / loss / backward / update passes that enqueue the ops of ops.h.
 *
 * Spec: a preset name (ltfn, mlp, vgg) or comma-separated layers, e.g.
 * "conv64,conv64,pool,conv128,conv128,pool,fc10" (ltfn, the network of the lesson):
 *   convK[:AxB][:sN][:valid|:same]  K filters of A x B (3x3), stride N (1), + bias + ReLU; same
 *                                   pads (A-1)/2 and (B-1)/2 on each side (odd sizes only),
 *                                   valid pads nothing
 *   pool, maxpool, avgpool [:AxA][:sN]  max or average over A x A windows (2x2), stride N (A)
 *   fcN                             fully connected + bias (ReLU unless it is the last layer)
 *   padN                            zero-pads each image to N x N (centred)
 * A flatten is put in front of the first fc automatically. The last layer is the classifier, fc
 * with one output per class of the data: a preset gets it, and so does a spec that ends without
 * an fc layer; a spec that ends with fcN needs N to be the number of classes. */
#ifndef CLNET_NET_H
#define CLNET_NET_H

#include <stdio.h>

#include "clnet/clrt.h"
#include "clnet/init.h"
#include "clnet/ops.h"
#include "clnet/util.h"

#define CLNET_DEFAULT_SPEC "ltfn"

typedef enum { LAYER_CONV, LAYER_POOL, LAYER_FC, LAYER_PAD } layer_kind;

typedef struct {
    layer_kind kind;
    char name[24];          /* layer1.., pool1.., fc1.. */
    conv_geom conv;         /* LAYER_CONV */
    pool_geom pool;         /* LAYER_POOL */
    int avg;                /* LAYER_POOL: average (else max) */
    int pad_top, pad_left;  /* LAYER_PAD: where the image sits in the padded one */
    int in_c, in_h, in_w;   /* input shape of one image */
    int out_c, out_h, out_w;/* output shape of one image (fc: out_c units, 1x1) */
    int relu;               /* conv, hidden fc */
    int flatten;            /* fc fed by a channel-major layer */
    size_t w_off, b_off;    /* offsets (floats) into the arenas; nw, nb floats */
    size_t nw, nb;
    int fan_in, fan_out;
    cl_mem z;     /* conv: (K, N, OH, OW) pre-activation; fc: (N, K) */
    cl_mem a;     /* conv/fc with ReLU: relu(z); pool, pad: output (C, N, OH, OW) */
    cl_mem d;     /* gradient w.r.t. this layer's output (and, in place, w.r.t. z) */
    cl_mem arg;   /* max pool: argmax, (C, N, OH, OW) ints */
    cl_mem flat;  /* fc with flatten: input as (N, F), and its gradient in dflat */
    cl_mem dflat;
    cl_mem xg;    /* conv on the tiled grid: its input padded by the forward for the backward */
} layer;

typedef struct {
    char spec[CLNET_SPEC_MAX + 1]; /* every layer, the classifier included (net_parse) */
    layer *layers;
    int nlayers;
    int C, H, W;        /* input image shape */
    int classes;        /* outputs of the last layer */
    int batch;          /* N, the largest batch every buffer holds */
    size_t nparams;
    size_t device_bytes;/* from the memory plan */
    cl_mem params;      /* all weights and biases */
    cl_mem grads;       /* same layout as params */
    int nstate;         /* optimizer state arenas (set before net_alloc): 0, 1 or 2 */
    cl_mem m, v;        /* optimizer state, same layout as params (NULL when absent) */
    cl_mem decay;       /* 1 over weights, 0 over biases and padding: where weight decay acts */
    cl_mem x;           /* input (C, N, H, W) */
    cl_mem y;           /* labels (N) ushort */
    cl_mem col;         /* workspace shared by the conv and fc layers (im2col, grids, copies) */
    cl_mem ones;        /* ones, for bias gradients */
    cl_mem probs;       /* softmax output (N, classes) */
    cl_mem per;         /* per-example (loss, correct), (N, 2) */
    int grad_norm;      /* the loss gradient is the sum over the batch over this (0: the batch's
                         * size, its mean; data-parallel ranks: the global batch) */
} net;

/* The layers of a preset name ("ltfn", "mlp", "vgg") without its classifier; any other spec is
 * returned as is. */
const char *net_expand(const char *spec);
/* "ltfn = conv64,...,fc10" where the parsed network nt is more than spec says, else spec, into
 * buf; returns buf. */
const char *net_describe(const net *nt, const char *spec, char *buf, size_t len);
/* Parses spec (a preset or a layer list) for an input of C x H x W and classes outputs; fills
 * layers (no buffers) and spec, the whole list. Returns 0, or -1 with a one-line reason naming
 * the bad token in err. */
int net_parse(const char *spec, int C, int H, int W, int classes, net *out, char *err,
              size_t errlen);
/* Frees the layer table of a parsed network that has no buffers (spec.c: host only). */
void net_free_table(net *nt);
/* Bytes of device memory the network needs at batch n (the memory plan). */
size_t net_plan_bytes(const net *nt, int n, size_t *largest_buffer);
/* Each convolution's algorithm for rt's device, on which the plan's workspace depends (net_alloc
 * does it too). */
void net_choose_algos(const clrt *rt, net *nt);
/* Whether the plan at batch n plus extra bytes fits the device (in all and per buffer). */
int net_plan_fits(const clrt *rt, const net *nt, int n, size_t extra);
/* Checks the plan plus extra_bytes (data the caller will put on the device) against the
 * device's limits, naming the largest batch that fits, then allocates every buffer. */
void net_alloc(clrt *rt, net *nt, int batch, size_t extra_bytes);
void net_free(net *nt);
void net_print(const net *nt, FILE *out);

/* Draws all weights on the host (seeded), zero biases, and uploads them. */
void net_init_params(clrt *rt, net *nt, init_kind kind, double scale, uint64_t seed);

/* The passes, for n <= batch examples already in x and y. net_forward ends at the logits
 * (the last layer's z); net_loss writes the loss gradient into the last layer's d and
 * (mean cost, correct) into stats[2*slot..]. */
void net_forward(clrt *rt, net *nt, int n);
/* Layer i's own op, forward (into z, or a for pool and pad) and backward (from d into the
 * previous layer's d and the gradients): the passes are these in turn, with the ReLUs between
 * them (and clnet bench times them one by one). Where a conv's crop fuses a ReLU
 * (conv_fuses_relu), the forward returns 1 when it wrote a = ReLU(z) too, and the backward 1
 * when the previous layer's d is already the gradient w.r.t. its z; otherwise 0. */
int net_layer_forward(clrt *rt, net *nt, int i, int n);
int net_layer_backward(clrt *rt, net *nt, int i, int n);
/* Whether the backward pass computes the gradient of layer i's input: only when a layer below
 * has weights (a pad or pool first needs none, nor the layer after it). */
int net_wants_input_grad(const net *nt, int i);
void net_loss(clrt *rt, net *nt, cl_mem stats, cl_mem status, int slot, int n, int guard);
void net_backward(clrt *rt, net *nt, int n);
/* After net_forward: the predicted class of each of the n examples into pred[offset..] (ints). */
void net_predictions(clrt *rt, net *nt, cl_mem pred, int offset, int n);
/* One optimizer update (t: 1-based update count); net_sgd is plain SGD. */
void net_update(clrt *rt, net *nt, cl_mem status, const optim_hparams *h, double lr, long t);
void net_sgd(clrt *rt, net *nt, cl_mem status, float lr);

/* The output buffer of layer i (what the next layer reads). */
cl_mem net_layer_out(const layer *l);

#endif
