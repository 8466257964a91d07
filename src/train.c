/* train.c: data on the device, the step loop with one host wait per logged step, progress,
 * and evaluation on the test set. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/train.h"

#include <errno.h>
#include <sys/stat.h>
#include <limits.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clnet/batch.h"
#include "clnet/capture.h"
#include "clnet/checkpoint.h"
#include "clnet/clrt.h"
#include "clnet/confusion.h"
#include "clnet/data.h"
#include "clnet/files.h"
#include "clnet/dist.h"
#include "clnet/net.h"
#include "clnet/parallel.h"
#include "clnet/report.h"
#include "clnet/stop.h"
#include "clnet/util.h"

/* Images in evaluation batch b of count images: full batches, then the remainder. */
static int eval_batch_size(int count, int batch, int b)
{
    int left = count - b * batch;
    return left < batch ? left : batch;
}

/* Waits for what was enqueued before the previous call: the host stays one batch ahead of the
 * device, so a signal is answered within a batch. */
static void pace_queue(clrt *rt, cl_event *inflight)
{
    cl_event done;
    CL_CHECK(clEnqueueMarkerWithWaitList(rt->queue, 0, NULL, &done));
    CL_CHECK(clFlush(rt->queue));
    if (*inflight) {
        CL_CHECK(clWaitForEvents(1, inflight));
        clReleaseEvent(*inflight);
    }
    *inflight = done;
}

/* The summed cost and the number correct over count images of a data set from its image first,
 * forward only, and each image's predicted class into pred (count ints; NULL: not wanted).
 * Returns 0, or the signal that stopped it (stop.h) before the end. */
static int evaluate_part(clrt *rt, net *nt, device_data *dd, int first, int count,
                         double *sum_cost, double *sum_correct, int *pred)
{
    *sum_cost = *sum_correct = 0;
    if (count == 0)
        return stop_requested();
    int nb = (count + nt->batch - 1) / nt->batch;
    cl_mem stats = clrt_buffer(rt, (size_t)nb * 2 * sizeof(float), "evaluation statistics");
    cl_mem dpred = pred ? clrt_buffer(rt, (size_t)count * sizeof(int), "predicted classes") : NULL;
    cl_event inflight = NULL;
    for (int b = 0; b < nb && !stop_requested(); b++) {
        int n = eval_batch_size(count, nt->batch, b);
        batch_gather(rt, nt->x, nt->y, dd, first + b * nt->batch, n, 0);
        net_forward(rt, nt, n);
        net_loss(rt, nt, stats, stats, b, n, 0);
        if (pred)
            net_predictions(rt, nt, dpred, b * nt->batch, n);
        pace_queue(rt, &inflight);
    }
    clrt_finish(rt);
    if (inflight)
        clReleaseEvent(inflight);
    int sig = stop_requested();
    if (pred) {
        if (!sig)
            clrt_download(rt, dpred, 0, (size_t)count * sizeof(int), pred);
        clReleaseMemObject(dpred);
    }
    float *h = xmalloc((size_t)nb * 2 * sizeof(float));
    clrt_download(rt, stats, 0, (size_t)nb * 2 * sizeof(float), h);
    double sum = 0, correct = 0;
    for (int b = 0; b < nb; b++) {
        sum += (double)h[2 * b] * eval_batch_size(count, nt->batch, b);
        correct += h[2 * b + 1];
    }
    free(h);
    clReleaseMemObject(stats);
    *sum_cost = sum;
    *sum_correct = correct;
    return sig;
}

/* Mean cost and accuracy over the first count images of a data set, each rank evaluating its
 * share, and each image's predicted class into pred (count ints on rank 0; NULL: not wanted).
 * Returns 0, or the signal that stopped it (stop.h) before the end on any rank. */
static int evaluate(clrt *rt, net *nt, device_data *dd, int count, double *cost,
                    double *acc, int *pred)
{
    int first, n;
    par_share(count, dist_rank(), &first, &n);
    int *mine = pred && dist_size() > 1 ? xmalloc((size_t)(n ? n : 1) * sizeof *mine) : pred;
    double sums[2];
    int sig = evaluate_part(rt, nt, dd, first, n, &sums[0], &sums[1], mine);
    dist_sum_double(sums, 2, "the sums of an evaluation");
    long any = sig;
    dist_max_long(&any, 1, "the end of an evaluation");
    if (mine != pred) {
        int *counts = xmalloc((size_t)dist_size() * sizeof *counts);
        for (int r = 0, at; r < dist_size(); r++)
            par_share(count, r, &at, &counts[r]);
        if (!any)
            dist_gather_ints(mine, n, pred, counts, "the predicted classes");
        free(counts);
        free(mine);
    }
    *cost = sums[0] / count;
    *acc = sums[1] / count;
    return (int)any; /* the largest signal of any rank: the same on every one */
}

#define RING_MAX 4096 /* the host reads the step costs at least this often */

/* Shuffled epoch orders: two host arrays so one can be filled while the other uploads. */
typedef struct {
    int *host[2];
    cl_event pending[2];
    rng_t rng;
    rng_t start; /* rng before the current epoch's shuffle, for checkpoints */
    int shuffle;
} epoch_order;

static void order_next_epoch(clrt *rt, epoch_order *eo, device_data *dd, long epoch)
{
    int k = (int)(epoch & 1);
    if (eo->pending[k]) {
        CL_CHECK(clWaitForEvents(1, &eo->pending[k])); /* done long ago: an epoch has passed */
        clReleaseEvent(eo->pending[k]);
        eo->pending[k] = NULL;
    }
    int *o = eo->host[k];
    for (int i = 0; i < dd->count; i++)
        o[i] = i;
    eo->start = eo->rng;
    rng_permute(&eo->rng, o, dd->count);
    batch_set_order(rt, dd, o, &eo->pending[k]);
}

/* ---- progress on a terminal ---- */

typedef struct {
    int on;            /* stderr is a terminal */
    cl_event *marks;   /* one marker per step of the current log interval */
    long first_step;   /* step of marks[0] */
    int count;
    long total_steps;
    double t0;         /* start of training */
} progress;

static void progress_mark(clrt *rt, progress *p, long step)
{
    if (!p->on)
        return;
    if (p->count == 0)
        p->first_step = step;
    CL_CHECK(clEnqueueMarkerWithWaitList(rt->queue, 0, NULL, &p->marks[p->count++]));
}

static int event_done(cl_event e)
{
    cl_int st;
    CL_CHECK(clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
    if (st < 0)
        cl_check(st, "a training step on the device", __FILE__, __LINE__, NULL);
    return st == CL_COMPLETE;
}

static void progress_draw(const progress *p, long done)
{
    double el = now_seconds() - p->t0, frac = (double)done / (double)p->total_steps;
    double eta = done > 0 ? el / (double)done * (double)(p->total_steps - done) : 0;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r[%s] step %ld/%ld  ETA %02d:%02d ", bar, done, p->total_steps,
            (int)(eta / 60), (int)fmod(eta, 60));
    fflush(stderr);
}

/* Reads bytes of buf into dst: the one host wait of a logged step. On a terminal it polls the
 * step markers meanwhile and draws a progress bar. */
