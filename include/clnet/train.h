/* train.h: the training run: data on the device, the step loop, logging and the test pass. */
#ifndef CLNET_TRAIN_H
#define CLNET_TRAIN_H

#include <stdint.h>

#include "clnet/init.h"

typedef struct {
    const char *data_dir;   /* MNIST-layout folder */
    const char *device;     /* selector, NULL for the default */
    const char *kernel_dir; /* NULL: embedded kernels */
    const char *spec;       /* network spec (net.h) */
    long steps;             /* 0: from epochs */
    long epochs;            /* 0: from steps; both 0: one epoch */
    int batch;
    double lr;
    uint64_t seed;
    long log_every;
    init_kind init;
    double init_scale;
    int shuffle;
} train_opts;

/* Runs a whole training: returns the process exit status (0, or EXIT_DIVERGED). Bad input and
 * device failures exit through die(). */
int train_run(const train_opts *o);

#endif
