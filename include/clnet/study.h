/* study.h: comparisons in one command. Every run of a study trains the same network from the same
 * seed on the same data order; only the thing compared changes.
 *   clnet study init:  one run per initialisation; the original's table, each run's step-0 ranges
 *                      and a side-by-side figure (rows = inits, columns = tensors).
 *   clnet study optim: one run per optimizer (and learning rate); a table and the training cost
 *                      over steps of every run in one plot.
 * Each run writes its own report under DIR/<name>/; DIR/index.html shows the comparison. */
#ifndef CLNET_STUDY_H
#define CLNET_STUDY_H

#include "clnet/train.h"

#define STUDY_MAX_RUNS 8

typedef struct {
    optim_kind kind;
    double lr;
} study_optim;

typedef struct {
    train_opts base;       /* network, data, device, seed, output and histogram settings */
    init_kind inits[STUDY_MAX_RUNS];   /* study init */
    int ninits;
    study_optim optims[STUDY_MAX_RUNS]; /* study optim */
    int noptims;
    int full_recipe;       /* init: the original's settings; optim: one epoch at batch 100;
                              0: the short default */
    long steps;            /* overrides of the recipe, 0: the recipe's */
    int batch;
    double lr;             /* study init: one rate for every init */
} study_opts;

/* The rate a study optim run gets without one: 0.01 (sgd, momentum), 0.001 (adam). */
double study_default_lr(optim_kind k);
int study_init_run(const study_opts *o);
int study_optim_run(const study_opts *o);

#endif
