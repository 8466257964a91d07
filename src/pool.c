/* pool.c: max pooling forward (keeping the argmax) and backward (gathering through it);
 * average pooling. */
#include "clnet/ops.h"

static void pool_args(cl_kernel k, const pool_geom *g)
{
    karg_int(k, 3, g->H);
    karg_int(k, 4, g->W);
    karg_int(k, 5, g->size);
    karg_int(k, 6, g->stride);
    karg_int(k, 7, g->OH);
    karg_int(k, 8, g->OW);
}

/* 2x2/2 windows that tile the input exactly: the vector kernels. */
static int pool2(const pool_geom *g)
{
    return g->size == 2 && g->stride == 2 && g->H == 2 * g->OH && g->W == 2 * g->OW;
}

static void pool2_launch(clrt *rt, enum kernel_id id, cl_mem a, cl_mem b, cl_mem c,
                         const pool_geom *g, int n)
{
    cl_kernel k = rt->kernels[id];
    karg_mem(k, 0, a);
    karg_mem(k, 1, b);
    karg_mem(k, 2, c);
    karg_int(k, 3, g->H);
    karg_int(k, 4, g->W);
    karg_int(k, 5, g->OH);
    karg_int(k, 6, g->OW);
    clrt_launch(rt, id, (size_t)g->C * n * g->OH, 0);
}

void pool_forward(clrt *rt, cl_mem out, cl_mem arg, cl_mem in, const pool_geom *g, int n)
{
    if (pool2(g)) {
        pool2_launch(rt, K_maxpool2_forward, in, out, arg, g, n);
        return;
    }
    cl_kernel k = rt->kernels[K_maxpool_forward];
    karg_mem(k, 0, in);
    karg_mem(k, 1, out);
    karg_mem(k, 2, arg);
    pool_args(k, g);
    clrt_launch(rt, K_maxpool_forward, (size_t)g->C * n * g->OH, 0);
}

void pool_backward(clrt *rt, cl_mem din, cl_mem dout, cl_mem arg, const pool_geom *g, int n)
{
    if (pool2(g)) {
        pool2_launch(rt, K_maxpool2_backward, dout, arg, din, g, n);
        return;
    }
    cl_kernel k = rt->kernels[K_maxpool_backward];
    karg_mem(k, 0, dout);
    karg_mem(k, 1, arg);
    karg_mem(k, 2, din);
    pool_args(k, g);
    clrt_launch(rt, K_maxpool_backward, (size_t)g->C * n * g->H, 0);
}

/* avgpool_* take (in/din, out/dout) at 0, 1 and the sizes from 2 on. */
static void avg_launch(clrt *rt, enum kernel_id id, cl_mem a, cl_mem b, const pool_geom *g,
                       size_t items)
{
    cl_kernel k = rt->kernels[id];
    karg_mem(k, 0, a);
    karg_mem(k, 1, b);
    int v[] = {g->H, g->W, g->size, g->stride, g->OH, g->OW};
    for (int i = 0; i < 6; i++)
        karg_int(k, 2 + i, v[i]);
    clrt_launch(rt, id, items, 0);
}

void avgpool_forward(clrt *rt, cl_mem out, cl_mem in, const pool_geom *g, int n)
{
    avg_launch(rt, K_avgpool_forward, in, out, g, (size_t)g->C * n * g->OH * g->OW);
}

void avgpool_backward(clrt *rt, cl_mem din, cl_mem dout, const pool_geom *g, int n)
{
    avg_launch(rt, K_avgpool_backward, dout, din, g, (size_t)g->C * n * g->H * g->W);
}
