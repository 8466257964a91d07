/* test_ops.c: every kernel's forward pass against the plain-C reference, on small random shapes
 * with odd sizes, batch 1 and batch > 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/batch.h"
#include "clnet/data.h"
#include "clnet/gemm.h"
#include "clnet/net.h"
#include "clnet/util.h"
#include "helpers.h"

#define TOL 1e-5

static void check_conv_algo(conv_geom g, int n, uint64_t seed)
{
    clrt *rt = test_rt();
    int C = g.C, H = g.H, W = g.W, K = g.K;
    size_t nx = (size_t)C * n * H * W, nw = (size_t)K * C * g.KH * g.KW,
           nz = (size_t)K * n * g.OH * g.OW;
    float *x = xmalloc(nx * 4), *p = xmalloc((nw + K) * 4), *z = xmalloc(nz * 4),
          *zr = xmalloc(nz * 4);
    fill_random(x, nx, seed);
    fill_random(p, nw + K, seed + 1);
    cl_mem dx = dev_from(x, nx), dp = dev_from(p, nw + K), dz = dev_zeros(nz),
           da = dev_zeros(nz), col = dev_zeros(conv_col_floats(&g, n));
    int fused = conv_forward(rt, dz, da, dx, NULL, dp, 0, nw, col, &g, n);
    ck_assert_int_eq(fused, conv_fuses_relu(&g, g.algo, CONV_FWD));
    dev_read(dz, z, nz);
    float *a = xmalloc(nz * 4);
    dev_read(da, a, nz);
    for (size_t i = 0; i < nz; i++) /* ReLU(z) where fused, else untouched */
        ck_assert_msg(a[i] == (fused && z[i] > 0.0f ? z[i] : 0.0f), "conv %s fused ReLU: a[%zu] = %g, z %g",
                      conv_algo_name(g.algo), i, a[i], z[i]);
    free(a);
    clReleaseMemObject(da);
    ref_conv_forward(zr, x, p, p + nw, &g, n);
    /* float sums of C*KH*KW products: rounding grows about as their square root */
    double tol = TOL * fmax(1, sqrt((double)C * g.KH * g.KW) / 8);
    ck_assert_msg(max_rel_diff(z, zr, nz) < tol, "conv %s C%d %dx%d K%d %dx%d/%d pad %d n%d: error %g",
                  conv_algo_name(g.algo), C, H, W, K, g.KH, g.KW, g.stride, g.pad, n,
                  max_rel_diff(z, zr, nz));
    clReleaseMemObject(dx), clReleaseMemObject(dp), clReleaseMemObject(dz), clReleaseMemObject(col);
    free(x), free(p), free(z), free(zr);
}

/* Both algorithms: clnet's tiled GEMM (with and without im2col) and CLBlast's. */
static void check_conv_geom(conv_geom g, int n, uint64_t seed)
{
    g.algo = CONV_TILED;
    check_conv_algo(g, n, seed);
    g.algo = CONV_CLBLAST;
    check_conv_algo(g, n, seed);
}

/* gemm_tiled against a plain-C product: edges in m and n, k split into partial sums, A read
 * transposed, C written transposed, bias. */
static void check_gemm(int M, int N, int K, int ta, int tc, int bias)
{
    clrt *rt = test_rt();
    int ldc = tc ? N : N + 3 * (K > 4096); /* rows of C apart, not contiguous, for a split */
    size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * ldc;
    float *a = xmalloc(na * 4), *b = xmalloc(nb * 4), *bv = xmalloc((size_t)M * 4),
          *c = xmalloc(nc * 4), *cr = xmalloc(nc * 4);
    fill_random(a, na, 7), fill_random(b, nb, 8), fill_random(bv, M, 9);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double sum = bias ? bv[m] : 0.0;
            for (int k = 0; k < K; k++)
                sum += (double)a[ta ? (size_t)k * M + m : (size_t)m * K + k] * b[(size_t)k * N + n];
            cr[tc ? (size_t)n * M + m : (size_t)m * ldc + n] = (float)sum;
        }
    for (int m = 0; m < M && !tc; m++) /* the gaps between rows stay 0 */
        for (int n = N; n < ldc; n++)
            cr[(size_t)m * ldc + n] = 0.0f;
    cl_mem da = dev_from(a, na), db = dev_from(b, nb), dbv = dev_from(bv, M),
           dc = dev_zeros(nc + 1);
    gemm_view v = gemm_plain(M, N, K, da, 0, ta ? 1 : K, ta ? M : 1, db, 0, N, dc, 1, ldc);
    v.transpose_c = tc;
    if (bias)
        v.bias = dbv;
    gemm_tiled(rt, &v);
    float *got = xmalloc((nc + 1) * 4);
    dev_read(dc, got, nc + 1);
    memcpy(c, got + 1, nc * 4);
    ck_assert_msg(got[0] == 0.0f, "gemm %dx%dx%d wrote before C", M, N, K);
    /* float sums of K terms: rounding grows about as sqrt(K) */
    ck_assert_msg(max_rel_diff(c, cr, nc) < TOL * sqrt(K), "gemm %dx%dx%d ta %d tc %d bias %d: error %g", M,
                  N, K, ta, tc, bias, max_rel_diff(c, cr, nc));
    clReleaseMemObject(da), clReleaseMemObject(db), clReleaseMemObject(dbv), clReleaseMemObject(dc);
    free(a), free(b), free(bv), free(c), free(cr), free(got);
}

