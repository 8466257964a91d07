/* conv.c: convolution as one GEMM over the whole batch (layout in ops.h): clnet's own
 * register-blocked GEMM (gemm.c, for CPUs; stride 1 straight from the padded input, in
 * conv_tiled.c, larger strides on an im2col matrix) or im2col + CLBlast's GEMM (for GPUs),
 * per layer (g->algo). */
#include <stdio.h>

#include "clnet/blas.h"
#include "clnet/gemm.h"
#include "clnet/ops.h"

static size_t im2col_floats(const conv_geom *g, int n)
{
    return (size_t)g->C * g->KH * g->KW * n * g->OH * g->OW;
}

size_t conv_col_floats(const conv_geom *g, int n)
{
    size_t col = im2col_floats(g, n);
    if (g->algo == CONV_CLBLAST || !conv_tiled_implicit(g))
        return col;
    size_t t = conv_tiled_floats(g, n);
    if (g->algo == CONV_TILED && !conv_tiled_forward_im2col(g) && !conv_tiled_weights_im2col(g))
        return t;
    return t > col ? t : col;
}

size_t conv_scratch_floats(const conv_geom *g, int n)
{
    if (g->algo == CONV_CLBLAST)
        return 0;
    int rows = g->C * g->KH * g->KW, cols = n * g->OH * g->OW; /* the three im2col GEMMs */
    size_t f = gemm_tiled_scratch(g->K, cols, rows, 1, 1, 0),
           w = gemm_tiled_scratch(g->K, rows, cols, 1, 1, 0),
           d = conv_tiled_implicit(g) ? conv_tiled_scratch(g, n)
                                      : gemm_tiled_scratch(rows, cols, g->K, 1, 1, 0);
    if (conv_tiled_implicit(g)) { /* the tiled scratch covers every pass that stays on the grid */
        f = conv_tiled_forward_im2col(g) ? f : 0;
        w = conv_tiled_weights_im2col(g) ? w : 0;
    }
    return f > w ? (f > d ? f : d) : (w > d ? w : d);
}

static void col_args(cl_kernel k, const conv_geom *g, int n)
{
    karg_int(k, 2, n);
    karg_int(k, 3, g->H);
    karg_int(k, 4, g->W);
    karg_int(k, 5, g->KH);
    karg_int(k, 6, g->KW);
    karg_int(k, 7, g->pad);
    karg_int(k, 8, g->stride);
    karg_int(k, 9, g->OH);
    karg_int(k, 10, g->OW);
}

static void im2col(clrt *rt, cl_mem col, cl_mem x, const conv_geom *g, int n)
{
    cl_kernel k = rt->kernels[K_im2col];
    karg_mem(k, 0, x);
    karg_mem(k, 1, col);
    col_args(k, g, n);
    clrt_launch(rt, K_im2col, (size_t)g->C * g->KH * g->KW * n * g->OH, 0);
}

static void im2col_t(clrt *rt, cl_mem colT, cl_mem x, const conv_geom *g, int n)
{
    cl_kernel k = rt->kernels[K_im2col_t];
    karg_mem(k, 0, x);
    karg_mem(k, 1, colT);
    col_args(k, g, n);
    karg_int(k, 11, g->C);
    clrt_launch(rt, K_im2col_t, (size_t)n * g->OH, 0);
}

static void col2im(clrt *rt, cl_mem dx, cl_mem col, const conv_geom *g, int n)
{
    cl_kernel k = rt->kernels[K_col2im];
    karg_mem(k, 0, col);
    karg_mem(k, 1, dx);
    col_args(k, g, n);
    clrt_launch(rt, K_col2im, (size_t)g->C * n * g->H * g->W, 0);
}

void bias_add(clrt *rt, cl_mem x, cl_mem params, size_t b_off, size_t outer, int inner,
              int channels)
{
    cl_kernel k = rt->kernels[K_bias_add];
    karg_mem(k, 0, x);
    karg_mem(k, 1, params);
    karg_int(k, 2, (int)b_off);
    karg_int(k, 3, inner);
    karg_int(k, 4, channels);
    clrt_launch(rt, K_bias_add, (size_t)inner, outer * (size_t)channels);
}