static void progress_read(clrt *rt, progress *p, cl_mem buf, size_t bytes, void *dst)
{
    if (!p->on) {
        clrt_download(rt, buf, 0, bytes, dst);
        return;
    }
    cl_event done;
    CL_CHECK(clEnqueueReadBuffer(rt->queue, buf, CL_FALSE, 0, bytes, dst, 0, NULL, &done));
    CL_CHECK(clFlush(rt->queue));
    int seen = 0, drawn = 0;
    while (!event_done(done)) {
        while (seen < p->count && event_done(p->marks[seen]))
            seen++;
        progress_draw(p, p->first_step + seen);
        drawn = 1;
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    clReleaseEvent(done);
    for (int i = 0; i < p->count; i++)
        clReleaseEvent(p->marks[i]);
    p->count = 0;
    if (drawn)
        fprintf(stderr, "\r%60s\r", "");
}

/* ---- the run ---- */

/* The validation images --val-split or --val asks of a training set of count (0: none). */
static int validation_count(const train_opts *o, int count)
{
    long n = o->val_count ? o->val_count : o->val_split > 0 ? lround(o->val_split * count) : 0;
    if (!o->val_count && !(o->val_split > 0))
        return 0;
    if (n < 1)
        die("--val-split %g: %g of the %d training images of %s is not one image", o->val_split,
            o->val_split * count, count, o->data_dir);
    if (n > (long)count - o->batch)
        die("%s %s: %ld validation images of %d leave %ld to train on, fewer than --batch %d",
            o->val_count ? "--val" : "--val-split", o->data_dir, n, count, count - n, o->batch);
    return (int)n;
}

/* An image folder without test/: --val-split or --val then gives the test set. */
static int folder_lacks_test(const char *dir, const dataset *train)
{
    char path[PATH_BUF];
    struct stat st;
    snprintf(path, sizeof path, "%s/test", dir);
    return train->image_folder && stat(path, &st) != 0 && errno == ENOENT;
}

/* The splits, which must agree (and the validation set held out of the training set); returns
 * the number of classes (1 + the largest label). */
static int load_data(const train_opts *o, dataset *train, dataset *test, dataset *val,
                     int *test_is_val)
{
    const char *dir = o->data_dir;
    const image_opts *io = &o->image;
    char err[MSG_BUF];
    if (dataset_read(dir, "train", io, train, err, sizeof err))
        die("%s", err);
    int nval = validation_count(o, train->count);
    if (nval)
        dataset_split(train, nval, o->seed ^ 0x7a11da7e5eedull, val);
    image_opts same = {train->channels, io->w, io->h, io->format}; /* test/ gets the channels of train/ */
    *test_is_val = nval && folder_lacks_test(dir, train);
    if (*test_is_val) {
        int *all = xmalloc((size_t)nval * sizeof *all);
        for (int i = 0; i < nval; i++)
            all[i] = i;
        dataset_subset(val, all, nval, test);
        free(all);
    } else if (dataset_read(dir, "t10k", train->image_folder ? &same : io, test, err,
                            sizeof err)) {
        die("%s%s", err, train->image_folder && !nval ? " (or give --val-split F to test on "
            "held-out training images)" : "");
    }
    if (test->rows != train->rows || test->cols != train->cols ||
        test->channels != train->channels)
        die("%s: test images are %dx%d x%d but training images are %dx%d x%d", dir, test->cols,
            test->rows, test->channels, train->cols, train->rows, train->channels);
    int classes = train->classes > test->classes ? train->classes : test->classes;
    classes = nval && val->classes > classes ? val->classes : classes;
    if (classes < 2)
        die("%s: %s: a single class leaves nothing to learn", dir, train->image_folder ?
            "train/ has one class folder" : "every label is 0");
    return classes;
}

/* "adam (beta1 0.9, beta2 0.999, eps 1e-08), lr 0.001 cosine", for the header and the report. */
static const char *optimizer_text(const train_opts *o)
{
    static char buf[256];
    const optim_hparams *h = &o->optim;
    int n = snprintf(buf, sizeof buf, "%s", optim_name(h->kind));
    if (h->kind == OPT_MOMENTUM)
        n += snprintf(buf + n, sizeof buf - n, " %g", h->momentum);
    else if (h->kind == OPT_ADAM)
        n += snprintf(buf + n, sizeof buf - n, " (beta1 %g, beta2 %g, eps %g)", h->beta1,
                      h->beta2, h->eps);
    if (h->weight_decay > 0)
        n += snprintf(buf + n, sizeof buf - n, ", weight decay %g", h->weight_decay);
    n += snprintf(buf + n, sizeof buf - n, ", lr %g", o->lr);
    if (o->lr_schedule == LR_COSINE)
        snprintf(buf + n, sizeof buf - n, " cosine to 0");
    else if (o->lr_schedule == LR_STEP)
        snprintf(buf + n, sizeof buf - n, " x%g every %s", o->lr_decay, o->lr_decay_every ?
                 "--lr-decay-every steps" : "epoch");
    return buf;
}

/* "classes: airplane, automobile, ... and 4 more": the first names that fit a line. */
static void print_class_names(const dataset *d)
{
    int n = printf("classes: "), k = 0;
    char name[256];
    for (; k < d->classes && n < 80; k++)
        n += printf("%s%s", k ? ", " : "", dataset_class_name(d, k, name, sizeof name));
    if (k < d->classes)
        printf(" and %d more", d->classes - k);
    printf("\n");
}

/* "decoded: 1200 images in 0.13 s on 2 threads", and what the decoded cache did. */
static void print_decoded(const dataset *train, const dataset *test, const dataset *val,
                          int test_is_val)
{
    int n = train->count + val->count + (test_is_val ? 0 : test->count);
    double t = train->decode_seconds + (test_is_val ? 0 : test->decode_seconds);
    const dataset *c = train->cached ? train : test;
    if (train->cached == 1 && (test_is_val || test->cached == 1))
        printf("decoded: %d images read from the decoded cache in %.2f s (%.*s)\n", n, t,
               (int)(strrchr(c->cache_path, '/') - c->cache_path), c->cache_path);
    else
        printf("decoded: %d images in %.2f s on %d threads%s%s%s\n", n, t,
               train->decode_threads > test->decode_threads ? train->decode_threads
                                                             : test->decode_threads,
               c->cached == 2 ? "; kept in the decoded cache " : c->cached == -1 ?
               "; the decoded cache could not be written: " : "",
               c->cached == 2 || c->cached == -1 ? c->cache_path : "",
               c->cached == 2 ? " for next time" : "");
}

static void print_header(const clrt *rt, const train_opts *o, const net *nt,
                         const dataset *train, const dataset *test, const dataset *val,
                         int test_is_val, long steps, long spe)
{
    printf("device: %s / %s (%s)%s\n", rt->platform_name, rt->device_name,
           rt->device_type & CL_DEVICE_TYPE_GPU ? "GPU" : rt->device_type & CL_DEVICE_TYPE_CPU ? "CPU" : "other",
           rt->device_type & CL_DEVICE_TYPE_GPU ? "" : " - not a GPU");
    printf("kernels: %s, built in %.2f s\n", o->kernel_dir ? o->kernel_dir : "embedded",
           rt->build_seconds);
    printf("data: %s: %d training and %d test images of %dx%d x%d, %d classes\n", o->data_dir,
           train->count, test->count, train->cols, train->rows, train->channels, nt->classes);
    if (train->names)
        print_class_names(train);
    if (train->image_folder)
        print_decoded(train, test, val, test_is_val);
    if (val->count)
        printf("validation: %d images held out of the training set (chosen by --seed), at the "
               "end of every epoch%s%s\n", val->count, o->val_every ? " and every --val-every "
               "steps" : "", test_is_val ? "; the folder has no test/: the test pass is on them"
               : "");
    char spec[2 * CLNET_SPEC_MAX + 8];
    printf("network: %s\n", net_describe(nt, o->spec, spec, sizeof spec));
    char conv[PATH_BUF + 512]; /* names the tuned parameters' file */
    printf("convolutions: %s\n", conv_describe(rt, conv, sizeof conv));
    printf("train: %ld steps (%.2f epochs of %ld steps), batch %d, %s, init %s", steps,
           (double)steps / (double)spe, spe, o->batch, optimizer_text(o), init_name(o->init));
    if (o->init == INIT_SCALED)
        printf(" x %g", o->init_scale);
    printf(", seed %llu, %s\n", (unsigned long long)o->seed,
           o->shuffle ? "shuffled each epoch" : "file order");
}

/* "pixels / 255, normalized per channel (mean 0.49 0.48, sd 0.25 0.24); augmented on the device:
 * flip, crop:4 (zero padding)": what the network is fed, for the header and the report. */
static const char *input_text(const train_opts *o, int C, const float *mean, const float *sd)
{
    static char buf[256];
    int n = snprintf(buf, sizeof buf, "pixels / 255");
    if (o->normalize) {
        n += snprintf(buf + n, sizeof buf - n, ", normalized per channel (mean");
        for (int c = 0; c < C; c++)
            n += snprintf(buf + n, sizeof buf - n, " %.4f", mean[c]);
        n += snprintf(buf + n, sizeof buf - n, ", sd");
        for (int c = 0; c < C; c++)
            n += snprintf(buf + n, sizeof buf - n, " %.4f", sd[c]);
        n += snprintf(buf + n, sizeof buf - n, ")");
    }
    if (o->augment.flip || o->augment.pad)
        n += snprintf(buf + n, sizeof buf - n, "; augmented on the device:%s%s",
                      o->augment.flip ? " flip" : "", o->augment.flip && o->augment.pad ? "," : "");
    if (o->augment.pad)
        snprintf(buf + n, sizeof buf - n, " crop:%d (zero padding)", o->augment.pad);
    return buf;
}

/* Everything one training run holds. */
typedef struct {
    const train_opts *o;
    dataset train, test, val; /* val: held out of the training set (count 0: none) */
    int test_is_val;          /* an image folder without test/: the test set is val's copy */
    clrt rt;
    net nt;
    device_data dtrain, dtest, dval;
    long steps, spe;     /* total steps, steps per epoch */
    long ring_len;       /* per-step (cost, correct) slots on the device */
    cl_mem ring, status; /* status[0]: set once a cost was non-finite */
    float *hring;
    epoch_order eo;
    progress pg;
    double t_first;      /* when step 0 was done */
    double step_ms;      /* milliseconds per step over the last log interval, 0 before */
    report rep;
    capture cap;         /* the histogram tensors (ntensors 0 without histograms) */
    capture chk;         /* every tensor, for --check-finite and the divergence diagnosis */
    hist_stats *hs;      /* one capture read back */
    uint32_t *hb;
    cl_mem flag;         /* --check-finite: {first step, first tensor} */
    int hflag[2];
    long start;          /* first step to run (after --resume) */
    cl_event inflight;   /* end of the previous step: the host runs at most one step ahead */
    /* --save */
    int save_lock;       /* save_path.lock, held for the run (files.h); -1 without --save */
    char save_lock_path[PATH_BUF];
    long saved_step;     /* the step the file at save_path holds from this run, -1: none yet */
    long resumed_step;   /* the step of --resume when it is save_path too, else -1 */
    int save_failures;   /* checkpoints that could not be written */
    char save_err[MSG_BUF]; /* why the last one could not */
    int save_told;       /* the failures were reported in full (after a signal) */
    uint32_t pixels_crc, labels_crc; /* of the training set, with --save or --resume */
    float mean[4], sd[4]; /* --normalize: of the training set's channels */
    double val_seconds;   /* spent validating: not training time */
    /* data parallel (parallel.h): each rank trains on its slice of every global batch */
    int lead;             /* rank 0 (or the only one): logs, histograms, report, checkpoints */
    int ranks;            /* dist_size() */
    int batch;            /* this rank's images of each global batch of o->batch */
    int stop_all;         /* a rank had a stop signal at the last exchange: every rank stops */
    double exchange_seconds; /* in the gradient exchange, over the steps of this run */
    double mpi_seconds;   /* of which in MPI_Allreduce (with the wait for the slowest rank) */
    uint32_t weights_crc; /* the same on every rank at the last log step (CRC-32C) */
} run;

/* The learning rate of step (0-based) out of steps. */
static double lr_at(const train_opts *o, long step, long steps, long spe)
{
    const double pi = 3.14159265358979323846;
    if (o->lr_schedule == LR_STEP)
        return o->lr * pow(o->lr_decay, (double)(step / (o->lr_decay_every ? o->lr_decay_every : spe)));
    if (o->lr_schedule == LR_COSINE)
        return o->lr * 0.5 * (1 + cos(pi * (double)step / (double)steps));
    return o->lr;
}

/* Whether the run stops after this step: a signal here or, on several ranks, one that any rank
 * had at the last exchange, so that every rank stops after the same step. */
static int stopping(const run *r)
{
    return r->ranks > 1 ? r->stop_all : stop_requested();
}

/* This rank's slice of step's global batch into the network's input. */
static void gather_step(run *r, long step)
{
    int first = (int)((step % r->spe) * r->o->batch) + r->dtrain.base;
    batch_gather(&r->rt, r->nt.x, r->nt.y, &r->dtrain, first, r->batch, step);
}

/* Enqueues one whole training step; nothing here waits for the device, but on several ranks
 * the gradient exchange does. */
static void enqueue_step(run *r, long step)
{
    const train_opts *o = r->o;
    clrt *rt = &r->rt;
    if (step % r->spe == 0 && o->shuffle)
        order_next_epoch(rt, &r->eo, &r->dtrain, step / r->spe);
    gather_step(r, step);
    net_forward(rt, &r->nt, r->batch);
    net_loss(rt, &r->nt, r->ring, r->status, (int)(step % r->ring_len), r->batch, 1);
    net_backward(rt, &r->nt, r->batch);
    for (int t = 0; o->check_finite && t < r->chk.ntensors; t++)
        finite_check(rt, r->flag, r->status, r->chk.t[t].buf, r->chk.t[t].off,
                     r->chk.t[t].count, (int)step, t);
    if (r->ranks > 1) {
        clrt_finish(rt); /* so the time below is the exchange's own */
        double t0 = now_seconds();
        r->stop_all = par_exchange(rt, &r->nt, r->status, step, &r->mpi_seconds);
        r->exchange_seconds += now_seconds() - t0;
    }
    net_update(rt, &r->nt, r->status, &o->optim, lr_at(o, step, r->steps, r->spe), step + 1);
}

/* Checks the costs of steps (prev, step] in the ring; returns the first non-finite step or -1. */
static long first_nonfinite(const float *ring, long ring_len, long prev, long step)
{
    for (long s = prev + 1; s <= step; s++)
        if (!isfinite(ring[2 * (s % ring_len)]))
            return s;
    return -1;
}

/* "init he", "init scaled x0.01", or --label's text: in every image title. */
static void run_label(const train_opts *o, char *buf, size_t len)
{
    if (o->label)
        snprintf(buf, len, "%s", o->label);
    else if (o->init == INIT_SCALED)
        snprintf(buf, len, "init scaled x%g", o->init_scale);
    else
        snprintf(buf, len, "init %s", init_name(o->init));
}

static void open_output(run *r)
{
    const train_opts *o = r->o;
    char err[MSG_BUF];
    if (r->lead && !o->no_output && report_open(&r->rep, o->out_dir, err, sizeof err))
        die("%s", err);
    if (r->lead && !o->no_tensorboard)
        report_tensorboard(&r->rep);
    r->rep.steps_per_epoch = r->spe;
    report_setting(&r->rep, "command", "%s", o->command ? o->command : "clnet train");
    report_setting(&r->rep, "device", "%s / %s", r->rt.platform_name, r->rt.device_name);
    report_setting(&r->rep, "data", "%s (%d training, %d test images of %dx%d x%d, %d classes)",
                   o->data_dir, r->train.count, r->test.count, r->train.cols, r->train.rows,
                   r->train.channels, r->nt.classes);
    char spec[2 * CLNET_SPEC_MAX + 8];
    report_setting(&r->rep, "network", "%s (%zu parameters)",
                   net_describe(&r->nt, o->spec, spec, sizeof spec), r->nt.nparams);
    report_setting(&r->rep, "steps", "%ld (%.2f epochs), batch %d", r->steps,
                   (double)r->steps / (double)r->spe, o->batch);
    if (r->ranks > 1)
        report_setting(&r->rep, "data parallel", "%d MPI ranks of %d images of each batch",
                       r->ranks, r->batch);
    report_setting(&r->rep, "input", "%s", input_text(o, r->train.channels, r->mean, r->sd));
    report_setting(&r->rep, "optimizer", "%s", optimizer_text(o));
    if (o->init == INIT_SCALED)
        report_setting(&r->rep, "init", "scaled (N(0,1) x %g)", o->init_scale);
    else
        report_setting(&r->rep, "init", "%s", init_name(o->init));
    report_setting(&r->rep, "seed", "%llu, %s", (unsigned long long)o->seed,
                   o->shuffle ? "shuffled each epoch" : "file order");
    report_setting(&r->rep, "histograms", o->hist_every ? "every %ld steps and the last, %d bins, "
                   "%s range, %s counts%s" : "off", o->hist_every, o->hist_bins,
                   o->hist_shared ? "shared conv" : "own", o->hist_log ? "log" : "linear",
                   o->hist_grads ? ", weight gradients" : "");
}

static void open_captures(run *r)
{
    const train_opts *o = r->o;
    char label[64];
    run_label(o, label, sizeof label);
    tensor_ref *t = xmalloc((size_t)(5 * r->nt.nlayers + 1) * sizeof *t);
    capture_open_list(&r->rt, &r->chk, t, check_tensors(&r->nt, t), 8);
    free(t);
    capture_open(&r->rt, &r->cap, &r->nt, o->hist_grads, o->hist_bins, o->hist_shared);
    int n = r->cap.ntensors > r->chk.ntensors ? r->cap.ntensors : r->chk.ntensors;
    r->hs = xmalloc((size_t)n * sizeof *r->hs);
    r->hb = xmalloc((size_t)n * (o->hist_bins > 8 ? o->hist_bins : 8) * sizeof *r->hb);
    char(*names)[32] = xmalloc((size_t)r->cap.ntensors * sizeof *names);
    for (int i = 0; i < r->cap.ntensors; i++)
        memcpy(names[i], r->cap.t[i].name, sizeof names[i]);
    report_tensors(&r->rep, names, r->cap.ntensors, o->hist_bins, o->hist_log, label);
    free(names);
    r->flag = clrt_buffer(&r->rt, 2 * sizeof(int), "finite flag");
    int none[2] = {INT_MAX, INT_MAX};
    clrt_upload(&r->rt, r->flag, 0, sizeof none, none);
}

/* Writes the state after `next` steps to --save; 0, or -1 when it could not be written (the
 * first failure is reported, later ones are counted). */
static int save_checkpoint(run *r, long next)
{
    const train_opts *o = r->o;
    if (!r->lead)
        return 0;
    checkpoint c;
    memset(&c, 0, sizeof c);
    snprintf(c.spec, sizeof c.spec, "%s", r->nt.spec);
    c.classes = (uint32_t)r->nt.classes;
    c.C = (uint32_t)r->nt.C, c.H = (uint32_t)r->nt.H, c.W = (uint32_t)r->nt.W;
    c.batch = (uint32_t)o->batch, c.shuffle = (uint32_t)o->shuffle, c.init = (uint32_t)o->init;
    c.optim = (uint32_t)o->optim.kind;
    c.seed = o->seed, c.step = (uint64_t)next, c.train_count = (uint64_t)r->train.count;
    c.pixels_crc = r->pixels_crc, c.labels_crc = r->labels_crc;
    if (r->train.names) {
        c.names = xmalloc(r->train.names_len);
        memcpy(c.names, r->train.names, r->train.names_len);
        c.names_len = (uint32_t)r->train.names_len;
    }
    c.normalized = (uint32_t)o->normalize;
    c.flip = (uint32_t)o->augment.flip, c.pad = (uint32_t)o->augment.pad;
    memcpy(c.mean, r->mean, sizeof c.mean);
    memcpy(c.sd, r->sd, sizeof c.sd);
    c.epoch_rng = next % r->spe == 0 ? r->eo.rng : r->eo.start;
    c.lr = o->lr;
    c.nparams = r->nt.nparams;
    c.params = xmalloc(r->nt.nparams * sizeof(float));
    clrt_download(&r->rt, r->nt.params, 0, r->nt.nparams * sizeof(float), c.params);
    c.nstate = (uint64_t)r->nt.nstate * r->nt.nparams;
    c.state = xmalloc((size_t)(c.nstate ? c.nstate : 1) * sizeof(float));
    cl_mem state[2] = {r->nt.m, r->nt.v};
    for (int k = 0; k < r->nt.nstate; k++)
        clrt_download(&r->rt, state[k], 0, r->nt.nparams * sizeof(float),
                      c.state + (size_t)k * r->nt.nparams);
    int rc = ckpt_save(o->save_path, &c, r->save_err, sizeof r->save_err);
    ckpt_free(&c);
    if (rc == 0) {
        r->saved_step = next;
        return 0;
    }
    r->save_failures++;
    return -1;
}

/* What the file at --save holds now, for the last message of a run. */
static void saved_text(const run *r, char *buf, size_t len)
{
    long held = r->saved_step >= 0 ? r->saved_step : r->resumed_step;
    if (held >= 0)
        snprintf(buf, len, "%s holds the state after %ld step%s", r->o->save_path, held,
                 held == 1 ? "" : "s");
    else
        snprintf(buf, len, "no checkpoint was written by this run");
}

/* "--augment flip,crop:4", or "no --augment". */
static const char *augment_text(uint32_t flip, uint32_t pad)
{
    static char buf[64];
    if (!flip && !pad)
        return "no --augment";
    snprintf(buf, sizeof buf, "--augment %s%s", flip ? "flip" : "", flip && pad ? "," : "");
    if (pad)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "crop:%u", pad);
    return buf;
}

