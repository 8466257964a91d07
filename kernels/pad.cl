/* pad.cl: zero padding of (planes, H, W) into (planes, OH, OW), the image at (top, left). */

/* One work-item per output element. */
__kernel void pad_forward(__global const float *in, __global float *out, int H, int W, int OH,
                          int OW, int top, int left)
{
    size_t o = get_global_id(0);
    int x = (int)(o % OW) - left, y = (int)(o / OW % OH) - top;
    size_t plane = o / ((size_t)OW * OH);
    out[o] = x >= 0 && x < W && y >= 0 && y < H ? in[(plane * H + y) * W + x] : 0.0f;
}

/* The adjoint: one work-item per input element, din = dout at the same place. */
__kernel void pad_backward(__global const float *dout, __global float *din, int H, int W, int OH,
                           int OW, int top, int left)
{
    size_t i = get_global_id(0);
    int x = (int)(i % W), y = (int)(i / W % H);
    size_t plane = i / ((size_t)W * H);
    din[i] = dout[(plane * OH + y + top) * OW + x + left];
}