START_TEST(gemm_tiled_matches_reference)
{
    check_gemm(1, 1, 1, 0, 0, 0);
    check_gemm(13, 70, 37, 0, 0, 1);   /* partial m-tile and n-block, bias */
    check_gemm(64, 96, 300, 1, 0, 0);  /* A transposed, two chunks of k */
    check_gemm(60, 128, 300, 0, 0, 1); /* whole tiles (6 x 64, 6 x 16, 6 x 8) */
    check_gemm(9, 33, 4500, 0, 0, 0);  /* k split into partial products */
    check_gemm(17, 40, 5000, 1, 1, 0); /* split, C transposed */
    check_gemm(5, 3, 20, 0, 1, 0);     /* transposed without a split */
    check_gemm(11, 45, 4200, 0, 0, 1); /* split, bias, rows of C apart */
}
END_TEST

static void check_conv(int C, int H, int W, int K, int n, uint64_t seed)
{
    conv_geom g = conv_make(C, H, W, K, 3, 3, 1, 1);
    ck_assert_int_eq(g.OH, H);
    ck_assert_int_eq(g.OW, W);
    check_conv_geom(g, n, seed);
}

START_TEST(conv_forward_matches_reference)
{
    check_conv(1, 5, 7, 4, 1, 10);
    check_conv(3, 5, 7, 4, 3, 20);
    check_conv(2, 1, 1, 3, 2, 30);
    check_conv(5, 9, 6, 8, 4, 40);
    check_conv(4, 14, 14, 5, 2, 45);
    check_conv(2, 70, 66, 3, 1, 46); /* tiled: whole column blocks below each image skipped */
    check_conv(1, 9, 8, 16, 2, 48);  /* tiled: one input channel goes through im2col */
    check_conv(512, 6, 6, 4, 1, 47); /* tiled: k = 512 x 9 split into partial sums, bias after */
    check_conv(6, 4, 4, 8, 3, 49);   /* tiled: a small image goes through im2col */
    check_conv(16, 7, 7, 130, 2, 51); /* tiled: many filters on a small image, by pixels */
    check_conv(20, 8, 8, 128, 1, 52); /* by pixels at 8 x 8, the grid kept */
    check_conv_geom(conv_make(3, 11, 9, 4, 5, 5, 2, 1), 2, 50); /* 5x5 same */
    check_conv_geom(conv_make(2, 9, 10, 3, 3, 3, 1, 2), 3, 60); /* stride 2 */
    check_conv_geom(conv_make(2, 8, 7, 3, 3, 3, 0, 1), 2, 70);  /* valid */
    check_conv_geom(conv_make(3, 12, 11, 2, 5, 5, 0, 3), 2, 80); /* 5x5/3 valid */
}
END_TEST

/* conv backward (data, weights, bias) against the element references bench samples with. */
/* relu: with the z of a ReLU below (random signs), which a fused data gradient applies, and
 * the padded input kept by a forward pass first (as in training). */
