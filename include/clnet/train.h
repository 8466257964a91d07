/* train.h: the training run: data on the device, the step loop, logging and the test pass. */
#ifndef CLNET_TRAIN_H
#define CLNET_TRAIN_H

#include <stdint.h>

#include "clnet/checkpoint.h"
#include "clnet/data.h"
#include "clnet/hist.h"
#include "clnet/init.h"
#include "clnet/net.h"
#include "clnet/ops.h"

enum { LR_CONSTANT, LR_STEP, LR_COSINE };

#define CLNET_DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

typedef struct {
    const char *data_dir;   /* IDX, CIFAR or image folder (data.h) */
    image_opts image;       /* --channels, --resize */
    int normalize;          /* subtract the training set's channel means, divide by the sds */
    struct {
        int flip, pad;      /* --augment flip,crop:P (0: none) */
    } augment;
    double val_split;       /* --val-split F: hold out this share of the training set */
    long val_count;         /* --val N: or this many images (0: no validation) */
    long val_every;         /* validate every N steps too (0: at each epoch's end only) */
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
    optim_hparams optim;    /* --optimizer and its settings */
    int lr_schedule;        /* LR_CONSTANT, LR_STEP, LR_COSINE */
    double lr_decay;        /* step: factor */
    long lr_decay_every;    /* step: every N steps; 0: every epoch */
    /* output (report.h) and histograms (capture.h) */
    const char *out_dir;    /* NULL: runs/<date-time> */
    int no_output;          /* write no files */
    int no_tensorboard;     /* no event file in the folder */
    long hist_every;        /* capture every N steps, plus the first and last; 0: never */
    int hist_grads;         /* also each weight tensor's gradient */
    int hist_log;           /* log counts */
    int hist_shared;        /* one x range over all conv pre-activations */
    int hist_bins;
    int check_finite;       /* probe every tensor after every step */
    long test_images;       /* evaluate on the first N test images; 0: all */
    const char *command;    /* the command line, for the report */
    const char *label;      /* image titles; NULL: "init <kind>" */
    /* checkpoints (checkpoint.h) */
    const char *save_path;  /* NULL: none */
    long save_every;        /* and at the end */
    const char *resume_path;
    double mpi_timeout;     /* seconds a rank waits for the others (dist.h) */
} train_opts;

/* clnet eval: a checkpoint's test cost and accuracy. */
typedef struct {
    const char *model, *data_dir, *device, *kernel_dir;
    image_opts image;       /* --channels, --resize */
    int batch;              /* 0: the checkpoint's */
    long test_images;       /* 0: all */
} eval_opts;

/* What a run gives back (for clnet study). */
typedef struct {
    int status;             /* the process exit status */
    char *spec;             /* every layer of the network trained */
    long steps;
    double test_cost, test_acc; /* NaN when the run stopped early */
    double images_per_s;
    int ntensors, nbins;
    char (*names)[32];
    hist_stats *stats0;     /* the first capture (step 0), NULL without histograms */
    uint32_t *bins0;
    long ncost;
    float *cost;            /* training batch cost of steps 0 .. ncost-1 (NaN: not recorded) */
    char *out_dir;          /* NULL without output */
    char *report;           /* index.html, NULL when it could not be written */
} train_result;

/* The defaults of clnet train. */
train_opts train_defaults(void);
/* Runs a whole training: returns the process exit status (0; EXIT_DIVERGED; 1 when an output
 * file could not be written, after the results are printed). Bad input and device failures exit
 * through die(). res may be NULL. */
int train_run(const train_opts *o, train_result *res);
void train_result_free(train_result *res);
int eval_run(const eval_opts *o);
/* A checkpoint and its network (parsed, no buffers), checked to agree; exits naming path. */
void model_load(const char *path, checkpoint *c, net *nt);
/* What the gather makes of a checkpoint's input bytes: its normalization or pixels / 255. */
pixel_map model_pixel_map(const checkpoint *c);

#endif