/* A checkpoint must be of this network, data and batch order to continue it exactly. */
static void check_resume(const run *r, const checkpoint *c)
{
    const train_opts *o = r->o;
    const char *p = o->resume_path;
    if ((int)c->H != r->train.rows || (int)c->W != r->train.cols || (int)c->C != r->train.channels)
        die("checkpoint %s: made for %ux%u x%u images, %s has %dx%d x%d", p, c->W, c->H, c->C,
            o->data_dir, r->train.cols, r->train.rows, r->train.channels);
    if ((int)c->classes != r->nt.classes)
        die("checkpoint %s: made for %u classes, %s has %d", p, c->classes, o->data_dir,
            r->nt.classes);
    if (c->names_len != r->train.names_len ||
        (c->names_len && memcmp(c->names, r->train.names, c->names_len)))
        die("checkpoint %s: made with other class names than those of %s", p, o->data_dir);
    if (strcmp(c->spec, r->nt.spec))
        die("checkpoint %s: its network is %s, this run's is %s (give --arch %s)", p, c->spec,
            r->nt.spec, c->spec);
    if ((int)c->train_count != r->train.count)
        die("checkpoint %s: made with %llu training images, %s has %d", p,
            (unsigned long long)c->train_count, o->data_dir, r->train.count);
    if (c->has_data_crc && (c->pixels_crc != r->pixels_crc || c->labels_crc != r->labels_crc))
        die("checkpoint %s: made with other training %s than those in %s (checksum %08x, "
            "these %08x)", p, c->pixels_crc != r->pixels_crc ? "images" : "labels", o->data_dir,
            c->pixels_crc != r->pixels_crc ? c->pixels_crc : c->labels_crc,
            c->pixels_crc != r->pixels_crc ? r->pixels_crc : r->labels_crc);
    if ((int)c->batch != o->batch || c->seed != o->seed || (int)c->shuffle != o->shuffle)
        die("checkpoint %s: made with --batch %u --seed %llu%s; give the same to continue it", p,
            c->batch, (unsigned long long)c->seed, c->shuffle ? "" : " --no-shuffle");
    if ((int)c->normalized != o->normalize)
        die("checkpoint %s: made %s --normalize; give the same to continue it", p,
            c->normalized ? "with" : "without");
    if ((int)c->flip != o->augment.flip || (int)c->pad != o->augment.pad)
        die("checkpoint %s: made with %s; give the same to continue it (its augmentation draws "
            "are part of the run)", p, augment_text(c->flip, c->pad));
    if ((int)c->optim != (int)o->optim.kind)
        die("checkpoint %s: made with --optimizer %s; give the same to continue it", p,
            optim_name((optim_kind)c->optim));
    if (c->nparams != r->nt.nparams || c->nstate != (uint64_t)r->nt.nstate * r->nt.nparams)
        die("checkpoint %s: %llu parameters and %llu optimizer values, this network and "
            "optimizer have %zu and %zu", p, (unsigned long long)c->nparams,
            (unsigned long long)c->nstate, r->nt.nparams, (size_t)r->nt.nstate * r->nt.nparams);
    if (!c->has_data_crc)
        printf("note: checkpoint %s is of format 1, which has no checksum of its data set: "
               "check that %s holds the images it was trained on\n", p, o->data_dir);
}