static void check_conv_backward_geom(conv_geom g, int n, enum conv_algo algo, int relu)
{
    clrt *rt = test_rt();
    int C = g.C, H = g.H, W = g.W, K = g.K, OH = g.OH, OW = g.OW, taps = g.KH * g.KW;
    g.algo = algo;
    size_t nx = (size_t)C * n * H * W, nw = (size_t)K * C * taps, nz = (size_t)K * n * OH * OW;
    float *x = xmalloc(nx * 4), *p = xmalloc((nw + K) * 4), *dz = xmalloc(nz * 4),
          *dx = xmalloc(nx * 4), *gr = xmalloc((nw + K) * 4), *ones = xmalloc(nz * 4);
    fill_random(x, nx, 51), fill_random(p, nw + K, 52), fill_random(dz, nz, 53);
    for (size_t i = 0; i < nz; i++)
        ones[i] = 1.0f;
    cl_mem bx = dev_from(x, nx), bp = dev_from(p, nw + K), bdz = dev_from(dz, nz),
           bdx = dev_zeros(nx), bg = dev_zeros(nw + K), bones = dev_from(ones, nz),
           col = dev_zeros(conv_col_floats(&g, n));
    float *rz = xmalloc(nx * 4);
    fill_random(rz, nx, 54);
    cl_mem brz = dev_from(rz, nx), xg = NULL;
    size_t nxg = conv_kept_grid_floats(&g, algo, n);
    if (relu && nxg) { /* the forward's grid, over a stale one: all of it is written */
        cl_mem z = dev_zeros(nz);
        float junk = 7.0f;
        xg = dev_zeros(nxg);
        ck_assert_int_eq(clEnqueueFillBuffer(rt->queue, xg, &junk, sizeof junk, 0, nxg * 4, 0,
                                             NULL, NULL), CL_SUCCESS);
        conv_forward(rt, z, NULL, bx, xg, bp, 0, nw, col, &g, n);
        clReleaseMemObject(z);
    }
    int masked = conv_backward(rt, bdx, relu ? brz : NULL, bg, bdz, bx, xg, bp, 0, nw, col, bones,
                               &g, n);
    if (xg)
        clReleaseMemObject(xg);
    ck_assert_int_eq(masked, relu && conv_fuses_relu(&g, algo, CONV_BWD_DATA));
    dev_read(bdx, dx, nx);
    dev_read(bg, gr, nw + K);
    double tol_dx = TOL * fmax(1, sqrt(K * (double)taps) / 8); /* dx sums K*taps products */
    for (int c = 0; c < C; c++)
        for (int b = 0; b < n; b++)
            for (int y = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++) {
                    size_t at = (((size_t)c * n + b) * H + y) * W + xx;
                    double want = masked && !(rz[at] > 0.0f) ? 0.0
                                                             : ref_conv_dx(dz, p, &g, n, c, b, y, xx);
                    float got = dx[at];
                    ck_assert_msg(fabs(got - want) <= tol_dx * fmax(1, fabs(want)), "%s dx %g vs %g",
                                  conv_algo_name(algo), got, want);
                }
    double tol = TOL * sqrt((double)n * OH * OW); /* dW and db are sums of n*OH*OW products */
    for (int k = 0; k < K; k++) {
        for (int c = 0; c < C; c++)
            for (int t = 0; t < taps; t++) {
                double want = ref_conv_dw(dz, x, &g, n, k, c, t / g.KW, t % g.KW);
                float got = gr[((size_t)k * C + c) * taps + t];
                ck_assert_msg(fabs(got - want) <= tol * fmax(1, fabs(want)), "%s dW %g vs %g",
                              conv_algo_name(algo), got, want);
            }
        double want = ref_conv_db(dz, &g, n, k);
        ck_assert_msg(fabs(gr[nw + k] - want) <= tol * fmax(1, fabs(want)), "%s db %g vs %g",
                      conv_algo_name(algo), gr[nw + k], want);
    }
    cl_mem all[] = {bx, bp, bdz, bdx, bg, bones, col, brz};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        clReleaseMemObject(all[i]);
    free(x), free(p), free(dz), free(dx), free(gr), free(ones), free(rz);
}

static void check_conv_backward(int C, int H, int W, int K, int n, enum conv_algo algo, int relu)
{
    check_conv_backward_geom(conv_make(C, H, W, K, 3, 3, 1, 1), n, algo, relu);
}

START_TEST(conv_backward_matches_reference)
{
    for (int a = CONV_TILED; a <= CONV_CLBLAST; a++)
        for (int r = 0; r < 2; r++) { /* with a ReLU below, fused or not, and without */
            check_conv_backward(1, 5, 7, 4, 1, a, r);
            check_conv_backward(3, 6, 5, 2, 3, a, r);
            check_conv_backward(2, 20, 19, 9, 10, a, r); /* tiled: the weight GEMM's k is split */
            check_conv_backward(2, 70, 66, 3, 1, a, r);  /* tiled: skipped column blocks */
            check_conv_backward(4, 3, 3, 512, 1, a, r);  /* tiled: the data GEMM's k is split */
            check_conv_backward(6, 4, 4, 8, 3, a, r);    /* small image: weights through im2col */
            check_conv_backward(130, 3, 5, 7, 2, a, r);  /* many channels: dx by pixels, C ragged */
            check_conv_backward(128, 2, 2, 300, 1, a, r); /* dx by pixels, its k split */
            check_conv_backward_geom(conv_make(3, 11, 9, 4, 5, 5, 2, 1), 2, a, r); /* 5x5 same */
            check_conv_backward_geom(conv_make(2, 8, 7, 3, 3, 3, 0, 1), 2, a, r);  /* valid */
            check_conv_backward_geom(conv_make(2, 9, 8, 3, 5, 5, 1, 1), 2, a, r);  /* 5x5, pad 1 */
            check_conv_backward_geom(conv_make(2, 9, 10, 3, 3, 3, 1, 2), 2, a, r); /* stride 2 */
        }
}
END_TEST

