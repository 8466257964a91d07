/* bench.h: `clnet bench`: the device's measured limits, then every kernel of a training step of a
 * network (--arch) at its real shapes, each validated against the plain-C reference before it is
 * timed. */
#ifndef CLNET_BENCH_H
#define CLNET_BENCH_H

typedef struct {
    const char *spec;       /* --arch: the network, on 28 x 28 images */
    const char *device;     /* selector, NULL for the default */
    const char *kernel_dir; /* NULL: embedded kernels */
    const char *filter;     /* substring of the op name, NULL for all */
    const char *json_path;  /* write JSON here ("-": stdout instead of the table) */
    const char *csv_path;   /* write CSV here ("-": stdout instead of the table) */
    int batch;
    int repeat;
} bench_opts;

/* Returns the exit status: 0, or 1 when any kernel failed its validation. */
int bench_run(const bench_opts *o);

#endif
