/* conv.cl: the data movement around the convolution GEMMs, and the bias.
 * Activations are channel-major: (C, n, H, W). The column matrix has one row per
 * (c, ky, kx) and one column per output position (b, oy, ox):
 *   col[(c*KH + ky)*KW + kx][(b*OH + oy)*OW + ox] = in[c][b][oy*stride - pad + ky][ox*stride - pad + kx]
 * (zero outside the image), so conv forward is one GEMM over the whole batch:
 *   z (K, n*OH*OW) = W (K, C*KH*KW) x col. */

/* One work-item per (r, b, oy): r = column-matrix row (c, ky, kx); writes the OW contiguous
 * columns (b, oy, 0..OW-1) of that row. */
__kernel void im2col(__global const float *in, __global float *col, int n, int H, int W, int KH,
                     int KW, int pad, int stride, int OH, int OW)
{
    int g = get_global_id(0);
    int oy = g % OH, b = (g / OH) % n, r = g / (OH * n);
    int kx = r % KW, ky = (r / KW) % KH, c = r / (KW * KH);
    int y = oy * stride - pad + ky;
    __global float *dst = col + (size_t)r * n * OH * OW + ((size_t)b * OH + oy) * OW;
    if (y < 0 || y >= H) {
        for (int ox = 0; ox < OW; ox++)
            dst[ox] = 0.0f;
        return;
    }
    __global const float *src = in + (((size_t)c * n + b) * H + y) * W;
    for (int ox = 0; ox < OW; ox++) {
        int x = ox * stride - pad + kx;
        dst[ox] = x >= 0 && x < W ? src[x] : 0.0f;
    }
}

/* The transposed column matrix, (n*OH*OW, C*KH*KW): colT[(b*OH + oy)*OW + ox][(c*KH + ky)*KW + kx]
 * (what the weight gradient's GEMM reads along its rows). One work-item per (b, oy), writing its
 * OW*C*KH*KW contiguous floats. */
__kernel void im2col_t(__global const float *in, __global float *colT, int n, int H, int W,
                       int KH, int KW, int pad, int stride, int OH, int OW, int C)
{
    int g = get_global_id(0);
    int oy = g % OH, b = g / OH;
    __global float *dst = colT + (size_t)g * OW * C * KH * KW;
    for (int ox = 0; ox < OW; ox++)
        for (int c = 0; c < C; c++) {
            __global const float *src = in + ((size_t)c * n + b) * H * W;
            for (int ky = 0; ky < KH; ky++) {
                int y = oy * stride - pad + ky;
                for (int kx = 0; kx < KW; kx++) {
                    int x = ox * stride - pad + kx;
                    *dst++ = y >= 0 && y < H && x >= 0 && x < W ? src[y * W + x] : 0.0f;
                }
            }
        }
}

/* The weight gradient's B for a stride-1 convolution (conv_tiled.c): dz (K, n, OH, OW) placed at the
 * top left of an (n, Hp, Wp) grid, zero elsewhere, transposed to (n*Hp*Wp, K) at out + out_off.
 * One work-item per grid position, writing its K contiguous floats. */
__kernel void grid_t(__global const float *dz, __global float *out, int out_off, int K, int n,
                     int OH, int OW, int Hp, int Wp)
{
    size_t j = get_global_id(0);
    int x = (int)(j % Wp), y = (int)(j / Wp % Hp), b = (int)(j / ((size_t)Wp * Hp));
    __global float *dst = out + out_off + j * K;
    if (y >= OH || x >= OW) {
        for (int k = 0; k < K; k++)
            dst[k] = 0.0f;
        return;
    }
    __global const float *src = dz + ((size_t)b * OH + y) * OW + x;
    size_t plane = (size_t)n * OH * OW;
    for (int k = 0; k < K; k++)
        dst[k] = src[k * plane];
}

/* The adjoint of im2col: din[c][b][y][x] = sum of the column entries that im2col copied from
 * there. One work-item per input element; gathers, so no atomics. Overwrites din. */
__kernel void col2im(__global const float *col, __global float *din, int n, int H, int W, int KH,
                     int KW, int pad, int stride, int OH, int OW)
{
    int i = get_global_id(0);
    int x = i % W, y = (i / W) % H, b = (i / (W * H)) % n, c = i / (W * H * n);
    int ncols = n * OH * OW;
    float sum = 0.0f;
    for (int ky = 0; ky < KH; ky++) {
        int ty = y + pad - ky;
        if (ty < 0 || ty % stride)
            continue;
        int oy = ty / stride;
        if (oy >= OH)
            continue;
        for (int kx = 0; kx < KW; kx++) {
            int tx = x + pad - kx;
            if (tx < 0 || tx % stride)
                continue;
            int ox = tx / stride;
            if (ox >= OW)
                continue;
            size_t r = ((size_t)c * KH + ky) * KW + kx;
            sum += col[r * ncols + ((size_t)b * OH + oy) * OW + ox];
        }
    }
    din[i] = sum;
}

/* The conv bias gradient, db[k] = sum of row k of dz (K, cols), into g[b_off + k]: one work-item
 * per row, 16 floats at a time (the tiled path, for CPUs). */
__kernel void bias_grad(__global const float *dz, int cols, __global float *g, int b_off)
{
    int k = get_global_id(0);
    __global const float *row = dz + (size_t)k * cols;
    float16 acc = (float16)(0.0f);
    int j = 0;
    for (; j + 16 <= cols; j += 16)
        acc += vload16(0, row + j);
    float8 h = acc.lo + acc.hi;
    float4 f = h.lo + h.hi;
    float sum = f.x + f.y + f.z + f.w;
    for (; j < cols; j++)
        sum += row[j];
    g[b_off + k] = sum;
}

/* Bias over x viewed as (outer, channels, inner): x[(o*channels + c)*inner + i] += b[boff + c].
 * Conv output (K, n*P): outer 1, channels K, inner n*P. Dense output (n, K): outer n, channels K,
 * inner 1. Work-item (i, o*channels + c). */
__kernel void bias_add(__global float *x, __global const float *b, int boff, int inner,
                       int channels)
{
    size_t i = get_global_id(0), oc = get_global_id(1);
    x[oc * (size_t)inner + i] += b[boff + (int)(oc % (size_t)channels)];
}

/* The weights (K, C, taps) at w + w_off rearranged for a small image's products (conv_tiled.c):
 * element (k, c, t) goes to out[out_off + k*sk + c*sc + t*st], e.g. (C, taps, K) for the forward
 * and (K, taps, C) for the data gradient. One work-item per (k, c). */
__kernel void w_rearrange(__global const float *w, int w_off, __global float *out, int out_off,
                          int C, int taps, int sk, int sc, int st)
{
    size_t kc = get_global_id(0), k = kc / C;
    int c = (int)(kc % C);
    __global const float *src = w + w_off + kc * taps;
    __global float *dst = out + out_off + k * sk + (size_t)c * sc;
    for (int t = 0; t < taps; t++)
        dst[(size_t)t * st] = src[t];
}