START_TEST(relu_forward_matches_reference)
{
    size_t n = 1001;
    float *z = xmalloc(n * 4), *a = xmalloc(n * 4);
    fill_random(z, n, 5);
    z[0] = NAN;
    cl_mem dz = dev_from(z, n), da = dev_zeros(n);
    relu_forward(test_rt(), da, dz, n);
    dev_read(da, a, n);
    ck_assert_msg(isnan(a[0]), "NaN must pass through the forward ReLU");
    float *want = xmalloc(n * 4);
    ref_relu_forward(want, z, n);
    for (size_t i = 1; i < n; i++)
        ck_assert_float_eq(a[i], want[i]);
    clReleaseMemObject(dz), clReleaseMemObject(da);
    free(z), free(a), free(want);
}
END_TEST

static void check_pool_geom(pool_geom g, int n)
{
    int C = g.C, H = g.H, W = g.W;
    size_t ni = (size_t)C * n * H * W, no = (size_t)C * n * g.OH * g.OW;
    float *in = xmalloc(ni * 4), *out = xmalloc(no * 4), *ref = xmalloc(no * 4);
    int *arg = xmalloc(no * sizeof(int));
    fill_random(in, ni, (uint64_t)(H * 31 + W));
    cl_mem din = dev_from(in, ni), dout = dev_zeros(no), darg = dev_zeros(no);
    pool_forward(test_rt(), dout, darg, din, &g, n);
    dev_read(dout, out, no);
    clrt_download(test_rt(), darg, 0, no * sizeof(int), arg);
    ref_maxpool_forward(ref, in, &g, n);
    for (size_t i = 0; i < no; i++) {
        ck_assert_float_eq(out[i], ref[i]);
        ck_assert_msg(arg[i] >= 0 && (size_t)arg[i] < ni && in[arg[i]] == out[i],
                      "argmax %zu does not point at the maximum", i);
    }
    clReleaseMemObject(din), clReleaseMemObject(dout), clReleaseMemObject(darg);
    free(in), free(out), free(ref), free(arg);
}

static void check_pool(int C, int H, int W, int n)
{
    pool_geom g = pool_make(C, H, W, 2, 2);
    ck_assert_int_eq(g.OH, H / 2);
    check_pool_geom(g, n);
}

START_TEST(maxpool_forward_matches_reference)
{
    check_pool(3, 6, 8, 1);
    check_pool(2, 7, 5, 3); /* odd sizes: the last row and column belong to no window */
    check_pool(1, 2, 2, 2);
    check_pool(2, 4, 14, 3); /* 2x2/2 vector kernel: 4 windows at a time, the last 4 again */
    check_pool(1, 4, 6, 2);  /* 2x2/2 with rows of 3 windows: no vector of 4 fits */
    check_pool_geom(pool_make(2, 9, 8, 3, 2), 2); /* overlapping windows */
    check_pool_geom(pool_make(2, 9, 8, 2, 3), 2); /* gaps between windows */
}
END_TEST

/* Ties go to the first element of a window, a NaN wins (the first one), forward and backward,
 * in the 2x2/2 vector kernels' vector part (windows 0-3) and their scalar tail (4-5). */
START_TEST(maxpool_ties_and_nans)
{
    const float N = NAN;
    float in[24] = {1, 1, 0, N, N, 2, -1, -2, 2, 3, 0, 0,
                    1, 1, 5, 7, N, 9, -0.5f, -3, 3, 1, 0, 8};
    const int want_arg[6] = {0, 3, 4, 18, 9, 23};
    const float want_out[6] = {1, N, N, -0.5f, 3, 8}, dout[6] = {1, 2, 3, 4, 5, 6};
    pool_geom g = pool_make(1, 2, 12, 2, 2);
    cl_mem din = dev_from(in, 24), dout_ = dev_zeros(6), darg = dev_zeros(6), dd = dev_from(dout, 6),
           dgrad = dev_from(in, 24); /* NaN-filled where the kernel must write zeros */
    pool_forward(test_rt(), dout_, darg, din, &g, 1);
    pool_backward(test_rt(), dgrad, dd, darg, &g, 1);
    float out[6], grad[24];
    int arg[6];
    dev_read(dout_, out, 6);
    dev_read(dgrad, grad, 24);
    clrt_download(test_rt(), darg, 0, sizeof arg, arg);
    for (int k = 0; k < 6; k++) {
        ck_assert_msg(arg[k] == want_arg[k], "window %d: argmax %d, expected %d", k, arg[k], want_arg[k]);
        ck_assert_msg(isnan(want_out[k]) ? isnan(out[k]) : out[k] == want_out[k], "window %d: %g", k, out[k]);
    }
    for (int i = 0; i < 24; i++) {
        float want = 0;
        for (int k = 0; k < 6; k++)
            if (want_arg[k] == i)
                want = dout[k];
        ck_assert_msg(grad[i] == want, "din[%d] = %g, expected %g", i, grad[i], want);
    }
    clReleaseMemObject(din), clReleaseMemObject(dout_), clReleaseMemObject(darg);
    clReleaseMemObject(dd), clReleaseMemObject(dgrad);
}
END_TEST

