/* pad.cl: zero padding of (planes, H, W) into (planes, OH, OW), the image at (top, left); the
 * offsets (floats) let conv.c pad into and crop out of its workspace. */

/* One work-item per output row (plane, oy). */
__kernel void pad_forward(__global const float *in, __global float *out, int H, int W, int OH,
                          int OW, int top, int left, int in_off, int out_off)
{
    size_t r = get_global_id(0);
    int y = (int)(r % OH) - top;
    size_t plane = r / OH;
    __global float *dst = out + out_off + r * OW;
    if (y < 0 || y >= H) {
        for (int ox = 0; ox < OW; ox++)
            dst[ox] = 0.0f;
        return;
    }
    __global const float *src = in + in_off + (plane * H + y) * W;
    for (int ox = 0; ox < OW; ox++)
        dst[ox] = ox >= left && ox < left + W ? src[ox - left] : 0.0f;
}

/* The adjoint: one work-item per input row (plane, y), din = dout at the same place. */
__kernel void pad_backward(__global const float *dout, __global float *din, int H, int W, int OH,
                           int OW, int top, int left, int dout_off, int din_off)
{
    size_t r = get_global_id(0);
    int y = (int)(r % H);
    size_t plane = r / H;
    __global const float *src = dout + dout_off + (plane * OH + y + top) * OW + left;
    __global float *dst = din + din_off + r * W;
    for (int x = 0; x < W; x++)
        dst[x] = src[x];
}

/* The forward crop of conv_tiled.c with the ReLU after it fused: z = the grid's valid corner
 * (top-left), a = ReLU(z) by relu.cl's rule (NaN passes), one pass instead of two. One work-item
 * per output row (plane, y). */
__kernel void crop_relu(__global const float *grid, __global float *z, __global float *a, int H,
                        int W, int IH, int IW, int grid_off)
{
    size_t r = get_global_id(0);
    __global const float *src = grid + grid_off + ((r / H) * IH + r % H) * IW;
    __global float *zd = z + r * W, *ad = a + r * W;
    for (int x = 0; x < W; x++) {
        float v = src[x];
        zd[x] = v;
        ad[x] = v < 0.0f ? 0.0f : v;
    }
}

/* The data gradient's crop with the backward ReLU of the layer below fused: dx = the grid's
 * valid corner where that layer's z > 0, else 0 (relu.cl's relu_backward). Per row (plane, y). */
__kernel void crop_relu_backward(__global const float *grid, __global float *dx,
                                 __global const float *z, int H, int W, int IH, int IW,
                                 int grid_off)
{
    size_t r = get_global_id(0);
    __global const float *src = grid + grid_off + ((r / H) * IH + r % H) * IW;
    __global const float *zr = z + r * W;
    __global float *dst = dx + r * W;
    for (int x = 0; x < W; x++) { /* both loaded, then a select: a branch on z's sign,
                                     * random here, mispredicts half the time */
        float v = src[x];
        dst[x] = zr[x] > 0.0f ? v : 0.0f;
    }
}
