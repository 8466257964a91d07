/* conv_tiled.c: stride-1 convolutions on gemm.cl without an im2col matrix. The input is padded
 * into an (n, Hp, Wp) grid, and over that grid every tap (ky, kx) is a shift: output position
 * j = (b*Hp + y)*Wp + x reads xp[c][j + ky*Wp + kx]. So the GEMM's B is the padded image itself
 * (gemm.h's views), the outputs are computed on the whole grid, and the valid OH x OW corner of
 * each plane is cropped out. Positions outside it are wasted work (7 % at 28 x 28, 15 % at
 * 14 x 14 with the shared padding of grids_of) but cost far less than writing and reading a
 * KH*KW times larger im2col matrix.
 * Every buffer is one workspace: [padded input | slack | output grid]. The slack after a padded
 * image is zeroed: the last taps of the last plane read up to (KH-1)*Wp + KW-1 + 31 floats past
 * it, into products that are either cropped away or multiplied by zero. */
#include "clnet/gemm.h"
#include "clnet/ops.h"

typedef struct {
    int Hp, Wp;      /* forward and weight-gradient grid: the input padded by g->pad */
    int Hq, Wq;      /* data-gradient grid: dz padded by KH-1-pad */
    size_t plane, planeq, slack, slackq;
} grids;

/* Neighbours share their padding: an image's rows sit at (pad, pad) in blocks of
 * (H + pad) x (W + pad), so a row's right padding is the next row's left padding and an image's
 * bottom padding the next image's top rows (the last image's is the next plane's, or the
 * slack). The taps of a valid output reach at most pad - 1 columns (rows) past its block's end,
 * which are zeros. Fewer wasted positions and less to pad and crop: per image at 3x3, 28 x 28,
 * 841 grid positions (was 900; the forward and data GEMMs, which skip whole blocks below an
 * image, computed 868), at 14 x 14 225 (was 256; 224 when skipping). */
static grids grids_of(const conv_geom *g, int n)
{
    grids r;
    r.Hp = g->H + g->pad, r.Wp = g->W + g->pad;
    r.Hq = g->OH + g->KH - 1 - g->pad, r.Wq = g->OW + g->KW - 1 - g->pad;
    r.plane = (size_t)n * r.Hp * r.Wp, r.planeq = (size_t)n * r.Hq * r.Wq;
    r.slack = (size_t)(g->KH - 1) * r.Wp + g->KW - 1 + 32;
    r.slackq = (size_t)(g->KH - 1) * r.Wq + g->KW - 1 + 32;
    return r;
}

int conv_tiled_implicit(const conv_geom *g)
{
    return g->stride == 1 && g->pad <= g->KH - 1 && g->pad <= g->KW - 1;
}

/* On a small image the shared padding is a large part of the grid (25 positions per 16
 * outputs at 4 x 4, 9 per 4 at 2 x 2): there the forward and weight-gradient GEMMs go through
 * an im2col matrix, whose columns are exactly the batch's outputs. vgg's 512-channel 4 x 4
 * layers at batch 32, medians of 4 interleaved runs: forward 12.6 -> 10.4 ms, weight gradient
 * 16.8 -> 9.7 ms; the data gradient through col2im was no faster (13.1 -> 13.7 ms), so it
 * stays on the grid. At 8 x 8 (81 per 64) the grid is faster (conv5-7: 63 -> 75 ms). */
static long grid_area(const conv_geom *g)
{
    return (long)(g->H + g->pad) * (g->W + g->pad);
}

static int grid_fits(const conv_geom *g)
{
    return grid_area(g) * 10 <= (long)g->OH * g->OW * 14;
}

int conv_tiled_weights_im2col(const conv_geom *g)
{
    return !conv_tiled_implicit(g) || !grid_fits(g);
}

/* Small images with many channels compute their data gradient for the valid input pixels only,
 * as rows (pixel, c) of a product stored transposed (conv_tiled_backward_data), where the grid
 * is a quarter or more larger than the image. vgg at batch 32 (minimums of 5 repetitions, 2-3
 * interleaved bench runs): its 512-channel 4 x 4 layers 12.6-13.3 -> 7.4-8.4 ms (conv8) and
 * 23-26 -> 16-18 ms (conv9, conv10), its 8 x 8 layers (128 and 256 channels) 10-11 -> 8-10.5 and
 * 18-20 -> 15-17 ms. Not at 14 x 14 (ltfn's conv4, 128 channels: 38-40 ms either way), and
 * where C = 64 fills one column block the products are half as fast (ltfn's conv3 19-36 ->
 * 34-37 ms, conv2 40 -> 80). */