START_TEST(avgpool_and_pad_match_reference)
{
    pool_geom gs[] = {pool_make(3, 6, 8, 2, 2), pool_make(2, 7, 5, 2, 2), pool_make(2, 9, 8, 3, 2)};
    for (size_t k = 0; k < sizeof gs / sizeof *gs; k++) {
        pool_geom g = gs[k];
        int n = 2;
        size_t ni = (size_t)g.C * n * g.H * g.W, no = (size_t)g.C * n * g.OH * g.OW;
        float *in = xmalloc(ni * 4), *out = xmalloc(no * 4), *ref = xmalloc(no * 4);
        fill_random(in, ni, 90 + k);
        cl_mem din = dev_from(in, ni), dout = dev_zeros(no);
        avgpool_forward(test_rt(), dout, din, &g, n);
        dev_read(dout, out, no);
        ref_avgpool_forward(ref, in, &g, n);
        ck_assert_msg(max_rel_diff(out, ref, no) < TOL, "avgpool %dx%d/%d: error %g", g.size,
                      g.size, g.stride, max_rel_diff(out, ref, no));
        clReleaseMemObject(din), clReleaseMemObject(dout);
        free(in), free(out), free(ref);
    }
    int planes = 3, H = 5, W = 4, OH = 8, OW = 7, top = 1, left = 2;
    size_t ni = (size_t)planes * H * W, no = (size_t)planes * OH * OW;
    float *in = xmalloc(ni * 4), *out = xmalloc(no * 4), *ref = xmalloc(no * 4);
    fill_random(in, ni, 99);
    for (size_t i = 0; i < no; i++)
        out[i] = NAN; /* the padding must be written, not left as it was */
    cl_mem din = dev_from(in, ni), dout = dev_from(out, no);
    pad_forward(test_rt(), dout, din, planes, H, W, OH, OW, top, left);
    dev_read(dout, out, no);
    ref_pad_forward(ref, in, planes, H, W, OH, OW, top, left);
    for (size_t i = 0; i < no; i++)
        ck_assert_float_eq(out[i], ref[i]);
    clReleaseMemObject(din), clReleaseMemObject(dout);
    free(in), free(out), free(ref);
}
END_TEST

/* dense forward and backward (dW, db, dx) against plain C, on clnet's GEMM and on CLBlast's. */
static void check_dense_algo(int n, int F, int K)
{
    size_t nx = (size_t)n * F, nw = (size_t)F * K, nz = (size_t)n * K;
    float *x = xmalloc(nx * 4), *p = xmalloc((nw + K) * 4), *dz = xmalloc(nz * 4),
          *z = xmalloc(nz * 4), *zr = xmalloc(nz * 4), *g = xmalloc((nw + K) * 4),
          *gr = xmalloc((nw + K) * 4), *dx = xmalloc(nx * 4), *dxr = xmalloc(nx * 4),
          *ones = xmalloc((size_t)n * 4);
    fill_random(x, nx, 7), fill_random(p, nw + K, 8), fill_random(dz, nz, 9);
    for (int b = 0; b < n; b++)
        ones[b] = 1.0f;
    cl_mem bx = dev_from(x, nx), bp = dev_from(p, nw + K), bz = dev_zeros(nz),
           bdz = dev_from(dz, nz), bg = dev_zeros(nw + K), bdx = dev_zeros(nx),
           bones = dev_from(ones, n), ws = dev_zeros(dense_ws_floats(n, F, K));
    dense_forward(test_rt(), bz, bx, bp, 0, nw, ws, n, F, K);
    dense_backward(test_rt(), bdx, bg, bdz, bx, bp, 0, nw, bones, ws, n, F, K);
    dev_read(bz, z, nz), dev_read(bg, g, nw + K), dev_read(bdx, dx, nx);
    ref_dense_forward(zr, x, p, p + nw, n, F, K);
    double *dw = xmalloc((nw + K) * sizeof(double)), *dxd = xmalloc(nx * sizeof(double));
    ref_dense_backward(dw, dw + nw, dxd, x, dz, p, n, F, K);
    for (size_t i = 0; i < nw + K; i++)
        gr[i] = (float)dw[i];
    for (size_t i = 0; i < nx; i++)
        dxr[i] = (float)dxd[i];
    free(dw), free(dxd);
    const char *algo = conv_algo_name(gemm_device_algo(test_rt()));
    /* float sums of F, n and K terms: rounding grows about as their square roots */
    ck_assert_msg(max_rel_diff(z, zr, nz) < TOL * fmax(1, sqrt(F) / 8), "%s dense n%d F%d K%d z",
                  algo, n, F, K);
    ck_assert_msg(max_rel_diff(g, gr, nw + K) < TOL * fmax(1, sqrt(n) / 8),
                  "%s dense n%d F%d K%d dW/db", algo, n, F, K);
    ck_assert_msg(max_rel_diff(dx, dxr, nx) < TOL * fmax(1, sqrt(K) / 8), "%s dense n%d F%d K%d dx",
                  algo, n, F, K);
    cl_mem all[] = {bx, bp, bz, bdz, bg, bdx, bones, ws};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        clReleaseMemObject(all[i]);
    free(x), free(p), free(dz), free(z), free(zr), free(g), free(gr), free(dx), free(dxr),
        free(ones);
}

