/* optim.c: SGD, momentum and Adam over the parameter arena, on the device. */
#include "clnet/ops.h"

void optim_update(clrt *rt, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, cl_mem decay,
                  cl_mem status, const optim_hparams *h, double lr, long t, size_t count)
{
    cl_kernel k = rt->kernels[K_optim_update];
    karg_mem(k, 0, params);
    karg_mem(k, 1, grads);
    karg_mem(k, 2, m ? m : params);
    karg_mem(k, 3, v ? v : params);
    karg_mem(k, 4, decay);
    karg_mem(k, 5, status);
    karg_int(k, 6, (int)h->kind);
    karg_float(k, 7, (float)optim_step_lr(h, lr, t));
    karg_float(k, 8, h->momentum);
    karg_float(k, 9, h->beta1);
    karg_float(k, 10, h->beta2);
    karg_float(k, 11, h->eps);
    karg_float(k, 12, h->weight_decay);
    clrt_launch(rt, K_optim_update, count, 0);
}
