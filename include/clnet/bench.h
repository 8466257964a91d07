/* bench.h: `clnet bench`: the device's measured limits, then every kernel of a training step of a
 * network (--arch) at its real shapes, each validated against the plain-C reference before it is
 * timed. */
#ifndef CLNET_BENCH_H
#define CLNET_BENCH_H

typedef struct {
    const char *spec;       /* --arch: the network, on input[0] x input[1] images of input[2]
                               channels */
    const char *device;     /* selector, NULL for the default */
    const char *kernel_dir; /* NULL: embedded kernels */
    const char *filter;     /* substring of the op name, NULL for all */
    const char *json_path;  /* write JSON here ("-": stdout instead of the table) */
    const char *csv_path;   /* write CSV here ("-": stdout instead of the table) */
    int batch;
    int repeat;
    int input[3];           /* --input WxHxC: the synthetic images (28x28x1) */
    int classes;            /* --classes K: the classifier's outputs (10) */
} bench_opts;

/* Returns the exit status: 0, or 1 when any kernel failed its validation. */
int bench_run(const bench_opts *o);

#endif