static void check_dense(int n, int F, int K)
{
    clrt *rt = test_rt();
    int saved = rt->conv_algo;
    for (int a = CONV_TILED; a <= CONV_CLBLAST; a++) {
        rt->conv_algo = a;
        check_dense_algo(n, F, K);
    }
    rt->conv_algo = saved;
}

START_TEST(dense_matches_reference)
{
    check_dense(1, 7, 5);
    check_dense(3, 13, 10);
    check_dense(5, 1, 1);
    check_dense(100, 6272, 10); /* ltfn's: the forward's k is split, 36 images in a partial block */
    check_dense(70, 300, 130);  /* K larger than n: the transposed W is the larger copy */
    /* K on the GEMM's columns (fills its 64-wide tile better than the batch does): forward, and
     * with F = 65 the weight gradient too; mlp's fc2 at batch 100 */
    check_dense(5, 65, 70);
    check_dense(100, 500, 500);
    check_dense(2, 200, 300); /* a W much larger than dz: the data gradient transposes dz */
}
END_TEST

START_TEST(flatten_orders_features_per_image)
{
    int C = 3, n = 2, P = 5;
    size_t N = (size_t)C * n * P;
    float *in = xmalloc(N * 4), *flat = xmalloc(N * 4), *back = xmalloc(N * 4);
    fill_random(in, N, 9);
    cl_mem din = dev_from(in, N), dflat = dev_zeros(N), dback = dev_zeros(N);
    flatten_forward(test_rt(), dflat, din, C, n, P);
    flatten_backward(test_rt(), dback, dflat, C, n, P);
    dev_read(dflat, flat, N);
    dev_read(dback, back, N);
    for (int b = 0; b < n; b++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < P; p++)
                ck_assert_float_eq(flat[(b * C + c) * P + p], in[(c * n + b) * P + p]);
    for (size_t i = 0; i < N; i++)
        ck_assert_float_eq(back[i], in[i]);
    clReleaseMemObject(din), clReleaseMemObject(dflat), clReleaseMemObject(dback);
    free(in), free(flat), free(back);
}
END_TEST

static void check_loss(int n, float logit_scale)
{
    int K = 10;
    size_t nz = (size_t)n * K;
    float *z = xmalloc(nz * 4), *p = xmalloc(nz * 4), *pr = xmalloc(nz * 4), stats[2];
    uint16_t *y = xmalloc((size_t)n * sizeof *y);
    fill_random(z, nz, 11);
    for (size_t i = 0; i < nz; i++)
        z[i] *= logit_scale;
    for (int i = 0; i < n; i++)
        y[i] = (uint16_t)((i * 7 + 3) % K);
    clrt *rt = test_rt();
    cl_mem dz = dev_from(z, nz), dp = dev_zeros(nz), dd = dev_zeros(nz),
           per = dev_zeros((size_t)n * 2), dstats = dev_zeros(2), status = dev_zeros(1);
    cl_mem dy = clrt_buffer(rt, (size_t)n * sizeof *y, "labels");
    clrt_upload(rt, dy, 0, (size_t)n * sizeof *y, y);
    loss_forward_backward(rt, dp, dd, per, dz, dy, n, n, K);
    loss_reduce(rt, dstats, status, per, 0, n, 1);
    dev_read(dp, p, nz);
    dev_read(dstats, stats, 2);
    int correct;
    double cost = ref_softmax_xent(pr, z, y, n, K, &correct);
    ck_assert_msg(fabs(stats[0] - cost) <= 1e-5 * fmax(1, fabs(cost)), "cost %g, reference %g",
                  stats[0], cost);
    ck_assert_int_eq((int)stats[1], correct);
    ck_assert_msg(max_rel_diff(p, pr, nz) < TOL, "probabilities differ");
    clReleaseMemObject(dz), clReleaseMemObject(dp), clReleaseMemObject(dd), clReleaseMemObject(per);
    clReleaseMemObject(dstats), clReleaseMemObject(status), clReleaseMemObject(dy);
    free(z), free(p), free(pr), free(y);
}

