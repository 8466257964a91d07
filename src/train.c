/* train.c: data on the device, the step loop with one host wait per logged step, progress,
 * and evaluation on the test set. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clnet/batch.h"
#include "clnet/clrt.h"
#include "clnet/data.h"
#include "clnet/net.h"
#include "clnet/util.h"

/* Mean cost and accuracy over a whole data set, forward only; one host wait at the end. */
/* Images in evaluation batch b: full batches, then the remainder. */
static int eval_batch_size(const device_data *dd, int batch, int b)
{
    int left = dd->count - b * batch;
    return left < batch ? left : batch;
}

static void evaluate(clrt *rt, net *nt, const device_data *dd, double *cost, double *acc)
{
    int nb = (dd->count + nt->batch - 1) / nt->batch;
    cl_mem stats = clrt_buffer(rt, (size_t)nb * 2 * sizeof(float), "evaluation statistics");
    for (int b = 0; b < nb; b++) {
        int n = eval_batch_size(dd, nt->batch, b);
        batch_gather(rt, nt, dd, b * nt->batch, n);
        net_forward(rt, nt, n);
        net_loss(rt, nt, stats, stats, b, n, 0);
    }
    float *h = xmalloc((size_t)nb * 2 * sizeof(float));
    clrt_download(rt, stats, 0, (size_t)nb * 2 * sizeof(float), h);
    double sum = 0, correct = 0;
    for (int b = 0; b < nb; b++) {
        sum += (double)h[2 * b] * eval_batch_size(dd, nt->batch, b);
        correct += h[2 * b + 1];
    }
    free(h);
    clReleaseMemObject(stats);
    *cost = sum / dd->count;
    *acc = correct / dd->count;
}

#define RING_MAX 4096 /* the host reads the step costs at least this often */

/* Shuffled epoch orders: two host arrays so one can be filled while the other uploads. */
typedef struct {
    int *host[2];
    cl_event pending[2];
    rng_t rng;
    int shuffle;
} epoch_order;

static void order_next_epoch(clrt *rt, epoch_order *eo, const device_data *dd, long epoch)
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
    rng_permute(&eo->rng, o, dd->count);
    CL_CHECK(clEnqueueWriteBuffer(rt->queue, dd->order, CL_FALSE, 0, (size_t)dd->count * sizeof(int),
                                  o, 0, NULL, &eo->pending[k]));
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

static void load_data(const char *dir, dataset *train, dataset *test)
{
    char err[1024];
    if (dataset_load(dir, "train", train, err, sizeof err) ||
        dataset_load(dir, "t10k", test, err, sizeof err))
        die("%s", err);
    if (test->rows != train->rows || test->cols != train->cols)
        die("%s: test images are %dx%d but training images are %dx%d", dir, test->rows,
            test->cols, train->rows, train->cols);
}

static void print_header(const clrt *rt, const train_opts *o, const dataset *train,
                         const dataset *test, long steps, long spe)
{
    printf("device: %s / %s (%s)%s\n", rt->platform_name, rt->device_name,
           rt->device_type & CL_DEVICE_TYPE_GPU ? "GPU" : rt->device_type & CL_DEVICE_TYPE_CPU ? "CPU" : "other",
           rt->device_type & CL_DEVICE_TYPE_GPU ? "" : " - not a GPU");
    printf("kernels: %s, built in %.2f s\n", o->kernel_dir ? o->kernel_dir : "embedded",
           rt->build_seconds);
    printf("data: %s: %d training and %d test images of %dx%d\n", o->data_dir, train->count,
           test->count, train->rows, train->cols);
    printf("train: %ld steps (%.2f epochs of %ld steps), batch %d, lr %g, init %s", steps,
           (double)steps / (double)spe, spe, o->batch, o->lr, init_name(o->init));
    if (o->init == INIT_SCALED)
        printf(" x %g", o->init_scale);
    printf(", seed %llu, %s\n", (unsigned long long)o->seed,
           o->shuffle ? "shuffled each epoch" : "file order");
}

/* Enqueues one whole training step; nothing here waits for the device. */
static void enqueue_step(clrt *rt, net *nt, const device_data *d, epoch_order *eo,
                         const train_opts *o, long step, long spe, cl_mem ring, cl_mem status,
                         long ring_len)
{
    if (step % spe == 0 && o->shuffle)
        order_next_epoch(rt, eo, d, step / spe);
    batch_gather(rt, nt, d, (int)((step % spe) * o->batch), o->batch);
    net_forward(rt, nt, o->batch);
    net_loss(rt, nt, ring, status, (int)(step % ring_len), o->batch, 1);
    net_backward(rt, nt, o->batch);
    net_sgd(rt, nt, status, (float)o->lr);
}

/* Checks the costs of steps (prev, step] in the ring; returns the first non-finite step or -1. */
static long first_nonfinite(const float *ring, long ring_len, long prev, long step)
{
    for (long s = prev + 1; s <= step; s++)
        if (!isfinite(ring[2 * (s % ring_len)]))
            return s;
    return -1;
}

/* Everything one training run holds. */
typedef struct {
    const train_opts *o;
    dataset train, test;
    clrt rt;
    net nt;
    device_data dtrain, dtest;
    long steps, spe;     /* total steps, steps per epoch */
    long ring_len;       /* per-step (cost, correct) slots on the device */
    cl_mem ring, status; /* status[0]: set once a cost was non-finite */
    float *hring;
    epoch_order eo;
    progress pg;
    double t_first;      /* when step 0 was done */
} run;