static int data_by_pixels(const conv_geom *g)
{
    return conv_tiled_implicit(g) && g->C >= 128 && grid_area(g) * 4 >= (long)g->H * g->W * 5;
}

int conv_tiled_data_crops(const conv_geom *g)
{
    return conv_tiled_implicit(g) && !data_by_pixels(g);
}

/* The forward the same way (pixel rows, B = W transposed), for images whose grid is a quarter
 * or more larger than the output but not so small that im2col wins, with many filters. vgg's
 * 8 x 8 layers at batch 32 (minimums of 5 repetitions, 3 interleaved bench runs): 256 filters
 * 18.1-21.0 -> 14.2-16.6 ms, 128 filters 9.4-15.0 -> 8.1-9.3; at 4 x 4 im2col stays faster
 * (14.7-17.2 against 18.1-23.5 ms). */
int conv_tiled_forward_pixels(const conv_geom *g)
{
    return conv_tiled_implicit(g) && grid_fits(g) && g->K >= 128 &&
           grid_area(g) * 4 >= (long)g->OH * g->OW * 5 && (long)g->C * g->KH * g->KW > g->K;
}

int conv_tiled_forward_im2col(const conv_geom *g)
{
    return conv_tiled_weights_im2col(g) || (long)g->C * g->KH * g->KW <= g->K;
}

static size_t max3(size_t a, size_t b, size_t c)
{
    size_t m = a > b ? a : b;
    return m > c ? m : c;
}

size_t conv_tiled_floats(const conv_geom *g, int n)
{
    grids r = grids_of(g, n);
    /* forward and weight gradient: the padded input, then the output grid or dz transposed
     * (K floats per grid position either way); data gradient: padded dz, then the dx grid */
    size_t wt = (size_t)g->C * g->KH * g->KW * g->K, zg = (size_t)g->K * r.plane;
    size_t fw = (size_t)g->C * r.plane + r.slack +
                (conv_tiled_forward_pixels(g) && wt > zg ? wt : zg),
           data = (size_t)g->K * r.planeq + r.slackq +
                  (data_by_pixels(g) ? wt : (size_t)g->C * r.planeq);
    return fw > data ? fw : data;
}

size_t conv_tiled_grid_floats(const conv_geom *g, int n)
{
    grids r = grids_of(g, n);
    return (size_t)g->C * r.plane + r.slack;
}

size_t conv_tiled_scratch(const conv_geom *g, int n)
{
    grids r = grids_of(g, n);
    size_t data = data_by_pixels(g)
                      ? gemm_tiled_scratch(n * g->H * g->W, g->C, g->K, g->KH, g->KW, 1)
                      : gemm_tiled_scratch(g->C, (int)r.planeq, g->K, g->KH, g->KW, 0);
    size_t fw = conv_tiled_forward_pixels(g)
                    ? gemm_tiled_scratch(n * g->OH * g->OW, g->K, g->C, g->KH, g->KW, 1)
                    : gemm_tiled_scratch(g->K, (int)r.plane, g->C, g->KH, g->KW, 0);
    return max3(fw,
                gemm_tiled_scratch(g->C * g->KH * g->KW, g->K, (int)r.plane, 1, 1, 1), data);
}

static void zero(clrt *rt, cl_mem buf, size_t off, size_t floats)
{
    float z = 0.0f;
    CL_CHECK(clEnqueueFillBuffer(rt->queue, buf, &z, sizeof z, off * sizeof z, floats * sizeof z,
                                 0, NULL, NULL));
}

/* x (C, n, H, W) into the workspace's first C planes of Hp x Wp, then the zeroed slack. */
static void pad_input(clrt *rt, cl_mem ws, cl_mem x, const conv_geom *g, int n, const grids *r)
{
    pad_planes(rt, ws, 0, x, 0, g->C * n, g->H, g->W, r->Hp, r->Wp, g->pad, g->pad);
    zero(rt, ws, (size_t)g->C * r->plane, r->slack);
}

