/* sgd.c: plain gradient descent over the parameter arena, on the device. */
#include "clnet/ops.h"

void sgd_update(clrt *rt, cl_mem params, cl_mem grads, cl_mem status, float lr, size_t count)
{
    cl_kernel k = rt->kernels[K_sgd_update];
    karg_mem(k, 0, params);
    karg_mem(k, 1, grads);
    karg_mem(k, 2, status);
    karg_float(k, 3, lr);
    clrt_launch(rt, K_sgd_update, count, 0);
}
