/* study.h: clnet study init: the same network trained once per initialisation (same data order
 * and seed), a table in the original's form, each run's step-0 ranges, and a side-by-side figure
 * (rows = inits, columns = tensors, one x range per column). */
#ifndef CLNET_STUDY_H
#define CLNET_STUDY_H

#include "clnet/train.h"

#define STUDY_MAX_INITS 8

typedef struct {
    train_opts base;       /* data, device, seed, output and histogram settings */
    init_kind inits[STUDY_MAX_INITS];
    int ninits;
    int seed_recipe;       /* 1: the original's settings; 0: the short default */
    long steps;            /* overrides of the recipe, 0: the recipe's */
    int batch;
    double lr;
} study_opts;

int study_init_run(const study_opts *o);

#endif
