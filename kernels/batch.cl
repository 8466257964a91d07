/* batch.cl: assemble a batch on the device from the data set kept there as bytes.
 * images: (count, pixels, channels) uchar, the pixels of each image row by row with their channels
 * interleaved (as files store them); order: a permutation of the data set (or the identity).
 * x: (channels, n, pixels) float in [0,1], the channel-major layout of net.h; y: (n) ushort
 * labels. One work-item per value of x. */
__kernel void gather_batch(__global const uchar *images, __global const ushort *labels,
                           __global const int *order, int first, int pixels, int channels, int n,
                           __global float *x, __global ushort *y)
{
    size_t gid = get_global_id(0), plane = (size_t)n * (size_t)pixels;
    size_t c = gid / plane, rest = gid % plane;
    size_t i = rest / (size_t)pixels, p = rest % (size_t)pixels;
    size_t src = (size_t)order[first + (int)i];
    x[gid] = (float)images[(src * (size_t)pixels + p) * (size_t)channels + c] * (1.0f / 255.0f);
    if (c == 0 && p == 0)
        y[i] = labels[src];
}