/* --resume, on the host: the checkpoint read and checked against the run. */
static void load_resume(run *r, checkpoint *c)
{
    char err[MSG_BUF];
    if (ckpt_load(r->o->resume_path, c, err, sizeof err))
        die("%s", err);
    check_resume(r, c);
    if (r->o->save_path && same_file(r->o->resume_path, r->o->save_path))
        r->resumed_step = (long)c->step;
}

/* --resume, on the device: the weights, the step and the batch order of the checkpoint. */
static void resume(run *r, checkpoint *c)
{
    clrt_upload(&r->rt, r->nt.params, 0, c->nparams * sizeof(float), c->params);
    cl_mem state[2] = {r->nt.m, r->nt.v};
    for (int k = 0; k < r->nt.nstate; k++)
        clrt_upload(&r->rt, state[k], 0, c->nparams * sizeof(float),
                    c->state + (size_t)k * c->nparams);
    r->start = (long)c->step < r->steps ? (long)c->step : r->steps;
    r->eo.rng = c->epoch_rng;
    if (r->o->shuffle && r->start % r->spe != 0 && r->start < r->steps)
        order_next_epoch(&r->rt, &r->eo, &r->dtrain, r->start / r->spe);
    printf("resumed from %s at step %llu%s\n", r->o->resume_path, (unsigned long long)c->step,
           (long)c->step >= r->steps ? " (nothing left to train)" : "");
}

/* An output inside the train/ or test/ of an image folder would be read as an image next time:
 * refused. */
static void refuse_in_images(const char *flag, const char *path, const char *dir)
{
    for (int i = 0; i < 2 && path; i++) {
        char sub[PATH_BUF], why[256];
        snprintf(sub, sizeof sub, "%s/%s", dir, i ? "test" : "train");
        if (!check_folder(sub, why, sizeof why) && path_inside(path, sub))
            die("%s %s: inside %s, the images of --data; write it elsewhere", flag, path, sub);
    }
}

/* --save, before any work: a file clnet may replace (absent, empty or a checkpoint; not an
 * input, not inside --out), room beside it, and its lock. */
static void check_save(run *r)
{
    const train_opts *o = r->o;
    r->save_lock = -1, r->saved_step = r->resumed_step = -1;
    if (!o->save_path || !r->lead) /* rank 0 writes the checkpoints of a job */
        return;
    char why[MSG_BUF];
    const char *input = dataset_file_of(o->data_dir, o->save_path);
    if (input)
        die("--save %s: is %s of --data %s; clnet does not write over its inputs", o->save_path,
            input, o->data_dir);
    if (o->out_dir && !o->no_output && path_inside(o->save_path, o->out_dir))
        die("--save %s: inside --out %s, where the report writes; save it elsewhere",
            o->save_path, o->out_dir);
    char owner[PATH_BUF + 256];
    long pid = output_owner(o->save_path, owner, sizeof owner);
    if (pid)
        die("--save %s: inside %s, the output folder of another clnet run (pid %ld)",
            o->save_path, owner, pid);
    if (check_output_file(o->save_path, ckpt_is_own, "clnet checkpoint", why, sizeof why))
        die("--save %s: %s", o->save_path, why);
    snprintf(r->save_lock_path, sizeof r->save_lock_path, "%s.lock", o->save_path);
    if ((r->save_lock = lock_take(r->save_lock_path, why, sizeof why)) < 0)
        die("--save %s: %s", o->save_path, why);
}

/* The training set's checksums, which a checkpoint stores and --resume compares. */
static void data_checksums(run *r)
{
    if (r->o->save_path || r->o->resume_path || r->ranks > 1)
        dataset_checksums(&r->train, &r->pixels_crc, &r->labels_crc);
}