/* W (K, C, taps) at params + w_off into ws at wt, element (k, c, t) at k*sk + c*sc + t*st. */
static void w_rearrange(clrt *rt, cl_mem ws, size_t wt, cl_mem params, size_t w_off,
                        const conv_geom *g, int sk, int sc, int st)
{
    cl_kernel k = rt->kernels[K_w_rearrange];
    karg_mem(k, 0, params);
    karg_int(k, 1, (int)w_off);
    karg_mem(k, 2, ws);
    karg_int(k, 3, (int)wt);
    karg_int(k, 4, g->C);
    karg_int(k, 5, g->KH * g->KW);
    karg_int(k, 6, sk);
    karg_int(k, 7, sc);
    karg_int(k, 8, st);
    clrt_launch(rt, K_w_rearrange, (size_t)g->K * g->C, 0);
}

/* z^T (n*OH*OW, K) + b: row m is output pixel (b, y, x), whose taps read xp from that pixel's
 * grid position; B is W transposed to (C, taps, K) (w_rearrange, at wt in ws); gemm_reduce
 * stores it transposed into z, with the bias. Only valid pixels are computed. */
static void forward_pixels(clrt *rt, cl_mem z, cl_mem xp, cl_mem params, size_t w_off,
                           size_t b_off, cl_mem ws, size_t wt, const conv_geom *g, int n,
                           const grids *r)
{
    int taps = g->KH * g->KW;
    w_rearrange(rt, ws, wt, params, w_off, g, 1, taps * g->K, g->K);
    gemm_view v = {.M = n * g->OH * g->OW, .N = g->K, .Q = g->C, .KH = g->KH, .KW = g->KW,
                   .a = xp, .amc = r->Hp * r->Wp, .amy = r->Wp, .amx = 1, .mh = g->OH,
                   .mw = g->OW, .aq = (int)r->plane, .ay = r->Wp, .ax = 1,
                   .b = ws, .b_off = wt, .bq = taps * g->K, .by = g->KW * g->K, .bx = g->K,
                   .c = z, .transpose_c = 1, .bias = params, .bias_off = b_off, .bias_cols = 1};
    gemm_tiled(rt, &v);
}

void conv_tiled_forward(clrt *rt, cl_mem z, cl_mem a, cl_mem x, cl_mem xg, cl_mem params,
                        size_t w_off, size_t b_off, cl_mem ws, const conv_geom *g, int n)
{
    grids r = grids_of(g, n);
    size_t out = (size_t)g->C * r.plane + r.slack, taps = (size_t)g->KH * g->KW;
    cl_mem xp = xg ? xg : ws; /* kept for the weight gradient, or in the workspace */
    pad_input(rt, xp, x, g, n, &r);
    if (conv_tiled_forward_pixels(g)) {
        forward_pixels(rt, z, xp, params, w_off, b_off, ws, out, g, n, &r);
        return;
    }
    /* zgrid (K, grid) = W (K, C*KH*KW) xp-shifts, + bias */
    gemm_view v = {.M = g->K, .N = (int)r.plane, .Q = g->C, .KH = g->KH, .KW = g->KW,
                   .a = params, .a_off = w_off, .amc = (int)(g->C * taps), .mh = 1, .mw = 1,
                   .aq = (int)taps, .ay = g->KW, .ax = 1,
                   .b = xp, .bq = (int)r.plane, .by = r.Wp, .bx = 1,
                   .c = ws, .c_off = out, .scm = (int)r.plane, .bias = params, .bias_off = b_off,
                   .period = r.Hp * r.Wp, .skip_from = g->OH * r.Wp};
    gemm_tiled(rt, &v);
    if (a) /* the ReLU in the crop's pass: z is read once instead of twice */
        crop_relu(rt, z, a, ws, out, g->K * n, g->OH, g->OW, r.Hp, r.Wp);
    else
        crop_planes(rt, z, 0, ws, out, g->K * n, g->OH, g->OW, r.Hp, r.Wp, 0, 0);
}