START_TEST(softmax_xent_matches_reference)
{
    check_loss(1, 1.0f);
    check_loss(7, 3.0f);
    check_loss(4, 500.0f); /* stable for large logits: no inf/NaN */
}
END_TEST

/* The optimizers over several steps against a plain-C reference in double, with weight decay
 * on part of the arena; then a set status stops every update. */
static void check_optimizer(optim_kind kind, float wd)
{
    clrt *rt = test_rt();
    enum { N = 37, STEPS = 6 };
    float p[N], g[N], mask[N], out[N];
    double rp[N], rm[N] = {0}, rv[N] = {0};
    fill_random(p, N, 12);
    for (int i = 0; i < N; i++)
        rp[i] = p[i], mask[i] = i % 5 ? 1.0f : 0.0f;
    cl_mem dp = dev_from(p, N), dg = dev_zeros(N), dm = dev_zeros(N), dv = dev_zeros(N);
    cl_mem dmask = dev_from(mask, N), status = dev_zeros(1);
    optim_hparams h = {kind, 0.9f, 0.9f, 0.999f, 1e-8f, wd};
    double lr = 0.05;
    for (int t = 1; t <= STEPS; t++) {
        fill_random(g, N, 100 + (uint64_t)t);
        dev_write(dg, g, N);
        optim_update(rt, dp, dg, dm, dv, dmask, status, &h, lr, t, N);
        ref_optim_update(rp, rm, rv, g, mask, &h, lr, t, N);
    }
    dev_read(dp, out, N);
    for (int i = 0; i < N; i++)
        ck_assert_msg(fabs(out[i] - rp[i]) <= 1e-5 * fmax(1, fabs(rp[i])),
                      "%s wd %g: p[%d] %.8g, reference %.8g", optim_name(kind), wd, i, out[i], rp[i]);
    int one = 1;
    clrt_upload(rt, status, 0, sizeof one, &one);
    optim_update(rt, dp, dg, dm, dv, dmask, status, &h, lr, STEPS + 1, N);
    float again[N];
    dev_read(dp, again, N);
    ck_assert_msg(memcmp(again, out, sizeof out) == 0, "a set status must stop the update");
    cl_mem bufs[] = {dp, dg, dm, dv, dmask, status};
    for (int i = 0; i < 6; i++)
        clReleaseMemObject(bufs[i]);
}

START_TEST(optimizers_match_reference)
{
    for (int k = 0; k < 3; k++) {
        check_optimizer((optim_kind)k, 0.0f);
        check_optimizer((optim_kind)k, 0.01f);
    }
}
END_TEST

/* gather_batch against dataset_gather through a shuffled order, from an offset, for one channel
 * and for three (interleaved in the file, planes in the network), plain, normalized, and
 * augmented (flips and crops from a padded image). */
