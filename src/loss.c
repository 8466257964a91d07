/* loss.c: softmax cross-entropy forward+backward and its reduction to (cost, correct). */
#include "clnet/ops.h"

void loss_forward_backward(clrt *rt, cl_mem probs, cl_mem dlogits, cl_mem per, cl_mem logits,
                           cl_mem labels, int n, int norm, int K)
{
    cl_kernel k = rt->kernels[K_softmax_xent];
    karg_mem(k, 0, logits);
    karg_mem(k, 1, labels);
    karg_mem(k, 2, probs);
    karg_mem(k, 3, dlogits);
    karg_mem(k, 4, per);
    karg_int(k, 5, norm);
    karg_int(k, 6, K);
    clrt_launch(rt, K_softmax_xent, (size_t)n, 0);
}

void loss_reduce(clrt *rt, cl_mem stats, cl_mem status, cl_mem per, int slot, int n, int guard)
{
    cl_kernel k = rt->kernels[K_loss_reduce];
    karg_mem(k, 0, per);
    karg_mem(k, 1, stats);
    karg_mem(k, 2, status);
    karg_int(k, 3, slot);
    karg_int(k, 4, n);
    karg_int(k, 5, guard);
    clrt_launch(rt, K_loss_reduce, 1, 0);
}

void loss_predictions(clrt *rt, cl_mem pred, int offset, cl_mem logits, int n, int K)
{
    cl_kernel k = rt->kernels[K_predicted_class];
    karg_mem(k, 0, logits);
    karg_mem(k, 1, pred);
    karg_int(k, 2, offset);
    karg_int(k, 3, K);
    clrt_launch(rt, K_predicted_class, (size_t)n, 0);
}
