/* relu.c: ReLU forward and in-place backward. */
#include "clnet/ops.h"

void relu_forward(clrt *rt, cl_mem a, cl_mem z, size_t count)
{
    cl_kernel k = rt->kernels[K_relu_forward];
    karg_mem(k, 0, z);
    karg_mem(k, 1, a);
    clrt_launch(rt, K_relu_forward, count, 0);
}

void relu_backward(clrt *rt, cl_mem d, cl_mem z, size_t count)
{
    cl_kernel k = rt->kernels[K_relu_backward];
    karg_mem(k, 0, d);
    karg_mem(k, 1, z);
    clrt_launch(rt, K_relu_backward, count, 0);
}
