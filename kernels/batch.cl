/* batch.cl: assemble a batch on the device from the data set kept there as bytes.
 * images: (count, pixels) uchar; order: a permutation of the data set (or the identity).
 * x: (1, n, pixels) float in [0,1] (the channel-major layout of net.h with one channel);
 * y: (n) uchar labels. One work-item per output pixel. */
__kernel void gather_batch(__global const uchar *images, __global const uchar *labels,
                           __global const int *order, int first, int pixels,
                           __global float *x, __global uchar *y)
{
    size_t gid = get_global_id(0);
    size_t i = gid / (size_t)pixels, p = gid % (size_t)pixels;
    size_t src = (size_t)order[first + (int)i];
    x[gid] = (float)images[src * (size_t)pixels + p] * (1.0f / 255.0f);
    if (p == 0)
        y[i] = labels[src];
}
