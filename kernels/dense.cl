/* dense.cl: between channel-major activations (C, n, P) and the row-per-image matrix (n, C*P)
 * that the fully connected layer multiplies. Features are flattened in (c, y, x) order. */
/* One work-item per (c, b) row of P features: a contiguous copy each way (one work-item per
 * element cost 3 ms at ltfn's fc, a row 0.x ms). */
__kernel void flatten(__global const float *in, __global float *out, int C, int n, int P)
{
    int c = get_global_id(0), b = get_global_id(1);
    __global const float *src = in + ((size_t)c * n + b) * P;
    __global float *dst = out + ((size_t)b * C + c) * P;
    for (int p = 0; p < P; p++)
        dst[p] = src[p];
}

__kernel void unflatten(__global const float *in, __global float *out, int C, int n, int P)
{
    int c = get_global_id(0), b = get_global_id(1);
    __global const float *src = in + ((size_t)b * C + c) * P;
    __global float *dst = out + ((size_t)c * n + b) * P;
    for (int p = 0; p < P; p++)
        dst[p] = src[p];
}

/* out (C, R) = in (R, C) transposed, in_off floats into in. One work-item per 16 x 16 block
 * (dense.c: the fc layer's x and W on clnet's GEMM, which needs its B rows contiguous). */
__kernel void transpose(__global const float *in, int in_off, __global float *out, int R, int C)
{
    int r0 = get_global_id(1) * 16, c0 = get_global_id(0) * 16;
    int r1 = min(r0 + 16, R), c1 = min(c0 + 16, C);
    in += in_off;
    for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++)
            out[(size_t)c * R + r] = in[(size_t)r * C + c];
}
