/* hist.h: statistics and histograms of device tensors, computed on the device (kernels/hist.cl):
 * a capture enqueues stats for every slot, then the bin ranges, then the bins, and reads back
 * only those: a few numbers and nbins counts per tensor. Also the --check-finite probe. */
#ifndef CLNET_HIST_H
#define CLNET_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/clrt.h"
#include "clnet/stats.h"

#define HIST_PARTS 256     /* work-items of the first reduction stage */
#define HIST_MAX_BINS 1024 /* bins live in local memory during counting */
#define HIST_GROUPS 64     /* work-groups of the counting kernel */

typedef struct {
    int nslots, nbins;
    int chunked;             /* each work-item a contiguous share (CPUs) or every P-th value */
    cl_mem part_f, part_i;   /* HIST_PARTS partial records */
    cl_mem stats_f, stats_i; /* (nslots, 4) each, see kernels/hist.cl */
    cl_mem group;            /* (nslots) ints: -1 own range, else a shared-range group */
    cl_mem range;            /* (nslots, 3): lo, hi, scale */
    cl_mem bins;             /* (nslots, nbins) counts */
} hist_dev;

/* group: nslots entries (-1: the slot's own range; g >= 0: one range over all slots of group g). */
void hist_alloc(clrt *rt, hist_dev *h, int nslots, int nbins, const int *group);
void hist_free(hist_dev *h);
/* Enqueues the statistics of x[off .. off+n) into slot. */
void hist_stats_enqueue(clrt *rt, hist_dev *h, int slot, cl_mem x, size_t off, size_t n);
/* Enqueues the bin ranges of all slots (after their statistics) and clears the bins. */
void hist_range_enqueue(clrt *rt, hist_dev *h);
/* Enqueues the counting of x[off .. off+n) into slot's bins (after hist_range_enqueue). */
void hist_bins_enqueue(clrt *rt, hist_dev *h, int slot, cl_mem x, size_t off, size_t n);
/* Waits for and reads every slot's statistics and bins (nslots * nbins counts). */
void hist_read(clrt *rt, hist_dev *h, hist_stats *stats, uint32_t *bins);

/* Enqueues the --check-finite probe of x[off .. off+n) for tensor index `tensor` at `step`:
 * flag = {first step, first tensor} (INT_MAX each until found); status[0] is latched. */
void finite_check(clrt *rt, cl_mem flag, cl_mem status, cl_mem x, size_t off, size_t n, int step,
                  int tensor);

#endif