const char *conv_algo_name(enum conv_algo a)
{
    return a == CONV_TILED ? "tiled" : a == CONV_CLBLAST ? "clblast" : "auto";
}

enum conv_algo conv_algo_of(const clrt *rt, const conv_geom *g)
{
    return g->algo != CONV_AUTO ? g->algo : gemm_device_algo(rt);
}

const char *conv_dispatch(const conv_geom *g, enum conv_algo algo, enum conv_pass pass)
{
    if (algo == CONV_CLBLAST)
        return pass == CONV_FWD ? "im2col+clblast-gemm"
               : pass == CONV_BWD_WEIGHTS ? "im2col+clblast-gemm+gemv" : "clblast-gemm+col2im";
    if (pass == CONV_FWD)
        return conv_tiled_forward_im2col(g) ? "im2col+tiled"
               : conv_tiled_forward_pixels(g) ? "tiled (pad+pixel gemm)" : "tiled (pad+gemm+crop)";
    if (pass == CONV_BWD_WEIGHTS) /* larger strides and small images: through im2col */
        return conv_tiled_weights_im2col(g) ? "im2col_t+tiled+row sums"
                                            : "tiled (pad+gemm)+row sums";
    if (!conv_tiled_implicit(g))
        return "tiled+col2im";
    return conv_tiled_data_crops(g) ? "tiled (pad+gemm+crop)" : "tiled (pad+pixel gemm)";
}

const char *conv_describe(const clrt *rt, char *buf, size_t len)
{
    if (gemm_device_algo(rt) == CONV_TILED)
        snprintf(buf, len, "clnet's tiled GEMM%s", rt->conv_algo == CONV_TILED
                 ? " (CLNET_CONV=tiled)" : " (a CPU device; CLNET_CONV=clblast for CLBlast's)");
    else
        snprintf(buf, len, "im2col + CLBlast's GEMM%s, parameters %s%s",
                 rt->conv_algo == CONV_CLBLAST ? " (CLNET_CONV=clblast)" : "",
                 rt->tuned[0] ? "of clnet tune: " : "CLBlast's own (clnet tune may find faster)",
                 rt->tuned);
    return buf;
}

static int tiled(const clrt *rt, const conv_geom *g)
{
    return conv_algo_of(rt, g) == CONV_TILED;
}

int conv_fuses_relu(const conv_geom *g, enum conv_algo algo, enum conv_pass pass)
{
    if (algo != CONV_TILED || !conv_tiled_implicit(g))
        return 0;
    return pass == CONV_FWD ? !conv_tiled_forward_im2col(g) && !conv_tiled_forward_pixels(g)
                            : pass == CONV_BWD_DATA && conv_tiled_data_crops(g);
}

/* Where the forward and the weight gradient both read the padded grid, the forward keeps it
 * (one pad per step instead of two: ltfn's conv2-4 at batch 100, 39 MB). */
size_t conv_kept_grid_floats(const conv_geom *g, enum conv_algo algo, int n)
{
    if (algo == CONV_CLBLAST || conv_tiled_forward_im2col(g) || conv_tiled_weights_im2col(g))
        return 0;
    return conv_tiled_grid_floats(g, n);
}

int conv_forward(clrt *rt, cl_mem z, cl_mem a, cl_mem x, cl_mem xg, cl_mem params,
                 size_t w_off, size_t b_off, cl_mem col, const conv_geom *g, int n)
{
    size_t rows = (size_t)g->C * g->KH * g->KW, cols = (size_t)n * g->OH * g->OW;
    enum conv_algo algo = conv_algo_of(rt, g);
    if (algo == CONV_TILED && !conv_tiled_forward_im2col(g)) {
        int fused = conv_fuses_relu(g, algo, CONV_FWD);
        conv_tiled_forward(rt, z, fused ? a : NULL, x,
                           conv_kept_grid_floats(g, algo, n) ? xg : NULL, params, w_off, b_off,
                           col, g, n);
        return fused && a != NULL;
    }
    im2col(rt, col, x, g, n);
    if (tiled(rt, g)) {
        gemm_view v = gemm_plain(g->K, (int)cols, (int)rows, params, w_off, (int)rows, 1, col, 0,
                                 (int)cols, z, 0, (int)cols);
        v.bias = params, v.bias_off = b_off;
        gemm_tiled(rt, &v);
        return 0;
    }
    blas_gemm(rt, 0, 0, g->K, cols, rows, 1.0f, params, w_off, rows, col, 0, cols, 0.0f, z, 0,
              cols);
    bias_add(rt, z, params, b_off, 1, (int)cols, g->K);
    return 0;
}