/* What every rank of a job must share, a "flag<TAB>value" line each, for par_agree. */
static void settings_text(const run *r, char *buf, size_t len)
{
    const train_opts *o = r->o;
    uint32_t tp = 0, tl = 0, vp = 0, vl = 0;
    dataset_checksums(&r->test, &tp, &tl);
    if (r->val.count)
        dataset_checksums(&r->val, &vp, &vl);
    int n = snprintf(buf, len, "--data\t%d training images (CRC-32 %08x, labels %08x), %d test "
                     "(%08x, %08x)", r->train.count, r->pixels_crc, r->labels_crc, r->test.count,
                     tp, tl);
    if (r->val.count)
        n += snprintf(buf + n, len - (size_t)n, ", %d validation (%08x, %08x)", r->val.count, vp,
                      vl);
    snprintf(buf + n, len - (size_t)n,
             "\n--arch\t%s\n--batch\t%d\n--steps\t%ld\n"
             "--optimizer\t%s\n--init\t%s x %g\n--seed\t%llu, %s\n--normalize\t%s\n"
             "--augment\t%s\n--log-every\t%ld\n--hist-every\t%ld\n--save\t%s every %ld\n"
             "--val-every\t%ld\n--check-finite\t%s\n--test-images\t%ld\n--resume\t%s\n"
             "numbers\tlr %.17g, init scale %.17g, momentum %.9g, betas %.9g %.9g, eps %.9g, "
             "weight decay %.9g, schedule %d x%.17g every %ld\n",
             r->nt.spec, o->batch, r->steps, optimizer_text(o), init_name(o->init),
             o->init_scale, (unsigned long long)o->seed, o->shuffle ? "shuffled" : "file order",
             o->normalize ? "on" : "off", augment_text((uint32_t)o->augment.flip,
             (uint32_t)o->augment.pad), o->log_every, o->hist_every,
             o->save_path ? "on" : "off", o->save_every, o->val_every,
             o->check_finite ? "on" : "off", o->test_images, o->resume_path ? "on" : "off",
             o->lr, o->init_scale, o->optim.momentum, o->optim.beta1, o->optim.beta2,
             o->optim.eps, o->optim.weight_decay, o->lr_schedule, o->lr_decay, o->lr_decay_every);
}

/* Several ranks: the same job on each (else one line from rank 0 and exit 2 everywhere), and a
 * global batch that splits evenly among them. */
static void check_ranks(run *r)
{
    if (r->ranks == 1)
        return;
    char text[4096];
    settings_text(r, text, sizeof text);
    par_agree(text);
    if (r->o->batch % r->ranks) {
        int b = r->o->batch, lo = b - b % r->ranks, hi = lo + r->ranks;
        if (r->lead) {
            fflush(stdout);
            fprintf(stderr, "clnet: --batch %d: the global batch does not split evenly among the "
                    "%d ranks (give a multiple of %d, e.g. %d or %d)\n", b, r->ranks, r->ranks,
                    lo ? lo : hi, lo ? hi : hi + r->ranks);
        }
        dist_fail(EXIT_USAGE);
    }
    r->batch = r->o->batch / r->ranks;
}

/* Everything that can refuse the run, before anything is created: the outputs, the data, the
 * network, the checkpoint to resume, the device and its memory. */
static void run_check(run *r, checkpoint *ck)
{
    const train_opts *o = r->o;
    char err[MSG_BUF];
    if (r->lead && !o->no_output && output_dir_check(o->out_dir, err, sizeof err))
        die("%s", err);
    refuse_in_images("--out", o->no_output ? NULL : o->out_dir, o->data_dir);
    refuse_in_images("--save", o->save_path, o->data_dir);
    check_save(r);
    int classes = load_data(o, &r->train, &r->test, &r->val, &r->test_is_val);
    if (o->batch > r->train.count)
        die("--batch %d is larger than the training set (%d images in %s)", o->batch,
            r->train.count, o->data_dir);
    r->spe = r->train.count / o->batch;
    r->steps = o->steps ? o->steps : (o->epochs ? o->epochs : 1) * r->spe;
    if (net_parse(o->spec, r->train.channels, r->train.rows, r->train.cols, classes, &r->nt, err,
                  sizeof err))
        die_status(EXIT_USAGE, "--arch %s: %s", o->spec, err);
    r->nt.nstate = optim_state_arenas(o->optim.kind);
    int side = r->train.rows < r->train.cols ? r->train.rows : r->train.cols;
    if (o->augment.pad > side / 2)
        die_status(EXIT_USAGE, "--augment crop:%d: more than half the side of the %dx%d images "
                   "of %s (crops would be mostly padding)", o->augment.pad, r->train.cols,
                   r->train.rows, o->data_dir);
    if (o->normalize)
        dataset_channel_stats(&r->train, r->mean, r->sd);
    data_checksums(r);
    if (o->resume_path)
        load_resume(r, ck);
    check_ranks(r);
    stop_poll("before training started (this run wrote nothing)");
}

/* Whether the n data sets fit on the device beside the network at batch (their bytes into
 * *extra): 0, or 1 when they do not and are streamed from host memory a batch at a time (said in
 * a line, with the sizes). */
static int plan_data(clrt *rt, net *nt, int batch, const dataset *const *sets, int n,
                     size_t *extra)
{
    size_t image = dataset_bytes(sets[0]) / (size_t)sets[0]->count, resident = 0, big = 0;
    int used = 0; /* sets with images (no validation set: none to stream) */
    for (int i = 0; i < n; i++) {
        resident += batch_device_bytes(sets[i]->count, image);
        big = dataset_bytes(sets[i]) > big ? dataset_bytes(sets[i]) : big;
        used += sets[i]->count > 0;
    }
    net_choose_algos(rt, nt);
    *extra = resident;
    if (net_plan_fits(rt, nt, batch, resident) && big <= rt->max_alloc)
        return 0;
    *extra = (size_t)used * batch_stream_bytes(batch, image);
    printf("data: streamed from host memory a batch at a time, double-buffered (its %zu MiB do "
           "not fit beside the network's %zu MiB in the %llu MiB of %s)\n", resident >> 20,
           net_plan_bytes(nt, batch, NULL) >> 20, (unsigned long long)(rt->global_mem >> 20),
           rt->device_name);
    return 1;
}

/* d on the device, or streamed from the host (d must then outlive dd). */
static void put_data(clrt *rt, int streamed, int batch, device_data *dd, const dataset *d,
                     const char *what)
{
    if (streamed)
        batch_stream(rt, dd, d, batch, what);
    else
        batch_upload(rt, dd, d, what);
}

#define GRID_IMAGES 64 /* of an augmented batch in the report: 8 x 8 */

/* With --augment, the report shows the first batch as the network gets it (read from its input
 * after the first step was enqueued; the mapping undone to bytes, so a person sees what the
 * flips and crops did). */
