/* prep.c: what a data set becomes before the network sees it: the pixel maps of the batch
 * gather (pixels / 255, --normalize's channel statistics), the augmentation draws and the
 * gather's plain-C reference, and the validation split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "clnet/init.h"
#include "clnet/util.h"

pixel_map pixel_map_plain(void)
{
    pixel_map m = {{0}, {0}, 0, 0, 0};
    for (int c = 0; c < 4; c++)
        m.scale[c] = 1.0f / 255.0f;
    return m;
}

pixel_map pixel_map_normalized(const float *mean, const float *sd, int C)
{
    pixel_map m = pixel_map_plain();
    for (int c = 0; c < C; c++) {
        m.scale[c] = (float)(1.0 / (255.0 * sd[c]));
        m.offset[c] = (float)(-mean[c] / sd[c]);
    }
    return m;
}

void dataset_channel_stats(const dataset *d, float *mean, float *sd)
{
    size_t C = (size_t)d->channels, n = dataset_bytes(d) / C;
    for (size_t c = 0; c < C; c++) {
        uint64_t sum = 0, sq = 0; /* exact: 255^2 x 2^40 values fit */
        for (size_t i = 0; i < n; i++) {
            uint64_t v = d->pixels[i * C + c];
            sum += v, sq += v * v;
        }
        double m = (double)sum / (double)n, var = (double)sq / (double)n - m * m;
        double s = var > 1.0 ? sqrt(var) : 255.0; /* under one grey level: a constant channel */
        mean[c] = (float)(m / 255.0);
        sd[c] = (float)(s / 255.0);
    }
}

uint32_t augment_hash(uint32_t seed, uint32_t step, uint32_t i)
{
    uint32_t h = seed ^ (step * 0x9E3779B9u) ^ (i * 0x85EBCA6Bu);
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    h ^= h >> 16;
    return h;
}

void dataset_gather(const dataset *d, const int *order, int first, int n, const pixel_map *m,
                    uint32_t step, float *out)
{
    int H = d->rows, W = d->cols, C = d->channels;
    size_t pix = (size_t)H * W;
    for (int i = 0; i < n; i++) {
        uint32_t h = augment_hash(m->seed, step, (uint32_t)i), span = 2u * (uint32_t)m->pad + 1u;
        int flip = m->flip && (h & 1u), dy = 0, dx = 0;
        if (m->flip || m->pad)
            dy = (int)((h >> 8) % span) - m->pad, dx = (int)((h >> 20) % span) - m->pad;
        const uint8_t *img = d->pixels + (size_t)order[first + i] * pix * C;
        for (int c = 0; c < C; c++)
            for (int r = 0; r < H; r++)
                for (int col = 0; col < W; col++) {
                    int sr = r + dy, sc = (flip ? W - 1 - col : col) + dx;
                    float v = sr >= 0 && sr < H && sc >= 0 && sc < W
                                  ? (float)img[((size_t)sr * W + sc) * C + c] : 0.0f;
                    out[((size_t)c * n + i) * pix + (size_t)r * W + col] =
                        v * m->scale[c] + m->offset[c];
                }
    }
}

void dataset_subset(const dataset *src, const int *idx, int n, dataset *out)
{
    size_t image = dataset_bytes(src) / (size_t)src->count;
    *out = *src;
    out->count = n;
    out->pixels = xmalloc((size_t)(n ? n : 1) * image);
    out->labels = xmalloc((size_t)(n ? n : 1) * sizeof *out->labels);
    for (int i = 0; i < n; i++) {
        memcpy(out->pixels + (size_t)i * image, src->pixels + (size_t)idx[i] * image, image);
        out->labels[i] = src->labels[idx[i]];
    }
    out->names = NULL;
    if (src->names) {
        out->names = xmalloc(src->names_len);
        memcpy(out->names, src->names, src->names_len);
    }
}

static int ascending(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

void dataset_split(dataset *d, int n, uint64_t seed, dataset *val)
{
    int *idx = xmalloc((size_t)d->count * sizeof *idx);
    for (int i = 0; i < d->count; i++)
        idx[i] = i;
    rng_t r;
    rng_seed(&r, seed);
    rng_permute(&r, idx, d->count);
    int keep = d->count - n;
    qsort(idx, (size_t)keep, sizeof *idx, ascending);
    qsort(idx + keep, (size_t)n, sizeof *idx, ascending);
    dataset train;
    dataset_subset(d, idx, keep, &train);
    dataset_subset(d, idx + keep, n, val);
    dataset_free(d);
    *d = train;
    free(idx);
}
