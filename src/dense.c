/* dense.c: fully connected layer and the flatten between layouts. On clnet's GEMM (CPU devices)
 * every product is arranged so the GEMM's B rows are long and contiguous and its C is written
 * through gemm_reduce where it must be transposed. A small K (the outputs: 10 for ltfn) is never
 * the GEMM's N, which would leave a 64-wide tile mostly empty; a wide one is (wide_outputs).
 * The small-K forms take two transposed copies in the workspace (dense_ws_floats): x for the
 * forward product, W for the data gradient.
 * ltfn's fc at batch 100 (clnet bench, with the row-wise flatten): forward 4.4 -> 1.5 ms,
 * backward 7.2 -> 0.9 ms (CLBlast's products, which GPUs keep: 4.3 and 4.5 ms). */
#include <limits.h>

#include "clnet/blas.h"
#include "clnet/gemm.h"
#include "clnet/ops.h"
#include "clnet/util.h"

size_t dense_ws_floats(int n, int F, int K)
{
    return (size_t)F * (n > K ? n : K);
}

/* Whether the data gradient transposes dz (n x K) rather than W (F x K): when W is much the
 * larger, though the product's columns are then the batch. vgg's fc4096 at batch 32 (W 8 M
 * floats, dz 0.13 M): backward 12-18 -> 8.8 ms in clnet bench. */
static int transpose_dz(int n, int F, int K)
{
    return (double)F * K > 16.0 * n * ((double)F + K);
}

size_t dense_scratch_floats(int n, int F, int K)
{
    /* the transposed products of the forward (z^T, k = F), the weight gradient (dW^T, k = n)
     * and, for a large W, the data gradient (dx^T, k = K) */
    size_t f = gemm_tiled_scratch(K, n, F, 1, 1, 1), w = gemm_tiled_scratch(K, F, n, 1, 1, 1),
           d = transpose_dz(n, F, K) ? gemm_tiled_scratch(F, n, K, 1, 1, 1) : 0;
    size_t m = f > w ? f : w;
    return m > d ? m : d;
}

static int tiled(const clrt *rt)
{
    return gemm_device_algo(rt) == CONV_TILED;
}

/* out (C, R) = in (R, C), in_off floats into in. */
static void transpose(clrt *rt, cl_mem out, cl_mem in, size_t in_off, int R, int C)
{
    if (in_off > INT_MAX)
        die("dense: parameter offset %zu does not fit the transpose kernel's int", in_off);
    cl_kernel k = rt->kernels[K_transpose];
    karg_mem(k, 0, in);
    karg_int(k, 1, (int)in_off);
    karg_mem(k, 2, out);
    karg_int(k, 3, R);
    karg_int(k, 4, C);
    clrt_launch(rt, K_transpose, (size_t)(C + 15) / 16, (size_t)(R + 15) / 16);
}

/* Whether a product puts the K outputs on the GEMM's columns (its vector dimension) rather than
 * the other side's n: when K fills the tile's columns at least as well. The result is then stored
 * as it is, with no transposing pass over it. clnet bench: vgg's fc4096 at batch 32 forward
 * 17.7 -> 2.5 ms, backward 61 -> 12 ms (its weight gradient, 2048 x 4096, no longer goes through
 * a transposing reduce); mlp's fc1 at batch 100 forward 0.88 -> 0.46 ms, backward 1.03 -> 0.54. */
static int wide_outputs(const clrt *rt, int n, int K)
{
    int NR = rt->gemm_nv * rt->gemm_vw;
    int waste_k = (K + NR - 1) / NR * NR - K, waste_n = (n + NR - 1) / NR * NR - n;
    return K >= NR && (double)waste_k / K <= (double)waste_n / n;
}

const char *dense_dispatch(const clrt *rt, int backward, int dx, int n, int K)
{
    if (tiled(rt) && !backward && wide_outputs(rt, n, K))
        return "gemm+bias";
    if (tiled(rt)) /* clnet's GEMM: the transposes keep K off the GEMM's vector dimension */
        return !backward ? "transpose+gemm" : dx ? "gemm x3+transpose" : "gemm x2";
    return !backward ? "gemm+bias" : dx ? "gemm+gemv+gemm" : "gemm+gemv";
}