static void run_open(run *r, const train_opts *o)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    load_data(o->data_dir, &r->train, &r->test);
    if (o->batch > r->train.count)
        die("--batch %d is larger than the training set (%d images in %s)", o->batch,
            r->train.count, o->data_dir);
    r->spe = r->train.count / o->batch;
    r->steps = o->steps ? o->steps : (o->epochs ? o->epochs : 1) * r->spe;
    r->ring_len = o->log_every < r->steps ? o->log_every : r->steps;
    if (r->ring_len > RING_MAX)
        r->ring_len = RING_MAX;
    char err[512];
    if (net_parse(o->spec, 1, r->train.rows, r->train.cols, &r->nt, err, sizeof err))
        die("network spec: %s", err);
    clrt_open(&r->rt, o->device, o->kernel_dir);
    print_header(&r->rt, o, &r->train, &r->test, r->steps, r->spe);
    size_t data_bytes = ((size_t)r->train.count + r->test.count) *
                        ((size_t)r->train.rows * r->train.cols + 1 + sizeof(int));
    net_alloc(&r->rt, &r->nt, o->batch, data_bytes);
    net_print(&r->nt, stdout);
    batch_upload(&r->rt, &r->dtrain, &r->train, "training set");
    batch_upload(&r->rt, &r->dtest, &r->test, "test set");
    net_init_params(&r->rt, &r->nt, o->init, o->init_scale, o->seed);
    r->ring = clrt_buffer(&r->rt, (size_t)r->ring_len * 2 * sizeof(float), "step statistics");
    r->status = clrt_buffer(&r->rt, sizeof(int), "status");
    clrt_fill_zero(&r->rt, r->status, sizeof(int));
    r->hring = xmalloc((size_t)r->ring_len * 2 * sizeof(float));
    for (int k = 0; k < 2; k++)
        r->eo.host[k] = xmalloc((size_t)r->train.count * sizeof(int));
    rng_seed(&r->eo.rng, o->seed ^ 0x5eed0f0da7a0ull);
    r->pg = (progress){isatty(STDERR_FILENO), xcalloc((size_t)r->ring_len, sizeof(cl_event)), 0,
                       0, r->steps, now_seconds()};
    fflush(stdout);
}

/* The step loop; returns 0, or EXIT_DIVERGED after naming the first non-finite step. */
static int run_loop(run *r)
{
    const train_opts *o = r->o;
    double t_log = now_seconds();
    long prev_log = -1, checked = -1;
    for (long step = 0; step < r->steps; step++) {
        enqueue_step(&r->rt, &r->nt, &r->dtrain, &r->eo, o, step, r->spe, r->ring, r->status,
                     r->ring_len);
        progress_mark(&r->rt, &r->pg, step);
        int log = step % o->log_every == 0 || step == r->steps - 1;
        if (!log && step - checked < r->ring_len)
            continue;
        /* the one host wait: at a log step, or before the ring would overwrite unread costs */
        progress_read(&r->rt, &r->pg, r->ring, (size_t)r->ring_len * 2 * sizeof(float), r->hring);
        long bad = first_nonfinite(r->hring, r->ring_len, checked, step);
        checked = step;
        if (bad >= 0) {
            fflush(stdout);
            fprintf(stderr, "clnet: step %ld: the cost is %g: training stopped (the weights are "
                    "those before step %ld; try a smaller --lr or another --init)\n", bad,
                    r->hring[2 * (bad % r->ring_len)], bad);
            return EXIT_DIVERGED;
        }
        if (!log)
            continue;
        double t = now_seconds();
        const float *s = &r->hring[2 * (step % r->ring_len)];
        printf("step %6ld  epoch %3ld  cost %9.5f  accuracy %6.2f%%  %8.1f images/s\n", step,
               step / r->spe + 1, s[0], 100.0 * s[1] / o->batch,
               (double)(step - prev_log) * o->batch / (t - t_log));
        fflush(stdout);
        if (step == 0)
            r->t_first = t;
        t_log = t;
        prev_log = step;
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
    clReleaseMemObject(r->ring);
    clReleaseMemObject(r->status);
    batch_release(&r->dtrain);
    batch_release(&r->dtest);
    net_free(&r->nt);
    clrt_close(&r->rt);
    dataset_free(&r->train);
    dataset_free(&r->test);
}

int train_run(const train_opts *o)
{
    double t_start = now_seconds();
    run *r = xmalloc(sizeof *r);
    run_open(r, o);
    int status = run_loop(r);
    if (status == 0) {
        if (r->steps > 1)
            printf("train throughput %.1f images/s (steps 1..%ld, after the first)\n",
                   (double)(r->steps - 1) * o->batch / (now_seconds() - r->t_first), r->steps - 1);
        double cost, acc;
        evaluate(&r->rt, &r->nt, &r->dtest, &cost, &acc);
        printf("test cost %.4f  test accuracy %.2f%% (%d images)\n", cost, 100.0 * acc,
               r->test.count);
    }
    printf("total time %.1f s\n", now_seconds() - t_start);
    run_close(r);
    free(r);
    return status;
}
