/* capture.h: which tensors of a network a person looks at, and the capture of their statistics
 * and histograms for one batch (hist.h does the device work).
 *
 * Capture tensors, in network order: each conv layer's pre-activation output (conv + bias,
 * before the ReLU) "layerK_conv", each hidden fc layer's pre-activation "fcK", the "logits", the
 * "predictions" (softmax), and with grads every weight tensor's gradient "<layer>_wgrad".
 * The --check-finite probe covers, layer by layer, the parameters ("<layer>_weights",
 * "<layer>_bias") and the output (pools too), then the predictions, then every gradient. */
#ifndef CLNET_CAPTURE_H
#define CLNET_CAPTURE_H

#include "clnet/hist.h"
#include "clnet/net.h"

typedef enum {
    TK_HIDDEN, TK_LOGITS, TK_PROBS, TK_POOL, TK_WEIGHTS, TK_BIAS, TK_WGRAD, TK_BGRAD
} tensor_kind;

typedef struct {
    char name[32];
    tensor_kind kind;
    cl_mem buf;
    size_t off, count; /* floats, at the network's batch */
} tensor_ref;

/* The capture tensors (see above) into out (room for 2 * nlayers + 2); returns how many. */
int capture_tensors(const net *nt, int grads, tensor_ref *out);
/* Every tensor the --check-finite probe covers, in network order (room for 5 * nlayers + 1). */
int check_tensors(const net *nt, tensor_ref *out);

typedef struct {
    int ntensors, nbins;
    tensor_ref *t;
    hist_dev hd;
} capture;

/* shared: one x range over all hidden pre-activations (the conv layers) instead of each its own. */
void capture_open(clrt *rt, capture *cp, const net *nt, int grads, int nbins, int shared);
/* Same, over a given tensor list (copied), every tensor with its own range. */
void capture_open_list(clrt *rt, capture *cp, const tensor_ref *t, int n, int nbins);
void capture_close(capture *cp);
/* Enqueues the capture of the tensors as they are now on the device, waits, and reads back
 * stats (ntensors) and bins (ntensors * nbins). */
void capture_run(clrt *rt, capture *cp, hist_stats *stats, uint32_t *bins);

#endif
