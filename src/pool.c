/* pool.c: max pooling forward (keeping the argmax) and backward (gathering through it). */
#include "clnet/ops.h"

pool_geom pool_make(int C, int H, int W, int size, int stride)
{
    pool_geom g = {C, H, W, size, stride, 0, 0};
    g.OH = (H - size) / stride + 1;
    g.OW = (W - size) / stride + 1;
    return g;
}

static void pool_args(cl_kernel k, const pool_geom *g)
{
    karg_int(k, 3, g->H);
    karg_int(k, 4, g->W);
    karg_int(k, 5, g->size);
    karg_int(k, 6, g->stride);
    karg_int(k, 7, g->OH);
    karg_int(k, 8, g->OW);
}

void pool_forward(clrt *rt, cl_mem out, cl_mem arg, cl_mem in, const pool_geom *g, int n)
{
    cl_kernel k = rt->kernels[K_maxpool_forward];
    karg_mem(k, 0, in);
    karg_mem(k, 1, out);
    karg_mem(k, 2, arg);
    pool_args(k, g);
    clrt_launch(rt, K_maxpool_forward, (size_t)g->C * n * g->OH * g->OW, 0);
}

void pool_backward(clrt *rt, cl_mem din, cl_mem dout, cl_mem arg, const pool_geom *g, int n)
{
    cl_kernel k = rt->kernels[K_maxpool_backward];
    karg_mem(k, 0, dout);
    karg_mem(k, 1, arg);
    karg_mem(k, 2, din);
    pool_args(k, g);
    clrt_launch(rt, K_maxpool_backward, (size_t)g->C * n * g->H * g->W, 0);
}