void conv_backward_weights(clrt *rt, cl_mem grads, cl_mem dz, cl_mem x, cl_mem xg,
                           size_t w_off, size_t b_off, cl_mem col, cl_mem ones,
                           const conv_geom *g, int n)
{
    size_t rows = (size_t)g->C * g->KH * g->KW, cols = (size_t)n * g->OH * g->OW;
    if (tiled(rt, g) && !conv_tiled_weights_im2col(g)) {
        conv_tiled_backward_weights(rt, grads, dz, x,
                                    conv_kept_grid_floats(g, CONV_TILED, n) ? xg : NULL, w_off,
                                    col, g, n);
    } else if (tiled(rt, g)) { /* dW (K, rows) = dz (K, cols) colT (cols, rows) */
        im2col_t(rt, col, x, g, n);
        gemm_view v = gemm_plain(g->K, (int)rows, (int)cols, dz, 0, (int)cols, 1, col, 0,
                                 (int)rows, grads, w_off, (int)rows);
        gemm_tiled(rt, &v);
    } else {
        im2col(rt, col, x, g, n);
        /* dW (K, rows) = dz (K, cols) col^T */
        blas_gemm(rt, 0, 1, g->K, rows, cols, 1.0f, dz, 0, cols, col, 0, cols, 0.0f, grads,
                  w_off, rows);
        /* db (K) = dz (K, cols) ones */
        blas_gemv(rt, 0, g->K, cols, dz, 0, cols, ones, grads, b_off);
        return;
    }
    cl_kernel k = rt->kernels[K_bias_grad]; /* db: the row sums of dz */
    karg_mem(k, 0, dz);
    karg_int(k, 1, (int)cols);
    karg_mem(k, 2, grads);
    karg_int(k, 3, (int)b_off);
    clrt_launch_single(rt, K_bias_grad, (size_t)g->K, 1);
}

int conv_backward_data(clrt *rt, cl_mem dx, cl_mem relu_z, cl_mem dz, cl_mem params,
                       size_t w_off, cl_mem col, const conv_geom *g, int n)
{
    size_t rows = (size_t)g->C * g->KH * g->KW, cols = (size_t)n * g->OH * g->OW;
    /* dcol (rows, cols) = W^T dz, then scattered back onto the image. */
    if (tiled(rt, g) && conv_tiled_implicit(g)) {
        int fused = conv_fuses_relu(g, CONV_TILED, CONV_BWD_DATA);
        conv_tiled_backward_data(rt, dx, fused ? relu_z : NULL, dz, params, w_off, col, g, n);
        return fused && relu_z != NULL;
    }
    if (tiled(rt, g)) {
        gemm_view v = gemm_plain((int)rows, (int)cols, g->K, params, w_off, 1, (int)rows, dz, 0,
                                 (int)cols, col, 0, (int)cols);
        gemm_tiled(rt, &v);
    } else
        blas_gemm(rt, 1, 0, rows, cols, g->K, 1.0f, params, w_off, rows, dz, 0, cols, 0.0f, col,
                  0, cols);
    col2im(rt, dx, col, g, n);
    return 0;
}

int conv_backward(clrt *rt, cl_mem dx, cl_mem relu_z, cl_mem grads, cl_mem dz, cl_mem x,
                  cl_mem xg, cl_mem params, size_t w_off, size_t b_off, cl_mem col, cl_mem ones,
                  const conv_geom *g, int n)
{
    conv_backward_weights(rt, grads, dz, x, xg, w_off, b_off, col, ones, g, n);
    if (!dx) /* col is free again once dW is enqueued (in-order queue) */
        return 0;
    return conv_backward_data(rt, dx, relu_z, dz, params, w_off, col, g, n);
}