static void show_augmented_batch(run *r)
{
    const train_opts *o = r->o;
    if (!r->rep.dir || (!o->augment.flip && !o->augment.pad))
        return;
    const device_data *dd = &r->dtrain;
    int n = r->batch < GRID_IMAGES ? r->batch : GRID_IMAGES, C = dd->channels;
    size_t pix = (size_t)dd->pixels;
    float *x = xmalloc((size_t)C * r->batch * pix * sizeof(float));
    clrt_download(&r->rt, r->nt.x, 0, (size_t)C * r->batch * pix * sizeof(float), x);
    uint8_t *px = xmalloc((size_t)n * pix * C);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            for (size_t p = 0; p < pix; p++) {
                double v = (x[((size_t)c * r->batch + i) * pix + p] - dd->map.offset[c]) /
                           dd->map.scale[c];
                px[((size_t)i * pix + p) * C + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
            }
    canvas cv = image_grid(px, n, dd->H, dd->W, C, 8);
    char title[160];
    snprintf(title, sizeof title, "The first training batch as augmented (%d of %d images, step "
             "%ld)", n, r->batch, r->start);
    report_figure(&r->rep, "augmented-batch.png", title, &cv);
    canvas_free(&cv);
    free(px);
    free(x);
}

static void run_open(run *r, const train_opts *o)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    r->lead = dist_rank() == 0, r->ranks = dist_size(), r->batch = o->batch;
    checkpoint ck;
    memset(&ck, 0, sizeof ck);
    run_check(r, &ck);
    /* read at least once per epoch, so a diverged step's batch order is still at hand */
    r->ring_len = o->log_every < r->steps ? o->log_every : r->steps;
    r->ring_len = r->ring_len < r->spe ? r->ring_len : r->spe;
    r->ring_len = r->ring_len < RING_MAX ? r->ring_len : RING_MAX;
    char sel[64];
    clrt_open(&r->rt, par_device(o->device, sel, sizeof sel), o->kernel_dir);
    print_header(&r->rt, o, &r->nt, &r->train, &r->test, &r->val, r->test_is_val, r->steps,
                 r->spe);
    par_print_devices(&r->rt);
    if (r->ranks > 1)
        printf("data parallel: %d ranks (MPI), %d images each of every batch of %d; gradients "
               "of %.3g MB summed after each step\n", r->ranks, r->batch, o->batch,
               (double)r->nt.nparams * sizeof(float) / 1e6);
    printf("input: %s\n", input_text(o, r->train.channels, r->mean, r->sd));
    const dataset *sets[] = {&r->train, &r->test, &r->val};
    size_t extra;
    int streamed = plan_data(&r->rt, &r->nt, r->batch, sets, 3, &extra);
    net_alloc(&r->rt, &r->nt, r->batch, extra);
    r->nt.grad_norm = o->batch; /* so the ranks' gradients sum to the global batch's mean */
    net_print(&r->nt, stdout);
    put_data(&r->rt, streamed, r->batch, &r->dtrain, &r->train, "training set");
    put_data(&r->rt, streamed, r->batch, &r->dtest, &r->test, "test set");
    if (r->val.count)
        put_data(&r->rt, streamed, r->batch, &r->dval, &r->val, "validation set");
    r->dtrain.base = dist_rank() * r->batch; /* this rank's slice of each global batch */
    if (o->normalize)
        r->dtrain.map = r->dtest.map = r->dval.map =
            pixel_map_normalized(r->mean, r->sd, r->train.channels);
    r->dtrain.map.flip = o->augment.flip, r->dtrain.map.pad = o->augment.pad;
    r->dtrain.map.seed = (uint32_t)(o->seed ^ (o->seed >> 32) ^ 0xa6a6a6a6u);
    net_init_params(&r->rt, &r->nt, o->init, o->init_scale, o->seed);
    for (int k = 0; k < 2; k++)
        r->eo.host[k] = xmalloc((size_t)r->train.count * sizeof(int));
    rng_seed(&r->eo.rng, o->seed ^ 0x5eed0f0da7a0ull);
    if (o->resume_path)
        resume(r, &ck);
    ckpt_free(&ck);
    par_same_weights(&r->rt, &r->nt, "at the start");
    clrt_finish(&r->rt);
    stop_poll("before training started (this run wrote nothing)");
    open_output(r); /* after every check: a refused run leaves nothing behind */
    if (r->rep.dir)
        printf("output: %s\n", r->rep.dir);
    open_captures(r);
    r->ring = clrt_buffer(&r->rt, (size_t)r->ring_len * 2 * sizeof(float), "step statistics");
    r->status = clrt_buffer(&r->rt, sizeof(int), "status");
    clrt_fill_zero(&r->rt, r->status, sizeof(int));
    r->hring = xmalloc((size_t)r->ring_len * 2 * sizeof(float));
    r->pg = (progress){r->lead && isatty(STDERR_FILENO),
                       xcalloc((size_t)r->ring_len, sizeof(cl_event)), 0, 0, r->steps,
                       now_seconds()};
    fflush(stdout);
}

/* Captures the histogram tensors as they are now (after step), prints the table, writes the
 * images, and says what the capture cost next to a training step. */
static void capture_step(run *r, long step)
{
    if (!r->cap.ntensors || !r->lead) /* rank 0's slice of the batch stands for the job's */
        return;
    clrt_finish(&r->rt); /* so the time below is the capture's own */
    double t0 = now_seconds();
    capture_run(&r->rt, &r->cap, r->hs, r->hb);
    double t1 = now_seconds();
    report_capture(&r->rep, step, r->hs, r->hb);
    double t2 = now_seconds();
    printf("histograms at step %ld: capture %.1f ms on the device, images %.0f ms", step,
           1e3 * (t1 - t0), 1e3 * (t2 - t1));
    if (r->step_ms > 0)
        printf(" (a training step takes %.0f ms)", r->step_ms);
    printf("\n");
    print_capture_table(stdout, r->rep.names, r->hs, r->cap.ntensors);
    fflush(stdout);
}

/* Runs step `bad`'s batch again through forward and backward with the weights it saw (updates
 * stopped at that step) and returns the first tensor, in network order, that holds a
 * non-finite value (-1 if none), with its count. */
static int replay_step(run *r, long bad, long now, uint64_t *count)
{
    const train_opts *o = r->o;
    long e = bad / r->spe;
    if (o->shuffle && e != now / r->spe) { /* the ring is read once per epoch: e is now - 1 */
        cl_event up;
        batch_set_order(&r->rt, &r->dtrain, r->eo.host[e & 1], &up);
        if (up) {
            CL_CHECK(clWaitForEvents(1, &up));
            clReleaseEvent(up);
        }
    }
    gather_step(r, bad);
    net_forward(&r->rt, &r->nt, r->batch);
    net_loss(&r->rt, &r->nt, r->ring, r->status, 0, r->batch, 0);
    net_backward(&r->rt, &r->nt, r->batch);
    capture_run(&r->rt, &r->chk, r->hs, r->hb);
    double *found = xmalloc((size_t)r->chk.ntensors * sizeof *found); /* over every rank's slice */
    for (int t = 0; t < r->chk.ntensors; t++)
        found[t] = (double)r->hs[t].nonfinite;
    dist_sum_double(found, (size_t)r->chk.ntensors, "the replay of a diverged step");
    int first = 0;
    while (first < r->chk.ntensors && found[first] == 0)
        first++;
    *count = first < r->chk.ntensors ? (uint64_t)found[first] : 0;
    free(found);
    return first < r->chk.ntensors ? first : -1;
}

/* Names the step and the first non-finite tensor, writes that step's histograms; returns
 * EXIT_DIVERGED. */
static int diverged(run *r, long bad, long now, double cost)
{
    uint64_t count = 0;
    int t = replay_step(r, bad, now, &count);
    char where[160];
    if (t >= 0)
        snprintf(where, sizeof where, "first non-finite values in %s (%llu of %zu)",
                 r->chk.t[t].name, (unsigned long long)count,
                 r->chk.t[t].count * (size_t)r->ranks); /* of every rank's slice */
    else
        snprintf(where, sizeof where, "no tensor of the replayed step is non-finite");
    char cost_s[32] = "";
    if (!isfinite(cost))
        snprintf(cost_s, sizeof cost_s, "the cost is %g; ", cost);
    fflush(stdout);
    if (r->lead)
        fprintf(stderr, "clnet: step %ld: %s%s: training stopped (the weights are those before "
                "step %ld; try a smaller --lr or another --init)\n", bad, cost_s, where, bad);
    report_result(&r->rep, "diverged at step %ld: %s%s", bad, cost_s, where);
    capture_step(r, bad);
    return EXIT_DIVERGED;
}

/* Several ranks: each ring slot's (cost, correct) over the global batch (the mean of the ranks'
 * mean costs, the sum of their counts), and the first non-finite tensor of any rank. */
static void reduce_ring(run *r)
{
    dist_sum_float(r->hring, (size_t)r->ring_len * 2, "the step costs");
    for (long i = 0; i < r->ring_len; i++)
        r->hring[2 * i] /= (float)r->ranks;
    if (!r->o->check_finite)
        return;
    /* the first (step, tensor) of any rank: the max of -(step * 65536 + tensor); none: LONG_MIN */
    long first = r->hflag[0] == INT_MAX ? LONG_MIN : -((long)r->hflag[0] * 65536 + r->hflag[1]);
    dist_max_long(&first, 1, "the --check-finite flags");
    if (first == LONG_MIN)
        r->hflag[0] = r->hflag[1] = INT_MAX;
    else
        r->hflag[0] = (int)(-first / 65536), r->hflag[1] = (int)(-first % 65536);
}

/* Reads the ring (and the --check-finite flag): the one host wait. Records the costs of steps
 * (checked, step]; returns the first bad step, or -1. */
static long read_back(run *r, long checked, long step, double *bad_cost)
{
    if (r->o->check_finite)
        CL_CHECK(clEnqueueReadBuffer(r->rt.queue, r->flag, CL_FALSE, 0, sizeof r->hflag,
                                     r->hflag, 0, NULL, NULL));
    progress_read(&r->rt, &r->pg, r->ring, (size_t)r->ring_len * 2 * sizeof(float), r->hring);
    if (r->ranks > 1)
        reduce_ring(r);
    for (long s = checked + 1; s <= step; s++) {
        const float *v = &r->hring[2 * (s % r->ring_len)];
        report_metrics(&r->rep, s, v[0], v[1] / (float)r->o->batch, NAN);
    }
    long bad = first_nonfinite(r->hring, r->ring_len, checked, step);
    *bad_cost = bad >= 0 ? r->hring[2 * (bad % r->ring_len)] : 0;
    if (r->o->check_finite && r->hflag[0] != INT_MAX && (bad < 0 || r->hflag[0] <= bad)) {
        bad = r->hflag[0];
        *bad_cost = r->hring[2 * (bad % r->ring_len)];
    }
    return bad;
}

