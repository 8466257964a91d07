/* batch.cl: assemble a batch on the device from the data set kept there as bytes.
 * images: (count, H, W, channels) uchar, row by row with the channels interleaved (as files store
 * them); order: a permutation of the data set (or the identity). x: (channels, n, H*W) float, the
 * channel-major layout of net.h; y: (n) ushort labels. One work-item per value of x.
 * Each value is byte * scale[c] + offset[c] (pixels / 255, or normalized: data.h's pixel_map).
 * Augmentation (training only), drawn per image from (seed, step, its place in the batch) so a
 * run is reproducible and a resumed one draws the same: flip mirrors the image left to right half
 * of the time; pad > 0 crops an H x W window at a random offset in -pad..pad from the image
 * zero-padded by pad pixels (a padded pixel is a 0 byte, then scaled: the CIFAR recipe). */

/* The same as data.c's augment_hash: its bits choose the flip and the two offsets. */
uint augment_hash(uint seed, uint step, uint i)
{
    uint h = seed ^ (step * 0x9E3779B9u) ^ (i * 0x85EBCA6Bu);
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    h ^= h >> 16;
    return h;
}

float lane(float4 v, size_t c)
{
    return c == 0 ? v.x : c == 1 ? v.y : c == 2 ? v.z : v.w;
}

__kernel void gather_batch(__global const uchar *images, __global const ushort *labels,
                           __global const int *order, int first, int H, int W, int channels,
                           int n, float4 scale, float4 offset, int flip, int pad, uint seed,
                           uint step, int base, __global float *x, __global ushort *y)
{
    size_t gid = get_global_id(0), pixels = (size_t)H * (size_t)W, plane = (size_t)n * pixels;
    size_t c = gid / plane, rest = gid % plane;
    size_t i = rest / pixels, p = rest % pixels;
    size_t src = (size_t)order[first + (int)i];
    int r = (int)(p / (size_t)W), col = (int)(p % (size_t)W);
    if (flip || pad) {
        uint h = augment_hash(seed, step, (uint)(base + (int)i)), span = 2u * (uint)pad + 1u;
        if (flip && (h & 1u))
            col = W - 1 - col;
        r += (int)((h >> 8) % span) - pad;
        col += (int)((h >> 20) % span) - pad;
    }
    float v = 0.0f;
    if (r >= 0 && r < H && col >= 0 && col < W)
        v = (float)images[((src * (size_t)H + (size_t)r) * (size_t)W + (size_t)col) *
                          (size_t)channels + c];
    x[gid] = v * lane(scale, c) + lane(offset, c);
    if (c == 0 && p == 0)
        y[i] = labels[src];
}
