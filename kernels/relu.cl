/* relu.cl: ReLU forward and backward. NaN passes through the forward pass on purpose, so a
 * diverging network shows up in the cost instead of being hidden by max(). */
__kernel void relu_forward(__global const float *z, __global float *a)
{
    size_t i = get_global_id(0);
    float v = z[i];
    a[i] = v < 0.0f ? 0.0f : v;
}

/* In place: d (the gradient with respect to the ReLU's output) becomes the gradient with respect
 * to its input z. */
__kernel void relu_backward(__global float *d, __global const float *z)
{
    size_t i = get_global_id(0);
    if (!(z[i] > 0.0f))
        d[i] = 0.0f;
}