static void check_gather(int C, const pixel_map *m, uint32_t step, int *flips)
{
    clrt *rt = test_rt();
    enum { COUNT = 9, ROWS = 3, COLS = 5, N = 4, FIRST = 3, P = ROWS * COLS };
    dataset d = {.count = COUNT, .rows = ROWS, .cols = COLS, .channels = C, .classes = 300,
                 .pixels = xmalloc((size_t)COUNT * P * C),
                 .labels = xmalloc(COUNT * sizeof(uint16_t))};
    for (int i = 0; i < COUNT * P * C; i++)
        d.pixels[i] = (uint8_t)(i * 37 % 256);
    for (int i = 0; i < COUNT; i++)
        d.labels[i] = (uint16_t)(i * 37 % 300); /* wider than a byte */
    int order[COUNT] = {8, 2, 5, 0, 7, 1, 6, 3, 4};
    net nt;
    char err[128];
    ck_assert(net_parse("fc300", C, ROWS, COLS, 300, &nt, err, sizeof err) == 0);
    net_alloc(rt, &nt, N, 0);
    device_data dd;
    batch_upload(rt, &dd, &d, "test images");
    dd.map = *m;
    clrt_upload(rt, dd.order, 0, sizeof order, order);
    batch_gather(rt, nt.x, nt.y, &dd, FIRST, N, step);
    float x[3 * N * P], want[3 * N * P];
    uint16_t y[N];
    dev_read(nt.x, x, (size_t)C * N * P);
    clrt_download(rt, nt.y, 0, sizeof y, y);
    dataset_gather(&d, order, FIRST, N, m, step, want);
    for (int i = 0; i < C * N * P; i++)
        ck_assert_float_eq_tol(x[i], want[i], 1e-6f * (1.0f + fabsf(want[i])));
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(y[i], d.labels[order[FIRST + i]]);
    if (!m->pad && m->offset[0] == 0.0f) /* plain, or flipped: pixels / 255, maybe mirrored */
        for (int i = 0; i < N; i++) {
            dataset_to_float(&d, order[FIRST + i], 1, want);
            int mirrored = m->flip && (augment_hash(m->seed, step, (uint32_t)i) & 1u);
            *flips += mirrored;
            for (int c = 0; c < C; c++)
                for (int p = 0; p < P; p++) {
                    int col = p % COLS, from = p - col + (mirrored ? COLS - 1 - col : col);
                    ck_assert_float_eq_tol(x[((size_t)c * N + i) * P + p], want[c * P + from],
                                           1e-6f);
                }
        }
    batch_release(&dd);
    net_free(&nt);
    dataset_free(&d);
}

START_TEST(gather_batch_matches_reference)
{
    pixel_map plain = pixel_map_plain(), flip = plain, aug = plain;
    float mean[3] = {0.5f, 0.25f, 0.75f}, sd[3] = {0.2f, 0.5f, 0.1f};
    pixel_map norm = pixel_map_normalized(mean, sd, 3);
    flip.flip = 1, flip.seed = 3;
    aug.flip = 1, aug.pad = 2, aug.seed = 77;
    int flips = 0;
    for (int C = 1; C <= 3; C += 2) {
        check_gather(C, &plain, 0, &flips);
        check_gather(C, &norm, 0, &flips);
        for (uint32_t step = 0; step < 6; step++) {
            check_gather(C, &flip, step, &flips);
            check_gather(C, &aug, step, &flips);
        }
    }
    ck_assert_int_gt(flips, 0); /* of 48 images, some were mirrored, and some not */
    ck_assert_int_lt(flips, 48);
}
END_TEST

/* The draws of augment_hash: flips half of the time, every offset of -pad..pad about as often. */
START_TEST(augmentation_draws_are_balanced)
{
    enum { PAD = 4, SPAN = 2 * PAD + 1, DRAWS = 90000 };
    int flips = 0, dy[SPAN] = {0}, dx[SPAN] = {0};
    for (uint32_t k = 0; k < DRAWS; k++) {
        uint32_t h = augment_hash(5, k / 100, k % 100);
        flips += h & 1u;
        dy[(h >> 8) % SPAN]++;
        dx[(h >> 20) % SPAN]++;
    }
    ck_assert_int_gt(flips, DRAWS / 2 - 600); /* 4 standard deviations: 150 */
    ck_assert_int_lt(flips, DRAWS / 2 + 600);
    for (int i = 0; i < SPAN; i++) {
        ck_assert_int_gt(dy[i], DRAWS / SPAN - 400); /* sd about 94 */
        ck_assert_int_lt(dy[i], DRAWS / SPAN + 400);
        ck_assert_int_gt(dx[i], DRAWS / SPAN - 400);
        ck_assert_int_lt(dx[i], DRAWS / SPAN + 400);
    }
}
END_TEST

Suite *suite_ops(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("forward");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, gemm_tiled_matches_reference);
    tcase_add_test(tc, conv_forward_matches_reference);
    tcase_add_test(tc, conv_backward_matches_reference);
    tcase_add_test(tc, relu_forward_matches_reference);
    tcase_add_test(tc, maxpool_forward_matches_reference);
    tcase_add_test(tc, maxpool_ties_and_nans);
    tcase_add_test(tc, avgpool_and_pad_match_reference);
    tcase_add_test(tc, dense_matches_reference);
    tcase_add_test(tc, flatten_orders_features_per_image);
    tcase_add_test(tc, softmax_xent_matches_reference);
    tcase_add_test(tc, optimizers_match_reference);
    tcase_add_test(tc, gather_batch_matches_reference);
    tcase_add_test(tc, augmentation_draws_are_balanced);
    suite_add_tcase(s, tc);
    return s;
}
