/* pool.cl: max pooling over (planes, H, W) with planes = C*n; windows size x size, step stride,
 * no padding (output OH = (H - size) / stride + 1). The forward pass keeps the flat input index
 * of each window's maximum; the backward pass gathers through it. */
/* Maxima of OW windows from in[base] on (window 0's top-left element), and where each is
 * (the first maximum; a NaN wins). */
void max_row(__global const float *in, __global float *out, __global int *arg, int base, int W,
             int size, int stride, int OW)
{
    for (int ox = 0; ox < OW; ox++) {
        int best = base + ox * stride;
        float m = in[best];
        for (int ky = 0; ky < size; ky++)
            for (int kx = 0; kx < size; kx++) {
                int i = base + ky * W + ox * stride + kx;
                float v = in[i];
                if (v > m || (isnan(v) && !isnan(m))) {
                    m = v;
                    best = i;
                }
            }
        out[ox] = m;
        arg[ox] = best;
    }
}

/* One work-item per output row (plane, oy): a CPU runs each as a sequential loop. */
__kernel void maxpool_forward(__global const float *in, __global float *out, __global int *arg,
                              int H, int W, int size, int stride, int OH, int OW)
{
    int r = get_global_id(0);
    int oy = r % OH, plane = r / OH;
    max_row(in, out + r * OW, arg + r * OW, plane * H * W + oy * stride * W, W, size, stride, OW);
}

/* The windows (along one axis) that contain input position y: o0 .. o1 (empty when o0 > o1). */
void windows_of(int y, int size, int stride, int n, int *o0, int *o1)
{
    *o0 = y < size ? 0 : (y - size) / stride + 1;
    *o1 = min(y / stride, n - 1);
}

/* din[i] = sum of dout over the windows whose maximum was input element i. Overwrites din.
 * One work-item per input row (plane, y): it zeroes the row, then adds in dout of every window
 * row over it whose maximum lies in the row (no other work-item writes there). */
__kernel void maxpool_backward(__global const float *dout, __global const int *arg,
                               __global float *din, int H, int W, int size, int stride, int OH,
                               int OW)
{
    int r = get_global_id(0);
    int y = r % H, plane = r / H, base = r * W, oy0, oy1;
    for (int x = 0; x < W; x++)
        din[base + x] = 0.0f;
    windows_of(y, size, stride, OH, &oy0, &oy1);
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = 0; ox < OW; ox++) {
            int o = (plane * OH + oy) * OW + ox, at = arg[o] - base;
            if (at >= 0 && at < W)
                din[base + at] += dout[o];
        }
}

/* 2x2/2 windows tiling the input exactly (H = 2*OH, W = 2*OW), what nearly every network uses:
 * the same results four windows at a time, with vector selects where the kernels above branch
 * on every element (which element wins is random, so those branches mispredict half the time).
 * One work-item per output row. */
#define POOL2_TAKE(v, iv) { int4 t_ = isgreater(v, m) | (isnan(v) & ~isnan(m)); \
                            m = select(m, v, t_); best = select(best, iv, t_); }

/* Four windows from output column ox on. */
void max4(__global const float *in, __global float *out, __global int *arg, int base, int W,
          int ox)
{
    float8 r0 = vload8(0, in + base + 2 * ox), r1 = vload8(0, in + base + W + 2 * ox);
    int4 i = base + 2 * ox + (int4)(0, 2, 4, 6), best = i;
    float4 m = r0.even;
    POOL2_TAKE(r0.odd, i + 1)
    POOL2_TAKE(r1.even, i + W)
    POOL2_TAKE(r1.odd, i + W + 1)
    vstore4(m, 0, out + ox);
    vstore4(best, 0, arg + ox);
}

/* A row's last OW % 4 windows are the last four again (overlapping, the same values written
 * twice): at 14x14 the scalar tail had cost two thirds of the pool. */