void conv_tiled_backward_weights(clrt *rt, cl_mem grads, cl_mem dz, cl_mem x, cl_mem xg,
                                 size_t w_off, cl_mem ws, const conv_geom *g, int n)
{
    grids r = grids_of(g, n);
    size_t dzt = (size_t)g->C * r.plane + r.slack;
    if (!xg) /* else the forward left x padded there */
        pad_input(rt, ws, x, g, n, &r);
    cl_kernel k = rt->kernels[K_grid_t];
    karg_mem(k, 0, dz);
    karg_mem(k, 1, ws);
    karg_int(k, 2, (int)dzt);
    karg_int(k, 3, g->K);
    karg_int(k, 4, n);
    karg_int(k, 5, g->OH);
    karg_int(k, 6, g->OW);
    karg_int(k, 7, r.Hp);
    karg_int(k, 8, r.Wp);
    clrt_launch(rt, K_grid_t, r.plane, 0);
    /* dW^T (C*KH*KW, K) = xp-shifts (row (c, ky, kx) is xp[c] from ky*Wp + kx) dzgrid^T;
     * stored transposed into dW (K, C*KH*KW). */
    gemm_view v = {.M = g->C * g->KH * g->KW, .N = g->K, .Q = (int)r.plane, .KH = 1, .KW = 1,
                   .a = xg ? xg : ws, .amc = (int)r.plane, .amy = r.Wp, .amx = 1, .mh = g->KH,
                   .mw = g->KW, .aq = 1,
                   .b = ws, .b_off = dzt, .bq = g->K,
                   .c = grads, .c_off = w_off, .transpose_c = 1};
    gemm_tiled(rt, &v);
}

/* dx^T (n*H*W, C): row m is input pixel (b, y, x), its taps read dzq from that pixel's grid
 * position; B is W with C contiguous ((K, taps, C) by w_rearrange, into ws after dzq); gemm_reduce stores it
 * transposed into dx. Only valid pixels are computed (16 per 25 grid positions at 4 x 4). */
static void data_pixels(clrt *rt, cl_mem dx, cl_mem params, size_t w_off, cl_mem ws,
                        const conv_geom *g, int n, const grids *r)
{
    size_t wt = (size_t)g->K * r->planeq + r->slackq;
    int taps = g->KH * g->KW;
    w_rearrange(rt, ws, wt, params, w_off, g, taps * g->C, 1, g->C);
    gemm_view v = {.M = n * g->H * g->W, .N = g->C, .Q = g->K, .KH = g->KH, .KW = g->KW,
                   .a = ws, .a_off = (size_t)(g->KH - 1) * r->Wq + g->KW - 1,
                   .amc = r->Hq * r->Wq, .amy = r->Wq, .amx = 1, .mh = g->H, .mw = g->W,
                   .aq = (int)r->planeq, .ay = -r->Wq, .ax = -1,
                   .b = ws, .b_off = wt, .bq = taps * g->C, .by = g->KW * g->C, .bx = g->C,
                   .c = dx, .transpose_c = 1};
    gemm_tiled(rt, &v);
}

void conv_tiled_backward_data(clrt *rt, cl_mem dx, cl_mem relu_z, cl_mem dz, cl_mem params,
                              size_t w_off, cl_mem ws, const conv_geom *g, int n)
{
    grids r = grids_of(g, n);
    size_t out = (size_t)g->K * r.planeq + r.slackq, taps = (size_t)g->KH * g->KW;
    pad_planes(rt, ws, 0, dz, 0, g->K * n, g->OH, g->OW, r.Hq, r.Wq, g->KH - 1 - g->pad,
               g->KW - 1 - g->pad);
    zero(rt, ws, (size_t)g->K * r.planeq, r.slackq);
    if (data_by_pixels(g)) {
        data_pixels(rt, dx, params, w_off, ws, g, n, &r);
        return;
    }
    /* dxgrid (C, grid) = sum over (k, ky, kx) of W[k][c][ky][kx] dzq[k][j + (KH-1-ky)*Wq + KW-1-kx] */
    gemm_view v = {.M = g->C, .N = (int)r.planeq, .Q = g->K, .KH = g->KH, .KW = g->KW,
                   .a = params, .a_off = w_off, .amc = (int)taps, .mh = 1, .mw = 1,
                   .aq = g->C * (int)taps, .ay = g->KW, .ax = 1,
                   .b = ws, .b_off = (size_t)(g->KH - 1) * r.Wq + g->KW - 1, .bq = (int)r.planeq,
                   .by = -r.Wq, .bx = -1,
                   .c = ws, .c_off = out, .scm = (int)r.planeq,
                   .period = r.Hq * r.Wq, .skip_from = g->H * r.Wq};
    gemm_tiled(rt, &v);
    if (relu_z) /* the layer below's ReLU backward in the crop's pass */
        crop_relu_backward(rt, dx, relu_z, ws, out, g->C * n, g->H, g->W, r.Hq, r.Wq);
    else
        crop_planes(rt, dx, 0, ws, out, g->C * n, g->H, g->W, r.Hq, r.Wq, 0, 0);
}