static void log_line(run *r, long step, double *t_log, long *prev_log)
{
    const train_opts *o = r->o;
    double t = now_seconds(), ips = (double)(step - *prev_log) * o->batch / (t - *t_log);
    const float *s = &r->hring[2 * (step % r->ring_len)];
    printf("step %6ld  epoch %3ld  cost %9.5f  accuracy %6.2f%%  %8.1f images/s  lr %.4g\n",
           step, step / r->spe + 1, s[0], 100.0 * s[1] / o->batch, ips,
           lr_at(o, step, r->steps, r->spe));
    if (fflush(stdout) != 0 && errno == EPIPE) /* a closed pipe with SIGPIPE ignored: the same */
        stop_note(SIGPIPE);
    report_log(&r->rep, step, ips, lr_at(o, step, r->steps, r->spe));
    if (step > r->start)
        r->step_ms = 1e3 * o->batch / ips;
    if (step == r->start)
        r->t_first = t;
    *t_log = t;
    *prev_log = step;
}

/* After a signal: save (with --save), say what the file holds, return 128 + the signal. */
static int interrupted(run *r, long step)
{
    long agreed = stop_requested(); /* several ranks: the largest signal of any, on every one */
    dist_max_long(&agreed, 1, "the signal that stops the job");
    int sig = (int)agreed;
    if (!r->lead)
        return 128 + sig;
    char what[2 * MSG_BUF] = "no checkpoint (no --save given)";
    if (r->o->save_path && save_checkpoint(r, step + 1) == 0) {
        snprintf(what, sizeof what, "checkpoint written to %s", r->o->save_path);
    } else if (r->o->save_path) {
        char held[PATH_BUF + 64];
        saved_text(r, held, sizeof held);
        snprintf(what, sizeof what, "the checkpoint could not be written (%s); %s", r->save_err,
                 held);
        r->save_told = 1;
    }
    fflush(stdout);
    fprintf(stderr, "clnet: %s after step %ld: %s\n", stop_what(sig), step, what);
    report_result(&r->rep, "stopped by signal %d after step %ld", sig, step);
    return 128 + sig;
}

/* The step loop; returns 0, EXIT_DIVERGED after naming the first non-finite step, or 128 +
 * signal after SIGINT / SIGTERM. */
/* The validation pass after step: a line in the log and a point in the report. Its time is
 * left out of the next log interval (*t_log moves on by it): it is not training. */
static void validate(run *r, long step, double *t_log)
{
    double cost, acc, t0 = now_seconds();
    int sig = evaluate(&r->rt, &r->nt, &r->dval, r->val.count, &cost, &acc, NULL);
    *t_log += now_seconds() - t0;
    r->val_seconds += now_seconds() - t0;
    if (sig)
        return; /* a signal: the loop stops */
    printf("validation after step %ld (epoch %.2f): cost %.5f  accuracy %6.2f%% (%d images)\n",
           step, (double)(step + 1) / (double)r->spe, cost, 100.0 * acc, r->val.count);
    report_validation(&r->rep, step, (float)cost, (float)acc);
}

/* Several ranks: whether any has a stop signal now (after a validation, which may have seen
 * one that the last exchange had not). */
static int agreed_stop(run *r)
{
    long any = stop_requested();
    dist_max_long(&any, 1, "the check for a stop signal");
    return r->stop_all = any != 0;
}

static int run_loop(run *r)
{
    const train_opts *o = r->o;
    double t_log = now_seconds();
    long prev_log = r->start - 1, checked = r->start - 1;
    for (long step = r->start; step < r->steps; step++) {
        enqueue_step(r, step);
        if (step == r->start)
            show_augmented_batch(r);
        progress_mark(&r->rt, &r->pg, step);
        pace_queue(&r->rt, &r->inflight); /* a signal is answered after this step */
        int last = step == r->steps - 1;
        int log = step % o->log_every == 0 || last;
        int hist = o->hist_every && (step % o->hist_every == 0 || last);
        int save = o->save_path && ((step + 1) % o->save_every == 0 || last);
        int val = r->val.count && ((step + 1) % r->spe == 0 || last ||
                                   (o->val_every && (step + 1) % o->val_every == 0));
        if (!log && !hist && !save && !val && !stopping(r) && step - checked < r->ring_len)
            continue;
        double bad_cost;
        long bad = read_back(r, checked, step, &bad_cost);
        checked = step;
        if (bad >= 0)
            return diverged(r, bad, step, bad_cost);
        if (log) {
            log_line(r, step, &t_log, &prev_log);
            char when[48];
            snprintf(when, sizeof when, "after step %ld", step);
            r->weights_crc = par_same_weights(&r->rt, &r->nt, when);
        }
        if (hist) /* its time counts in the next log interval: it is part of training */
            capture_step(r, step);
        if (val && !stopping(r))
            validate(r, step, &t_log);
        if (stopping(r) || (r->ranks > 1 && agreed_stop(r)))
            return interrupted(r, step);
        if (save && save_checkpoint(r, step + 1) && r->save_failures == 1 && !last) {
            fflush(stdout);
            fprintf(stderr, "clnet: %s; training goes on (later failures are not reported "
                    "again)\n", r->save_err);
        }
    }
    return 0;
}

static void run_close(run *r)
{
    clrt_finish(&r->rt);
    for (int k = 0; k < 2; k++) {
        if (r->eo.pending[k])
            clReleaseEvent(r->eo.pending[k]);
        free(r->eo.host[k]);
    }
    for (int i = 0; i < r->pg.count; i++)
        clReleaseEvent(r->pg.marks[i]);
    free(r->pg.marks);
    free(r->hring);
    free(r->hs);
    free(r->hb);
    capture_close(&r->cap);
    capture_close(&r->chk);
    clReleaseMemObject(r->flag);
    if (r->inflight)
        clReleaseEvent(r->inflight);
    clReleaseMemObject(r->ring);
    clReleaseMemObject(r->status);
    batch_release(&r->dtrain);
    batch_release(&r->dtest);
    if (r->val.count)
        batch_release(&r->dval);
    dataset_free(&r->val);
    net_free(&r->nt);
    clrt_close(&r->rt);
    dataset_free(&r->train);
    dataset_free(&r->test);
    if (r->save_lock >= 0)
        lock_drop(r->save_lock, r->save_lock_path);
}

/* Copies what clnet study needs out of the run. */
static void fill_result(const run *r, train_result *res, int status, double cost, double acc,
                        double ips, const char *index)
{
    memset(res, 0, sizeof *res);
    res->status = status;
    res->spec = xstrdup(r->nt.spec);
    res->steps = r->steps;
    res->test_cost = cost, res->test_acc = acc, res->images_per_s = ips;
    res->ntensors = r->rep.ntensors, res->nbins = r->rep.nbins;
    res->names = xmalloc((size_t)(res->ntensors ? res->ntensors : 1) * sizeof *res->names);
    memcpy(res->names, r->rep.names, (size_t)res->ntensors * sizeof *res->names);
    if (r->rep.ncaps) {
        const capture_rec *c = &r->rep.caps[0];
        res->stats0 = xmalloc((size_t)res->ntensors * sizeof *res->stats0);
        memcpy(res->stats0, c->stats, (size_t)res->ntensors * sizeof *res->stats0);
        res->bins0 = xmalloc((size_t)res->ntensors * res->nbins * sizeof *res->bins0);
        memcpy(res->bins0, c->bins, (size_t)res->ntensors * res->nbins * sizeof *res->bins0);
    }
    res->ncost = r->rep.nsteps;
    res->cost = xmalloc((size_t)(res->ncost ? res->ncost : 1) * sizeof *res->cost);
    if (res->ncost)
        memcpy(res->cost, r->rep.cost, (size_t)res->ncost * sizeof *res->cost);
    res->out_dir = r->rep.dir ? xstrdup(r->rep.dir) : NULL;
    res->report = index ? xstrdup(index) : NULL;
}

void train_result_free(train_result *res)
{
    free(res->spec);
    free(res->names);
    free(res->stats0);
    free(res->bins0);
    free(res->cost);
    free(res->out_dir);
    free(res->report);
    memset(res, 0, sizeof *res);
}

train_opts train_defaults(void)
{
    train_opts o;
    memset(&o, 0, sizeof o);
    o.data_dir = CLNET_DEFAULT_DATA;
    o.spec = CLNET_DEFAULT_SPEC;
    o.batch = 100;
    o.lr = 0.01;
    o.seed = 1;
    o.log_every = 100;
    o.init = INIT_HE;
    o.init_scale = 0.01;
    o.shuffle = 1;
    o.hist_every = 100;
    o.hist_bins = 64;
    o.save_every = 500;
    o.optim = (optim_hparams){OPT_SGD, 0.9f, 0.9f, 0.999f, 1e-8f, 0.0f};
    o.lr_decay = 0.1;
    o.mpi_timeout = DIST_TIMEOUT_DEFAULT;
    return o;
}

/* Accuracy per class and the confusions of count test images (their predicted classes in
 * pred): on stdout, in the report's results and, up to CONFUSION_IMAGE_MAX classes, as its
 * confusion.png. rep may be NULL (eval). */
static void class_results(report *rep, const dataset *test, const int *pred, int count,
                          int classes)
{
    confusion c;
    confusion_count(&c, test->labels, pred, count, classes);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        die("out of host memory for the per-class results");
    confusion_print(f, &c, test);
    fclose(f);
    fputs(text, stdout);
    if (rep && rep->dir) {
        report_result(rep, "%s", text);
        if (c.matrix) {
            canvas cv = confusion_canvas(&c, test);
            report_figure(rep, "confusion.png", "Test images: true class x predicted class", &cv);
            canvas_free(&cv);
        }
    }
    free(text);
    confusion_free(&c);
}

