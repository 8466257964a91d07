/* dense.c: fully connected layer and the flatten between layouts. The forward product runs on
 * clnet's GEMM where the convolutions do (CPU devices: 6.3 -> 3.5 ms for ltfn's fc at batch 100),
 * else on CLBlast; the backward products on CLBlast (clnet's GEMM was no faster at ltfn's
 * 6272 x 10 x 100 weight gradient). */
#include "clnet/blas.h"
#include "clnet/gemm.h"
#include "clnet/ops.h"

void dense_forward(clrt *rt, cl_mem z, cl_mem x, cl_mem params, size_t w_off, size_t b_off, int n,
                   int F, int K)
{
    if (conv_device_algo(rt) == CONV_TILED) { /* z (n, K) = x (n, F) W (F, K); the bias is per column here */
        gemm_view v = gemm_plain(n, K, F, x, 0, F, 1, params, w_off, K, z, 0, K);
        gemm_tiled(rt, &v);
    } else {
        blas_gemm(rt, 0, 0, n, K, F, 1.0f, x, 0, F, params, w_off, K, 0.0f, z, 0, K);
    }
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