__kernel void maxpool2_forward(__global const float *in, __global float *out, __global int *arg,
                               int H, int W, int OH, int OW)
{
    int r = get_global_id(0), oy = r % OH, plane = r / OH;
    int base = (plane * H + 2 * oy) * W, ox = 0;
    out += r * OW, arg += r * OW;
    for (; ox + 4 <= OW; ox += 4)
        max4(in, out, arg, base, W, ox);
    if (ox < OW && OW >= 4)
        max4(in, out, arg, base, W, OW - 4);
    else if (ox < OW)
        max_row(in, out + ox, arg + ox, base + 2 * ox, W, 2, 2, OW - ox);
}

/* The gradients of four windows from output column ox on. */
void unpool4(__global const float *dout, __global const int *arg, __global float *din, int base,
             int W, int ox)
{
    int4 a = vload4(0, arg + ox), i = base + 2 * ox + (int4)(0, 2, 4, 6);
    float4 g = vload4(0, dout + ox), z = (float4)(0.0f);
    float4 e0 = select(z, g, a == i), o0 = select(z, g, a == i + 1);
    float4 e1 = select(z, g, a == i + W), o1 = select(z, g, a == i + W + 1);
    vstore8((float8)(e0.x, o0.x, e0.y, o0.y, e0.z, o0.z, e0.w, o0.w), 0, din + base + 2 * ox);
    vstore8((float8)(e1.x, o1.x, e1.y, o1.y, e1.z, o1.z, e1.w, o1.w), 0, din + base + W + 2 * ox);
}

/* The adjoint: each input element is in exactly one window, so din is that window's dout where
 * the element was its maximum and 0 elsewhere; one work-item writes the two input rows of one
 * output row. */
__kernel void maxpool2_backward(__global const float *dout, __global const int *arg,
                                __global float *din, int H, int W, int OH, int OW)
{
    int r = get_global_id(0), oy = r % OH, plane = r / OH;
    int base = (plane * H + 2 * oy) * W, ox = 0;
    dout += r * OW, arg += r * OW;
    for (; ox + 4 <= OW; ox += 4)
        unpool4(dout, arg, din, base, W, ox);
    if (ox < OW && OW >= 4) {
        unpool4(dout, arg, din, base, W, OW - 4);
        return;
    }
    for (; ox < OW; ox++) {
        int a = arg[ox], i = base + 2 * ox;
        float g = dout[ox];
        din[i] = a == i ? g : 0.0f;
        din[i + 1] = a == i + 1 ? g : 0.0f;
        din[i + W] = a == i + W ? g : 0.0f;
        din[i + W + 1] = a == i + W + 1 ? g : 0.0f;
    }
}

/* Average pooling: out = mean of the size x size window. */
__kernel void avgpool_forward(__global const float *in, __global float *out, int H, int W,
                              int size, int stride, int OH, int OW)
{
    int o = get_global_id(0);
    int ox = o % OW, oy = (o / OW) % OH, plane = o / (OW * OH);
    __global const float *p = in + (size_t)plane * H * W + oy * stride * W + ox * stride;
    float sum = 0.0f;
    for (int ky = 0; ky < size; ky++)
        for (int kx = 0; kx < size; kx++)
            sum += p[ky * W + kx];
    out[o] = sum / (float)(size * size);
}

/* din[i] = sum of dout over the windows that contain input element i, / size^2. Overwrites din. */
__kernel void avgpool_backward(__global const float *dout, __global float *din, int H, int W,
                               int size, int stride, int OH, int OW)
{
    int i = get_global_id(0);
    int x = i % W, y = (i / W) % H, plane = i / (W * H), oy0, oy1, ox0, ox1;
    windows_of(y, size, stride, OH, &oy0, &oy1);
    windows_of(x, size, stride, OW, &ox0, &ox1);
    float sum = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++)
            sum += dout[(plane * OH + oy) * OW + ox];
    din[i] = sum / (float)(size * size);
}