void dense_forward(clrt *rt, cl_mem z, cl_mem x, cl_mem params, size_t w_off, size_t b_off,
                   cl_mem ws, int n, int F, int K)
{
    if (!tiled(rt)) {
        blas_gemm(rt, 0, 0, n, K, F, 1.0f, x, 0, F, params, w_off, K, 0.0f, z, 0, K);
        bias_add(rt, z, params, b_off, (size_t)n, 1, K);
        return;
    }
    if (wide_outputs(rt, n, K)) {
        /* z (n, K) = x (n, F) W (F, K), then + b per column: no copies */
        gemm_view v = gemm_plain(n, K, F, x, 0, F, 1, params, w_off, K, z, 0, K);
        gemm_tiled(rt, &v);
        bias_add(rt, z, params, b_off, (size_t)n, 1, K);
        return;
    }
    /* z^T (K, n) = W^T (K, F) x^T (F, n) + b per row, stored transposed into z (n, K) */
    transpose(rt, ws, x, 0, n, F);
    gemm_view v = {.M = K, .N = n, .Q = F, .KH = 1, .KW = 1,
                   .a = params, .a_off = w_off, .amc = 1, .mh = 1, .mw = 1, .aq = K,
                   .b = ws, .bq = n, .c = z, .transpose_c = 1, .bias = params, .bias_off = b_off};
    gemm_tiled(rt, &v);
}

void dense_backward(clrt *rt, cl_mem dx, cl_mem grads, cl_mem dz, cl_mem x, cl_mem params,
                    size_t w_off, size_t b_off, cl_mem ones, cl_mem ws, int n, int F, int K)
{
    if (!tiled(rt)) {
        /* dW (F, K) = x^T (F, n) dz (n, K) */
        blas_gemm(rt, 1, 0, F, K, n, 1.0f, x, 0, F, dz, 0, K, 0.0f, grads, w_off, K);
        /* db (K) = dz^T ones */
        blas_gemv(rt, 1, n, K, dz, 0, K, ones, grads, b_off);
        /* dx (n, F) = dz (n, K) W^T */
        if (dx)
            blas_gemm(rt, 0, 1, n, F, K, 1.0f, dz, 0, K, params, w_off, K, 0.0f, dx, 0, F);
        return;
    }
    if (wide_outputs(rt, F, K)) {
        /* dW (F, K) = x^T (F, n) dz (n, K): K on the columns, stored in place */
        gemm_view w = gemm_plain(F, K, n, x, 0, 1, F, dz, 0, K, grads, w_off, K);
        gemm_tiled(rt, &w);
    } else {
        /* dW^T (K, F) = dz^T (K, n) x (n, F), stored transposed into dW (F, K) */
        gemm_view w = {.M = K, .N = F, .Q = n, .KH = 1, .KW = 1,
                       .a = dz, .amc = 1, .mh = 1, .mw = 1, .aq = K,
                       .b = x, .bq = F, .c = grads, .c_off = w_off, .transpose_c = 1};
        gemm_tiled(rt, &w);
    }
    /* db (1, K) = ones (1, n) dz (n, K) */
    gemm_view b = gemm_plain(1, K, n, ones, 0, 0, 1, dz, 0, K, grads, b_off, K);
    gemm_tiled(rt, &b);
    if (!dx)
        return;
    if (transpose_dz(n, F, K)) {
        /* dx^T (F, n) = W (F, K) dz^T (K, n), stored transposed into dx (n, F) */
        transpose(rt, ws, dz, 0, n, K);
        gemm_view d = {.M = F, .N = n, .Q = K, .KH = 1, .KW = 1, .a = params, .a_off = w_off,
                       .amc = K, .mh = 1, .mw = 1, .aq = 1, .b = ws, .bq = n, .c = dx,
                       .transpose_c = 1};
        gemm_tiled(rt, &d);
        return;
    }
    /* dx (n, F) = dz (n, K) W^T (K, F) */
    transpose(rt, ws, params, w_off, F, K);
    gemm_view d = gemm_plain(n, F, K, dz, 0, K, 1, ws, 0, F, dx, 0, F);
    gemm_tiled(rt, &d);
}

static void layout_move(clrt *rt, enum kernel_id id, cl_mem out, cl_mem in, int C, int n, int P)
{
    cl_kernel k = rt->kernels[id];
    karg_mem(k, 0, in);
    karg_mem(k, 1, out);
    karg_int(k, 2, C);
    karg_int(k, 3, n);
    karg_int(k, 4, P);
    clrt_launch(rt, id, (size_t)C, (size_t)n);
}

void flatten_forward(clrt *rt, cl_mem out, cl_mem in, int C, int n, int P)
{
    layout_move(rt, K_flatten, out, in, C, n, P);
}

void flatten_backward(clrt *rt, cl_mem din, cl_mem dout, int C, int n, int P)
{
    layout_move(rt, K_unflatten, din, dout, C, n, P);
}
