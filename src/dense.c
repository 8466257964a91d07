/* dense.c: fully connected layer (CLBlast GEMMs) and the flatten between layouts. */
#include "clnet/blas.h"
#include "clnet/ops.h"

void dense_forward(clrt *rt, cl_mem z, cl_mem x, cl_mem params, size_t w_off, size_t b_off, int n,
                   int F, int K)
{
    blas_gemm(rt, 0, 0, n, K, F, 1.0f, x, 0, F, params, w_off, K, 0.0f, z, 0, K);
    bias_add(rt, z, params, b_off, (size_t)n, 1, K);
}

void dense_backward(clrt *rt, cl_mem dx, cl_mem grads, cl_mem dz, cl_mem x, cl_mem params,
                    size_t w_off, size_t b_off, cl_mem ones, int n, int F, int K)
{
    /* dW (F, K) = x^T (F, n) dz (n, K) */
    blas_gemm(rt, 1, 0, F, K, n, 1.0f, x, 0, F, dz, 0, K, 0.0f, grads, w_off, K);
    /* db (K) = dz^T ones */
    blas_gemv(rt, 1, n, K, dz, 0, K, ones, grads, b_off);
    /* dx (n, F) = dz (n, K) W^T */
    if (dx)
        blas_gemm(rt, 0, 1, n, F, K, 1.0f, dz, 0, K, params, w_off, K, 0.0f, dx, 0, F);
}

static void layout_move(clrt *rt, enum kernel_id id, cl_mem out, cl_mem in, int C, int n, int P)
{
    cl_kernel k = rt->kernels[id];
    karg_mem(k, 0, in);
    karg_mem(k, 1, out);
    karg_int(k, 2, C);
    karg_int(k, 3, n);
    karg_int(k, 4, P);
    clrt_launch(rt, id, (size_t)C * n * P, 0);
}

void flatten_forward(clrt *rt, cl_mem out, cl_mem in, int C, int n, int P)
{
    layout_move(rt, K_flatten, out, in, C, n, P);
}

void flatten_backward(clrt *rt, cl_mem din, cl_mem dout, int C, int n, int P)
{
    layout_move(rt, K_unflatten, din, dout, C, n, P);
}
