/* dense.cl: between channel-major activations (C, n, P) and the row-per-image matrix (n, C*P)
 * that the fully connected layer multiplies. Features are flattened in (c, y, x) order. */
__kernel void flatten(__global const float *in, __global float *out, int C, int n, int P)
{
    int i = get_global_id(0); /* index into out (b, c, p) */
    int p = i % P, c = (i / P) % C, b = i / (P * C);
    out[i] = in[((size_t)c * n + b) * P + p];
}

__kernel void unflatten(__global const float *in, __global float *out, int C, int n, int P)
{
    int i = get_global_id(0); /* index into out (c, b, p) */
    int p = i % P, b = (i / P) % n, c = i / (P * n);
    out[i] = in[((size_t)b * C + c) * P + p];
}