/* The test pass after training: prints and records the test cost and accuracy. Returns 0,
 * EXIT_DIVERGED when the cost is not finite, or 128 + the signal that stopped it. */
static int test_pass(run *r, double *cost, double *acc)
{
    const train_opts *o = r->o;
    int count = o->test_images && o->test_images < r->test.count ? (int)o->test_images
                                                                : r->test.count;
    int *pred = xmalloc((size_t)count * sizeof(int));
    int sig = evaluate(&r->rt, &r->nt, &r->dtest, count, cost, acc, pred);
    if (sig) {
        char held[PATH_BUF + 64] = "";
        if (o->save_path)
            saved_text(r, held, sizeof held);
        fflush(stdout);
        if (r->lead)
            fprintf(stderr, "clnet: %s during the test pass: training was done%s%s\n",
                    stop_what(sig), o->save_path ? "; " : "", held);
        report_result(&r->rep, "stopped by signal %d during the test pass", sig);
        *cost = *acc = NAN;
        free(pred);
        return 128 + sig;
    }
    printf("test cost %.4f  test accuracy %.2f%% (%d images)\n", *cost, 100.0 * *acc, count);
    report_test(&r->rep, r->steps - 1, *cost, *acc);
    report_result(&r->rep, "test cost %.4f  test accuracy %.2f%% (%d images)", *cost,
                  100.0 * *acc, count);
    if (r->lead) /* the predicted classes were gathered there */
        class_results(&r->rep, &r->test, pred, count, r->nt.classes);
    free(pred);
    if (isfinite(*cost))
        return 0;
    fflush(stdout);
    if (r->lead)
        fprintf(stderr, "clnet: the test cost is %g: the trained weights overflow on the test "
                "set (try a smaller --lr or another --init)\n", *cost);
    return EXIT_DIVERGED;
}

/* After a run whose checkpoints could not all be written: say so, last. */
static void report_save_failures(const run *r)
{
    if (!r->save_failures || r->save_told)
        return;
    char held[PATH_BUF + 64];
    saved_text(r, held, sizeof held);
    fflush(stdout);
    fprintf(stderr, "clnet: --save %s: %d checkpoint%s could not be written (the last: %s); %s\n",
            r->o->save_path, r->save_failures, r->save_failures == 1 ? "" : "s", r->save_err,
            held);
}

/* Several ranks: what the gradient exchange cost rank 0 per step, next to the whole step. */
static void exchange_line(run *r)
{
    long n = r->steps - r->start;
    if (r->ranks == 1 || n < 1)
        return;
    double step_s = (now_seconds() - r->t_first - r->val_seconds) / (double)(n > 1 ? n - 1 : 1);
    double ex_ms = 1e3 * r->exchange_seconds / (double)n;
    printf("gradient exchange: %.2f ms per step (%.3g MB summed over %d ranks), %.1f%% of a "
           "%.1f ms step; of it in MPI_Allreduce, with the wait for the slowest rank: %.2f ms\n",
           ex_ms, (double)r->nt.nparams * sizeof(float) / 1e6, r->ranks,
           100.0 * ex_ms / (1e3 * step_s), 1e3 * step_s, 1e3 * r->mpi_seconds / (double)n);
    report_result(&r->rep, "gradient exchange %.2f ms per step, %.1f%% of a step", ex_ms,
                  100.0 * ex_ms / (1e3 * step_s));
    printf("weights: the same on all %d ranks at every log step (CRC-32C %08x at the last)\n",
           r->ranks, r->weights_crc);
}

int train_run(const train_opts *o, train_result *res)
{
    double t_start = now_seconds();
    run *r = xmalloc(sizeof *r);
    run_open(r, o);
    int status = run_loop(r);
    double cost = NAN, acc = NAN, ips = NAN;
    if (status == 0) {
        if (r->steps - r->start > 1) {
            ips = (double)(r->steps - r->start - 1) * o->batch /
                  (now_seconds() - r->t_first - r->val_seconds);
            printf("train throughput %.1f images/s (steps %ld..%ld, after the first)\n", ips,
                   r->start + 1, r->steps - 1);
            report_result(&r->rep, "train throughput %.1f images/s", ips);
        }
        exchange_line(r);
        fflush(stdout); /* what is done shows before the test pass */
        status = test_pass(r, &cost, &acc);
    }
    printf("total time %.1f s\n", now_seconds() - t_start);
    report_result(&r->rep, "total time %.1f s", now_seconds() - t_start);
    const char *index = report_finish(&r->rep);
    if (index)
        printf("report: %s\n", index);
    report_save_failures(r);
    if ((r->rep.failed || report_tensorboard_failed(&r->rep) || r->save_failures) && status == 0)
        status = EXIT_INPUT;
    if (res)
        fill_result(r, res, status, cost, acc, ips, index);
    report_close(&r->rep);
    run_close(r);
    free(r);
    return status;
}

void model_load(const char *path, checkpoint *c, net *nt)
{
    char err[MSG_BUF];
    if (ckpt_load(path, c, err, sizeof err))
        die("%s", err);
    if (net_parse(c->spec, (int)c->C, (int)c->H, (int)c->W, (int)c->classes, nt, err, sizeof err))
        die("checkpoint %s: network spec: %s", path, err);
    if (c->nparams != nt->nparams)
        die("checkpoint %s: %llu parameters, its network %s has %zu", path,
            (unsigned long long)c->nparams, c->spec, nt->nparams);
}

pixel_map model_pixel_map(const checkpoint *c)
{
    return c->normalized ? pixel_map_normalized(c->mean, c->sd, (int)c->C) : pixel_map_plain();
}

/* clnet eval's checkpoint, checked against the test set and parsed into its network. */
static void eval_model(const eval_opts *o, const dataset *test, checkpoint *c, net *nt)
{
    model_load(o->model, c, nt);
    if (test->rows != (int)c->H || test->cols != (int)c->W || test->channels != (int)c->C)
        die("%s: test images are %dx%d x%d but the checkpoint %s was made for %ux%u x%u (give "
            "--resize %ux%u --channels %u to make them so)", o->data_dir, test->cols, test->rows,
            test->channels, o->model, c->W, c->H, c->C, c->W, c->H, c->C);
    if (test->classes > (int)c->classes)
        die("%s: a test label is %d but the checkpoint %s knows %u classes", o->data_dir,
            test->classes - 1, o->model, c->classes);
    /* the labels are indices into the names: other names would be other classes */
    size_t common = test->names_len < c->names_len ? test->names_len : c->names_len;
    if (test->names && c->names_len && memcmp(test->names, c->names, common))
        die("%s: its class names are not those of the checkpoint %s (it was trained on other "
            "classes, or in another order)", o->data_dir, o->model);
}

int eval_run(const eval_opts *o)
{
    checkpoint c;
    char err[MSG_BUF];
    dataset test;
    if (dataset_read(o->data_dir, "t10k", &o->image, &test, err, sizeof err))
        die("%s", err);
    net nt;
    eval_model(o, &test, &c, &nt);
    int count = o->test_images && o->test_images < test.count ? (int)o->test_images : test.count;
    int batch = o->batch ? o->batch : (int)c.batch;
    batch = batch < count ? batch : count;
    clrt rt;
    clrt_open(&rt, o->device, o->kernel_dir);
    const dataset *sets[] = {&test};
    size_t extra;
    int streamed = plan_data(&rt, &nt, batch, sets, 1, &extra);
    net_alloc(&rt, &nt, batch, extra);
    clrt_upload(&rt, nt.params, 0, c.nparams * sizeof(float), c.params);
    device_data dd;
    put_data(&rt, streamed, batch, &dd, &test, "test set");
    dd.map = model_pixel_map(&c);
    printf("model %s: %s, trained %llu steps%s\n", o->model, c.spec, (unsigned long long)c.step,
           c.normalized ? ", inputs normalized" : "");
    fflush(stdout);
    stop_poll("before the test pass");
    double cost, acc;
    int *pred = xmalloc((size_t)count * sizeof(int));
    if (evaluate(&rt, &nt, &dd, count, &cost, &acc, pred))
        stop_poll("during the test pass");
    printf("test cost %.4f  test accuracy %.2f%% (%d images of %s)\n", cost, 100.0 * acc, count,
           o->data_dir);
    dataset named = test; /* the checkpoint's class names, which the test set may lack */
    if (c.names_len)
        named.names = c.names, named.names_len = c.names_len;
    class_results(NULL, &named, pred, count, (int)c.classes);
    free(pred);
    batch_release(&dd);
    net_free(&nt);
    clrt_close(&rt);
    dataset_free(&test);
    ckpt_free(&c);
    if (isfinite(cost))
        return 0;
    fflush(stdout);
    fprintf(stderr, "clnet: the test cost of %s is %g: its weights overflow on this data\n",
            o->model, cost);
    return EXIT_DIVERGED;
}
