/* hist.c: tensor statistics and histograms on the device; see kernels/hist.cl for the layout. */
#include "clnet/hist.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "clnet/util.h"

/* Contiguous shares per work-item on CPUs, interleaved on GPUs (hist.cl). */
static int chunked(const clrt *rt)
{
    return (rt->device_type & CL_DEVICE_TYPE_CPU) != 0;
}

void hist_alloc(clrt *rt, hist_dev *h, int nslots, int nbins, const int *group)
{
    if (nbins < 1 || nbins > HIST_MAX_BINS)
        die("internal error: %d histogram bins (1..%d)", nbins, HIST_MAX_BINS);
    h->nslots = nslots;
    h->nbins = nbins;
    h->chunked = chunked(rt);
    size_t rec = 4 * sizeof(float);
    h->part_f = clrt_buffer(rt, HIST_PARTS * rec, "histogram partials");
    h->part_i = clrt_buffer(rt, HIST_PARTS * rec, "histogram partials");
    h->stats_f = clrt_buffer(rt, (size_t)nslots * rec, "histogram statistics");
    h->stats_i = clrt_buffer(rt, (size_t)nslots * rec, "histogram statistics");
    h->group = clrt_buffer(rt, (size_t)nslots * sizeof(int), "histogram groups");
    h->range = clrt_buffer(rt, (size_t)nslots * 3 * sizeof(float), "histogram ranges");
    h->bins = clrt_buffer(rt, (size_t)nslots * nbins * sizeof(uint32_t), "histogram bins");
    clrt_upload(rt, h->group, 0, (size_t)nslots * sizeof(int), group);
}

void hist_free(hist_dev *h)
{
    cl_mem *bufs[] = {&h->part_f, &h->part_i, &h->stats_f, &h->stats_i, &h->group, &h->range,
                      &h->bins};
    for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++)
        if (*bufs[k])
            clReleaseMemObject(*bufs[k]);
    h->nslots = 0;
}

/* Sets the (x, off, n) arguments 0..2 that every kernel of hist.cl starts with, and returns
 * the kernel. Kernels index with int: the tensor must lie below 2^31 floats. */
static cl_kernel tensor_args(clrt *rt, enum kernel_id id, cl_mem x, size_t off, size_t n)
{
    if (off > INT_MAX || n > (size_t)INT_MAX - off)
        die("a tensor of %zu floats at offset %zu is too large for the histogram kernels", n, off);
    cl_kernel k = rt->kernels[id];
    karg_mem(k, 0, x);
    karg_int(k, 1, (int)off);
    karg_int(k, 2, (int)n);
    return k;
}

void hist_stats_enqueue(clrt *rt, hist_dev *h, int slot, cl_mem x, size_t off, size_t n)
{
    cl_kernel k = tensor_args(rt, K_hist_partial, x, off, n);
    karg_mem(k, 3, h->part_f);
    karg_mem(k, 4, h->part_i);
    karg_int(k, 5, h->chunked);
    clrt_launch(rt, K_hist_partial, HIST_PARTS, 0);
    k = rt->kernels[K_hist_final];
    karg_mem(k, 0, h->part_f);
    karg_mem(k, 1, h->part_i);
    karg_int(k, 2, HIST_PARTS);
    karg_mem(k, 3, h->stats_f);
    karg_mem(k, 4, h->stats_i);
    karg_int(k, 5, slot);
    clrt_launch(rt, K_hist_final, 1, 0);
}

void hist_range_enqueue(clrt *rt, hist_dev *h)
{
    cl_kernel k = rt->kernels[K_hist_range];
    karg_mem(k, 0, h->stats_f);
    karg_mem(k, 1, h->stats_i);
    karg_mem(k, 2, h->group);
    karg_int(k, 3, h->nslots);
    karg_int(k, 4, h->nbins);
    karg_mem(k, 5, h->range);
    clrt_launch(rt, K_hist_range, 1, 0);
    clrt_fill_zero(rt, h->bins, (size_t)h->nslots * h->nbins * sizeof(uint32_t));
}

void hist_bins_enqueue(clrt *rt, hist_dev *h, int slot, cl_mem x, size_t off, size_t n)
{
    cl_kernel k = tensor_args(rt, K_hist_bins, x, off, n);
    karg_mem(k, 3, h->range);
    karg_int(k, 4, slot);
    karg_int(k, 5, h->nbins);
    karg_mem(k, 6, h->bins);
    karg_local(k, 7, (size_t)h->nbins * sizeof(uint32_t));
    karg_int(k, 8, h->chunked);
    /* CPUs: groups of one work-item, which count without atomics */
    clrt_launch_groups(rt, K_hist_bins, HIST_GROUPS, h->chunked ? 1 : 256);
}

void hist_read(clrt *rt, hist_dev *h, hist_stats *stats, uint32_t *bins)
{
    size_t ns = (size_t)h->nslots;
    float *f = xmalloc(ns * 7 * sizeof(float));
    uint32_t *u = xmalloc(ns * 4 * sizeof(uint32_t));
    CL_CHECK(clEnqueueReadBuffer(rt->queue, h->stats_f, CL_FALSE, 0, ns * 4 * sizeof(float), f,
                                 0, NULL, NULL));
    CL_CHECK(clEnqueueReadBuffer(rt->queue, h->range, CL_FALSE, 0, ns * 3 * sizeof(float),
                                 f + 4 * ns, 0, NULL, NULL));
    CL_CHECK(clEnqueueReadBuffer(rt->queue, h->stats_i, CL_FALSE, 0, ns * 4 * sizeof(uint32_t), u,
                                 0, NULL, NULL));
    clrt_download(rt, h->bins, 0, ns * h->nbins * sizeof(uint32_t), bins);
    for (size_t t = 0; t < ns; t++) {
        hist_stats *s = &stats[t];
        s->count = u[4 * t];
        s->le0 = u[4 * t + 1];
        s->nonfinite = u[4 * t + 2];
        s->min = s->count ? f[4 * t] : 0;
        s->max = s->count ? f[4 * t + 1] : 0;
        s->mean = s->count ? f[4 * t + 2] : 0;
        s->std = s->count ? sqrt(fmax(0.0, (double)f[4 * t + 3] / (double)s->count)) : 0;
        s->lo = f[4 * ns + 3 * t];
        s->hi = f[4 * ns + 3 * t + 1];
        s->scale = f[4 * ns + 3 * t + 2];
    }
    free(f);
    free(u);
}

void finite_check(clrt *rt, cl_mem flag, cl_mem status, cl_mem x, size_t off, size_t n, int step,
                  int tensor)
{
    cl_kernel k = tensor_args(rt, K_finite_check, x, off, n);
    karg_int(k, 3, step);
    karg_int(k, 4, tensor);
    karg_mem(k, 5, flag);
    karg_mem(k, 6, status);
    karg_int(k, 7, chunked(rt));
    clrt_launch(rt, K_finite_check, HIST_PARTS * 4, 0);
}
