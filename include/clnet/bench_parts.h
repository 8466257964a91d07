/* bench_parts.h: what the three parts of `clnet bench` share: bench.c (the driver and a row per
 * op of the network), bench_peak.c (the device's limits, kernels/peak.cl) and bench_out.c (the
 * table, JSON and CSV). */
#ifndef CLNET_BENCH_PARTS_H
#define CLNET_BENCH_PARTS_H

#include <stdint.h>
#include <stdio.h>

#include "clnet/batch.h"
#include "clnet/bench.h"
#include "clnet/capture.h"
#include "clnet/init.h"
#include "clnet/net.h"

typedef struct {
    double gflops;      /* best of float, float4, float8, float16 FMA */
    int fma_width;
    double read, write, copy; /* GB/s */
    double launch_us;
} peaks;

typedef struct {
    char name[32], variant[40];
    int used;        /* what training runs */
    int failed;      /* validation failed: not timed */
    double err;      /* validation error */
    double flops, bytes;
    double min_ms, med_ms;
    double first_ms; /* the warm-up call, host clock: compiles and first-touch included */
} row;

typedef struct bench_ctx {
    clrt rt;
    net nt;
    int B, repeat;
    device_data data;   /* synthetic images for the whole-step row */
    cl_mem nchw_in, nchw_out; /* the NCHW alternatives' input and output */
    cl_mem col;         /* conv workspace for every algorithm (the net's fits only its own), fc's */
    enum conv_algo algo; /* the conv rows' algorithm being timed (CONV_AUTO: the net's) */
    cl_mem scratch;     /* bias / SGD targets, so the network's tensors stay intact */
    cl_mem stats, status;
    rng_t rng;
    row *rows;
    int nrows, cap;
    int dry;                /* rows are counted, not run: does --filter match any? */
    double first_gemm_s; /* first CLBlast GEMM call, compile included */
    capture hcap;       /* the histogram capture of clnet train (64 bins, own ranges) */
    hist_stats *hs;
    uint32_t *hb;
} bench_ctx;

/* bench_peak.c: the FMA peak, the memory bandwidths and the launch latency of rt's device. */
void bench_peaks(clrt *rt, peaks *p);
/* Sorts v[0..n) ascending; returns its median. */
double bench_sort(double *v, int n);

/* bench_out.c: --json and --csv checked before any timing (files bench may replace, room beside
 * them); then the table on stdout (unless "-" takes it) and the files. */
void bench_check_outputs(const bench_opts *o);
void bench_report(const bench_ctx *c, const peaks *p, const bench_opts *o);

#endif
