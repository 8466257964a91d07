/* pool.cl: max pooling over (planes, H, W) with planes = C*n; windows size x size, step stride,
 * no padding (output OH = (H - size) / stride + 1). The forward pass keeps the flat input index
 * of each window's maximum; the backward pass gathers through it. */
/* One work-item per output row (plane, oy): a CPU runs each as a sequential loop. */
__kernel void maxpool_forward(__global const float *in, __global float *out, __global int *arg,
                              int H, int W, int size, int stride, int OH, int OW)
{
    int r = get_global_id(0);
    int oy = r % OH, plane = r / OH;
    int base = plane * H * W + oy * stride * W;
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
        out[r * OW + ox] = m;
        arg[r * OW + ox] = best;
    }
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
