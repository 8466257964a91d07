/* bench.c: `clnet bench`. Measures the device's limits (FMA throughput, memory bandwidth, launch
 * latency), then for every op of a training step at the real shapes: warm up (the first call
 * compiles), validate against the plain-C reference (a wrong kernel is reported FAILED and not
 * timed), then time repetitions with profiling events on markers around the op. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/bench.h"
#include "clnet/clrt.h" /* before clblast_c.h: it sets the OpenCL version the headers target */

#include <clblast_c.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clnet/batch.h"
#include "clnet/blas.h"
#include "clnet/capture.h"
#include "clnet/clrt.h"
#include "clnet/data.h"
#include "clnet/files.h"
#include "clnet/gemm.h"
#include "clnet/init.h"
#include "clnet/net.h"
#include "clnet/ref.h"
#include "clnet/stop.h"
#include "clnet/util.h"

#ifndef CLNET_CLBLAST_VERSION
#define CLNET_CLBLAST_VERSION "unknown"
#endif
#ifndef CLNET_BUILD_FLAGS
#define CLNET_BUILD_FLAGS "unknown"
#endif

#define CHECK_TOL 1e-3 /* error relative to the largest reference value in the sample */
#define SAMPLES 256    /* elements checked per big output */

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
    double first_gemm_s; /* first CLBlast GEMM call, compile included */
    capture hcap;       /* the histogram capture of clnet train (64 bins, own ranges) */
    hist_stats *hs;
    uint32_t *hb;
} bench_ctx;

/* ---- small helpers ---- */

static float *readback(bench_ctx *c, cl_mem m, size_t n)
{
    float *h = xmalloc(n * sizeof(float));
    clrt_download(&c->rt, m, 0, n * sizeof(float), h);
    return h;
}

static void copy_buffer(bench_ctx *c, cl_mem dst, cl_mem src, size_t floats)
{
    CL_CHECK(clEnqueueCopyBuffer(c->rt.queue, src, dst, 0, 0, floats * sizeof(float), 0, NULL, NULL));
}

static layer *L(bench_ctx *c, int i)
{
    return &c->nt.layers[i];
}

static cl_mem layer_in(bench_ctx *c, int i)
{
    return i ? net_layer_out(L(c, i - 1)) : c->nt.x;
}

static size_t out_count(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    return (size_t)l->out_c * c->B * l->out_h * l->out_w;
}

static size_t in_count(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    return (size_t)l->in_c * c->B * l->in_h * l->in_w;
}

/* Running error measure: max |got - want| over the sample, divided by max |want|. */
typedef struct {
    double diff, scale;
} erracc;

static void err_add(erracc *e, double got, double want)
{
    double d = fabs(got - want);
    if (!(d <= e->diff))
        e->diff = isnan(d) ? INFINITY : d;
    e->scale = fmax(e->scale, fabs(want));
}

static double err_value(const erracc *e)
{
    return e->diff / fmax(e->scale, 1e-30);
}

static double compare_all(const float *got, const float *want, size_t n)
{
    erracc e = {0, 0};
    for (size_t i = 0; i < n; i++)
        err_add(&e, got[i], want[i]);
    return err_value(&e);
}

static size_t pick(bench_ctx *c, size_t n)
{
    return (size_t)rng_below(&c->rng, n);
}

/* ---- timing ---- */

static cl_ulong event_end(cl_event e)
{
    cl_ulong t = 0;
    CL_CHECK(clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, sizeof t, &t, NULL));
    return t;
}

typedef void (*op_fn)(bench_ctx *c, int i);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Times `repeat` runs of op between two markers each: device time from the end of the first
 * marker (all earlier work done) to the end of the second. */
static void time_op(bench_ctx *c, op_fn op, int i, row *r)
{
    double *ms = xmalloc((size_t)c->repeat * sizeof(double));
    for (int k = 0; k < c->repeat; k++) {
        stop_poll("during bench: nothing was written");
        cl_event a, b;
        CL_CHECK(clEnqueueMarkerWithWaitList(c->rt.queue, 0, NULL, &a));
        op(c, i);
        CL_CHECK(clEnqueueMarkerWithWaitList(c->rt.queue, 0, NULL, &b));
        CL_CHECK(clWaitForEvents(1, &b));
        ms[k] = (double)(event_end(b) - event_end(a)) * 1e-6;
        clReleaseEvent(a);
        clReleaseEvent(b);
    }
    qsort(ms, (size_t)c->repeat, sizeof *ms, cmp_double);
    r->min_ms = ms[0];
    r->med_ms = c->repeat % 2 ? ms[c->repeat / 2] : 0.5 * (ms[c->repeat / 2 - 1] + ms[c->repeat / 2]);
    free(ms);
}

static double time_kernel_ms(bench_ctx *c, enum kernel_id id, size_t global)
{
    double best = INFINITY;
    size_t fixed[3]; /* the kernel's reqd_work_group_size, if it has one */
    CL_CHECK(clGetKernelWorkGroupInfo(c->rt.kernels[id], c->rt.device,
                                      CL_KERNEL_COMPILE_WORK_GROUP_SIZE, sizeof fixed, fixed, NULL));
    for (int k = 0; k < 3; k++) {
        stop_poll("during bench: nothing was written");
        cl_event e;
        CL_CHECK(clEnqueueNDRangeKernel(c->rt.queue, c->rt.kernels[id], 1, NULL, &global,
                                        fixed[0] ? fixed : NULL, 0, NULL, &e));
        CL_CHECK(clWaitForEvents(1, &e));
        cl_ulong t0, t1;
        CL_CHECK(clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL));
        CL_CHECK(clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL));
        clReleaseEvent(e);
        best = fmin(best, (double)(t1 - t0) * 1e-6);
    }
    return best;
}

/* ---- device limits ---- */

static void measure_fma(bench_ctx *c, peaks *p)
{
    cl_uint cus = c->rt.compute_units;
    size_t global = (size_t)16384 * (cus < 4 ? 4 : cus);
    cl_mem out = clrt_buffer(&c->rt, global * sizeof(float), "peak");
    const enum kernel_id ids[4] = {K_peak_fma1, K_peak_fma4, K_peak_fma8, K_peak_fma16};
    const int widths[4] = {1, 4, 8, 16};
    for (int v = 0; v < 4; v++) {
        /* float16 runs one work-item per group, as gemm.cl does: a few long ones */
        size_t items = widths[v] == 16 ? (size_t)32 * (cus < 4 ? 4 : cus) : global;
        cl_kernel k = c->rt.kernels[ids[v]];
        karg_mem(k, 0, out);
        karg_float(k, 1, 0.999f);
        karg_float(k, 2, 0.001f);
        int iters = 16;
        double ms;
        for (;;) { /* grow the work until one launch takes 100 ms */
            karg_int(k, 3, iters);
            ms = time_kernel_ms(c, ids[v], items);
            if (ms > 100 || iters >= 1 << 26)
                break;
            iters *= ms > 2 ? 2 : 8;
        }
        double gf = (double)items * iters * (widths[v] == 16 ? 12 : 8) * widths[v] * 2 / (ms * 1e6);
        if (gf > p->gflops)
            p->gflops = gf, p->fma_width = widths[v];
    }
    clReleaseMemObject(out);
}

static void measure_memory(bench_ctx *c, peaks *p)
{
    size_t bytes = (size_t)256 << 20;
    while (bytes > c->rt.max_alloc / 2 || 3 * bytes > c->rt.global_mem / 2)
        bytes /= 2;
    size_t vec = bytes / 16, global = 1 << 16;
    if (global > vec)
        global = vec;
    int per = (int)(vec / global);
    bytes = (size_t)per * global * 16;
    cl_mem a = clrt_buffer(&c->rt, bytes, "peak"), b = clrt_buffer(&c->rt, bytes, "peak"),
           o = clrt_buffer(&c->rt, global * sizeof(float), "peak");
    clrt_fill_zero(&c->rt, a, bytes);
    for (int chunked = 0; chunked <= 1; chunked++) { /* the better access pattern counts */
        cl_kernel k = c->rt.kernels[K_peak_read];
        karg_mem(k, 0, a), karg_mem(k, 1, o), karg_int(k, 2, per), karg_int(k, 3, chunked);
        p->read = fmax(p->read, bytes / (time_kernel_ms(c, K_peak_read, global) * 1e6));
        k = c->rt.kernels[K_peak_write];
        karg_mem(k, 0, b), karg_int(k, 1, per), karg_int(k, 2, chunked);
        p->write = fmax(p->write, bytes / (time_kernel_ms(c, K_peak_write, global) * 1e6));
        k = c->rt.kernels[K_peak_copy];
        karg_mem(k, 0, a), karg_mem(k, 1, b), karg_int(k, 2, per), karg_int(k, 3, chunked);
        p->copy = fmax(p->copy, 2.0 * bytes / (time_kernel_ms(c, K_peak_copy, global) * 1e6));
    }
    clReleaseMemObject(a), clReleaseMemObject(b), clReleaseMemObject(o);
}

static void measure_launch(bench_ctx *c, peaks *p)
{
    cl_mem o = clrt_buffer(&c->rt, sizeof(float), "peak");
    karg_mem(c->rt.kernels[K_peak_empty], 0, o);
    double us[101];
    for (int k = 0; k < 101; k++) {
        double t0 = now_seconds();
        clrt_launch(&c->rt, K_peak_empty, 1, 0);
        clrt_finish(&c->rt);
        us[k] = (now_seconds() - t0) * 1e6;
    }
    qsort(us, 101, sizeof *us, cmp_double);
    p->launch_us = us[50];
    clReleaseMemObject(o);
}

/* ---- the ops at the network's shapes ---- */

/* Layer i's geometry with the algorithm being timed. */
static conv_geom geom(const bench_ctx *c, int i)
{
    conv_geom g = c->nt.layers[i].conv;
    if (c->algo != CONV_AUTO)
        g.algo = c->algo;
    return g;
}

static void op_conv_fwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    conv_geom g = geom(c, i);
    conv_forward(&c->rt, l->z, layer_in(c, i), c->nt.params, l->w_off, l->b_off, c->col, &g,
                 c->B);
}

static double check_conv_fwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    const conv_geom *g = &l->conv;
    op_conv_fwd(c, i);
    float *x = readback(c, layer_in(c, i), in_count(c, i)), *z = readback(c, l->z, out_count(c, i));
    float *p = readback(c, c->nt.params, c->nt.nparams);
    erracc e = {0, 0};
    for (int s = 0; s < SAMPLES; s++) {
        int k = (int)pick(c, g->K), b = (int)pick(c, c->B), oy = (int)pick(c, g->OH),
            ox = (int)pick(c, g->OW);
        double want = ref_conv_out(x, p + l->w_off, p + l->b_off, g, c->B, k, b, oy, ox);
        err_add(&e, z[(((size_t)k * c->B + b) * g->OH + oy) * g->OW + ox], want);
    }
    free(x), free(z), free(p);
    return err_value(&e);
}

static void op_conv_bwd_weights(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    conv_geom g = geom(c, i);
    conv_backward_weights(&c->rt, c->nt.grads, l->d, layer_in(c, i), l->w_off, l->b_off, c->col,
                          c->nt.ones, &g, c->B);
}

static double check_conv_bwd_weights(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    const conv_geom *g = &l->conv;
    op_conv_bwd_weights(c, i);
    float *x = readback(c, layer_in(c, i), in_count(c, i)), *dz = readback(c, l->d, out_count(c, i));
    float *gr = readback(c, c->nt.grads, c->nt.nparams);
    erracc e = {0, 0};
    for (int s = 0; s < SAMPLES / 4; s++) {
        int k = (int)pick(c, g->K), ch = (int)pick(c, g->C), t = (int)pick(c, 9);
        double want = ref_conv_dw(dz, x, g, c->B, k, ch, t / 3, t % 3);
        err_add(&e, gr[l->w_off + ((size_t)k * g->C + ch) * 9 + t], want);
    }
    for (int k = 0; k < g->K; k++)
        err_add(&e, gr[l->b_off + k], ref_conv_db(dz, g, c->B, k));
    free(x), free(dz), free(gr);
    return err_value(&e);
}

static void op_conv_bwd_data(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    conv_geom g = geom(c, i);
    conv_backward_data(&c->rt, L(c, i - 1)->d, l->d, c->nt.params, l->w_off, c->col, &g, c->B);
}

static double check_conv_bwd_data(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    const conv_geom *g = &l->conv;
    op_conv_bwd_data(c, i);
    float *dz = readback(c, l->d, out_count(c, i)), *dx = readback(c, L(c, i - 1)->d, in_count(c, i));
    float *p = readback(c, c->nt.params, c->nt.nparams);
    erracc e = {0, 0};
    for (int s = 0; s < SAMPLES; s++) {
        int ch = (int)pick(c, g->C), b = (int)pick(c, c->B), y = (int)pick(c, g->H),
            x = (int)pick(c, g->W);
        double want = ref_conv_dx(dz, p + l->w_off, g, c->B, ch, b, y, x);
        err_add(&e, dx[(((size_t)ch * c->B + b) * g->H + y) * g->W + x], want);
    }
    free(dz), free(dx), free(p);
    return err_value(&e);
}

static void op_bias(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    bias_add(&c->rt, c->scratch, c->nt.params, l->b_off, 1, c->B * l->out_h * l->out_w, l->out_c);
}

static double check_bias(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    size_t n = out_count(c, i), inner = n / l->out_c;
    copy_buffer(c, c->scratch, l->z, n);
    op_bias(c, i);
    float *z = readback(c, l->z, n), *got = readback(c, c->scratch, n);
    float *p = readback(c, c->nt.params, c->nt.nparams);
    for (size_t j = 0; j < n; j++)
        z[j] += p[l->b_off + j / inner];
    double err = compare_all(got, z, n);
    free(z), free(got), free(p);
    return err;
}

static void op_relu_fwd(bench_ctx *c, int i)
{
    relu_forward(&c->rt, L(c, i)->a, L(c, i)->z, out_count(c, i));
}

static double check_relu_fwd(bench_ctx *c, int i)
{
    size_t n = out_count(c, i);
    op_relu_fwd(c, i);
    float *z = readback(c, L(c, i)->z, n), *a = readback(c, L(c, i)->a, n);
    for (size_t j = 0; j < n; j++)
        z[j] = z[j] > 0 ? z[j] : 0;
    double err = compare_all(a, z, n);
    free(z), free(a);
    return err;
}

static void op_relu_bwd(bench_ctx *c, int i)
{
    relu_backward(&c->rt, L(c, i)->d, L(c, i)->z, out_count(c, i));
}

static double check_relu_bwd(bench_ctx *c, int i)
{
    size_t n = out_count(c, i);
    float *before = readback(c, L(c, i)->d, n), *z = readback(c, L(c, i)->z, n);
    op_relu_bwd(c, i);
    float *after = readback(c, L(c, i)->d, n);
    for (size_t j = 0; j < n; j++)
        before[j] = z[j] > 0 ? before[j] : 0;
    double err = compare_all(after, before, n);
    free(before), free(z), free(after);
    return err;
}

static void op_pool_fwd(bench_ctx *c, int i)
{
    pool_forward(&c->rt, L(c, i)->a, L(c, i)->arg, layer_in(c, i), &L(c, i)->pool, c->B);
}

static double check_pool_fwd(bench_ctx *c, int i)
{
    size_t n = out_count(c, i);
    op_pool_fwd(c, i);
    float *in = readback(c, layer_in(c, i), in_count(c, i)), *out = readback(c, L(c, i)->a, n);
    float *want = xmalloc(n * sizeof(float));
    ref_maxpool_forward(want, in, &L(c, i)->pool, c->B);
    double err = compare_all(out, want, n);
    free(in), free(out), free(want);
    return err;
}

static void op_pool_bwd(bench_ctx *c, int i)
{
    pool_backward(&c->rt, L(c, i - 1)->d, L(c, i)->d, L(c, i)->arg, &L(c, i)->pool, c->B);
}

static double check_pool_bwd(bench_ctx *c, int i)
{
    size_t n = out_count(c, i), ni = in_count(c, i);
    op_pool_bwd(c, i);
    float *dout = readback(c, L(c, i)->d, n), *din = readback(c, L(c, i - 1)->d, ni);
    int *arg = xmalloc(n * sizeof(int));
    clrt_download(&c->rt, L(c, i)->arg, 0, n * sizeof(int), arg);
    float *want = xcalloc(ni, sizeof(float));
    for (size_t o = 0; o < n; o++)
        want[arg[o]] += dout[o];
    double err = compare_all(din, want, ni);
    free(dout), free(din), free(arg), free(want);
    return err;
}

static void op_fc_fwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    flatten_forward(&c->rt, l->flat, layer_in(c, i), l->in_c, c->B, l->in_h * l->in_w);
    dense_forward(&c->rt, l->z, l->flat, c->nt.params, l->w_off, l->b_off, c->col, c->B,
                  l->fan_in, l->out_c);
}

/* The fc input as (B, F) rows, from the channel-major (C, B, P) tensor on the device. */
static float *fc_rows(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    int P = l->in_h * l->in_w, F = l->fan_in;
    float *x = readback(c, layer_in(c, i), in_count(c, i)), *rows = xmalloc((size_t)c->B * F * 4);
    for (int b = 0; b < c->B; b++)
        for (int ch = 0; ch < l->in_c; ch++)
            memcpy(rows + (size_t)b * F + (size_t)ch * P, x + ((size_t)ch * c->B + b) * P,
                   (size_t)P * sizeof(float));
    free(x);
    return rows;
}

static double check_fc_fwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    op_fc_fwd(c, i);
    float *rows = fc_rows(c, i), *p = readback(c, c->nt.params, c->nt.nparams);
    float *z = readback(c, l->z, (size_t)c->B * l->out_c), *want = xmalloc((size_t)c->B * l->out_c * 4);
    ref_dense_forward(want, rows, p + l->w_off, p + l->b_off, c->B, l->fan_in, l->out_c);
    double err = compare_all(z, want, (size_t)c->B * l->out_c);
    free(rows), free(p), free(z), free(want);
    return err;
}

static void op_fc_bwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    dense_backward(&c->rt, l->dflat, c->nt.grads, l->d, l->flat, c->nt.params, l->w_off, l->b_off,
                   c->nt.ones, c->col, c->B, l->fan_in, l->out_c);
    flatten_backward(&c->rt, L(c, i - 1)->d, l->dflat, l->in_c, c->B, l->in_h * l->in_w);
}

static double check_fc_bwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    int F = l->fan_in, K = l->out_c, P = l->in_h * l->in_w;
    op_fc_bwd(c, i);
    float *rows = fc_rows(c, i), *p = readback(c, c->nt.params, c->nt.nparams);
    float *g = readback(c, c->nt.grads, c->nt.nparams), *dz = readback(c, l->d, (size_t)c->B * K);
    float *dx = readback(c, L(c, i - 1)->d, in_count(c, i));
    erracc e = {0, 0};
    for (int f = 0; f < F; f++)
        for (int k = 0; k < K; k++) {
            double s = 0;
            for (int b = 0; b < c->B; b++)
                s += (double)rows[(size_t)b * F + f] * dz[(size_t)b * K + k];
            err_add(&e, g[l->w_off + (size_t)f * K + k], s);
        }
    for (int k = 0; k < K; k++) {
        double s = 0;
        for (int b = 0; b < c->B; b++)
            s += dz[(size_t)b * K + k];
        err_add(&e, g[l->b_off + k], s);
    }
    for (int b = 0; b < c->B; b++)
        for (int f = 0; f < F; f++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)dz[(size_t)b * K + k] * p[l->w_off + (size_t)f * K + k];
            err_add(&e, dx[((size_t)(f / P) * c->B + b) * P + f % P], s);
        }
    free(rows), free(p), free(g), free(dz), free(dx);
    return err_value(&e);
}

static void op_loss(bench_ctx *c, int i)
{
    (void)i;
    net_loss(&c->rt, &c->nt, c->stats, c->status, 0, c->B, 0);
}

static double check_loss(bench_ctx *c, int i)
{
    int K = CLNET_CLASSES;
    op_loss(c, i);
    layer *last = L(c, c->nt.nlayers - 1);
    float *z = readback(c, last->z, (size_t)c->B * K), *probs = readback(c, c->nt.probs, (size_t)c->B * K);
    float *want = xmalloc((size_t)c->B * K * 4), stats[2];
    uint8_t *y = xmalloc((size_t)c->B);
    clrt_download(&c->rt, c->nt.y, 0, (size_t)c->B, y);
    clrt_download(&c->rt, c->stats, 0, sizeof stats, stats);
    int correct;
    double cost = ref_softmax_xent(want, z, y, c->B, K, &correct);
    double err = compare_all(probs, want, (size_t)c->B * K);
    err = fmax(err, fabs(stats[0] - cost) / fmax(fabs(cost), 1e-30));
    if ((int)stats[1] != correct)
        err = INFINITY;
    free(z), free(probs), free(want), free(y);
    return err;
}

static void op_sgd(bench_ctx *c, int i)
{
    (void)i;
    optim_hparams h = {OPT_SGD, 0, 0, 0, 0, 0};
    optim_update(&c->rt, c->scratch, c->nt.grads, NULL, NULL, c->nt.decay, c->status, &h, 0.01,
                 1, c->nt.nparams);
}

static double check_sgd(bench_ctx *c, int i)
{
    size_t n = c->nt.nparams;
    copy_buffer(c, c->scratch, c->nt.params, n);
    op_sgd(c, i);
    float *p = readback(c, c->nt.params, n), *g = readback(c, c->nt.grads, n),
          *got = readback(c, c->scratch, n);
    for (size_t j = 0; j < n; j++)
        p[j] -= 0.01f * g[j];
    double err = compare_all(got, p, n);
    free(p), free(g), free(got);
    return err;
}

static void op_step(bench_ctx *c, int i)
{
    (void)i;
    batch_gather(&c->rt, c->nt.x, c->nt.y, &c->data, 0, c->B);
    net_forward(&c->rt, &c->nt, c->B);
    net_loss(&c->rt, &c->nt, c->stats, c->status, 0, c->B, 1);
    net_backward(&c->rt, &c->nt, c->B);
    net_sgd(&c->rt, &c->nt, c->status, 1e-4f);
}

/* The step is made of the ops validated above; this checks they add up: the step's cost is the
 * reference cost of the logits it produced. */
static double check_step(bench_ctx *c, int i)
{
    op_step(c, i);
    return check_loss(c, i);
}

/* The histogram capture of clnet train, over the activations the step left behind. */
static void op_hist(bench_ctx *c, int i)
{
    (void)i;
    capture_run(&c->rt, &c->hcap, c->hs, c->hb);
}

/* Every bin must match the reference exactly: the error is the fraction of values misplaced,
 * plus the relative error of the mean and std. */
static double check_hist(bench_ctx *c, int i)
{
    op_hist(c, i);
    double err = 0;
    uint32_t ref[HIST_MAX_BINS];
    for (int t = 0; t < c->hcap.ntensors; t++) {
        const tensor_ref *tr = &c->hcap.t[t];
        float *x = readback(c, tr->buf, tr->count);
        hist_stats r, *d = &c->hs[t];
        ref_hist_stats(&r, x, tr->count);
        ref_hist_bins(ref, x, tr->count, d->lo, d->scale, c->hcap.nbins);
        double off = 0, scale = fabs(r.mean) + r.std + 1e-30;
        for (int b = 0; b < c->hcap.nbins; b++)
            off += fabs((double)ref[b] - c->hb[t * c->hcap.nbins + b]);
        err = fmax(err, off / (double)(tr->count ? tr->count : 1) +
                            fabs(d->mean - r.mean) / scale + fabs(d->std - r.std) / scale);
        free(x);
    }
    return err;
}

static double capture_bytes(const bench_ctx *c)
{
    double n = 0;
    for (int t = 0; t < c->hcap.ntensors; t++)
        n += (double)c->hcap.t[t].count;
    return 8 * n; /* read twice: statistics, then bins */
}

/* ---- conv forward alternatives, in CLBlast's NCHW layout ---- */

static void op_convgemm(bench_ctx *c, int i)
{
    const conv_geom *g = &L(c, i)->conv;
    CLB_CHECK(CLBlastSconvgemm(CLBlastKernelModeCrossCorrelation, g->C, g->H, g->W, g->KH, g->KW,
                               g->pad, g->pad, g->stride, g->stride, 1, 1, g->K, c->B, c->nchw_in,
                               0, c->nt.params, L(c, i)->w_off, c->nchw_out, 0, &c->rt.queue, NULL));
}

static void op_im2col_batched(bench_ctx *c, int i)
{
    const conv_geom *g = &L(c, i)->conv;
    size_t rows = (size_t)g->C * g->KH * g->KW, P = (size_t)g->OH * g->OW;
    for (int b = 0; b < c->B; b++)
        CLB_CHECK(CLBlastSim2col(CLBlastKernelModeCrossCorrelation, g->C, g->H, g->W, g->KH, g->KW,
                                 g->pad, g->pad, g->stride, g->stride, 1, 1, c->nchw_in,
                                 (size_t)b * g->C * g->H * g->W, c->col, b * rows * P,
                                 &c->rt.queue, NULL));
    CLB_CHECK(CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, CLBlastTransposeNo,
                                         CLBlastTransposeNo, g->K, P, rows, 1.0f, c->nt.params,
                                         L(c, i)->w_off, rows, 0, c->col, 0, P, rows * P, 0.0f,
                                         c->nchw_out, 0, P, g->K * P, c->B, &c->rt.queue, NULL));
}

/* Uploads the layer's input in NCHW, runs op, compares samples with the reference (no bias). */
static double check_nchw(bench_ctx *c, int i, op_fn op)
{
    const conv_geom *g = &L(c, i)->conv;
    size_t P = (size_t)g->H * g->W, n = in_count(c, i);
    float *x = readback(c, layer_in(c, i), n), *t = xmalloc(n * sizeof(float));
    for (int ch = 0; ch < g->C; ch++)
        for (int b = 0; b < c->B; b++)
            memcpy(t + ((size_t)b * g->C + ch) * P, x + ((size_t)ch * c->B + b) * P, P * sizeof(float));
    clrt_upload(&c->rt, c->nchw_in, 0, n * sizeof(float), t);
    op(c, i);
    float *z = readback(c, c->nchw_out, out_count(c, i)), *p = readback(c, c->nt.params, c->nt.nparams);
    float *zero = xcalloc((size_t)g->K, sizeof(float));
    erracc e = {0, 0};
    for (int s = 0; s < SAMPLES; s++) {
        int k = (int)pick(c, g->K), b = (int)pick(c, c->B), oy = (int)pick(c, g->OH),
            ox = (int)pick(c, g->OW);
        double want = ref_conv_out(x, p + L(c, i)->w_off, zero, g, c->B, k, b, oy, ox);
        err_add(&e, z[(((size_t)b * g->K + k) * g->OH + oy) * g->OW + ox], want);
    }
    free(x), free(t), free(z), free(p), free(zero);
    return err_value(&e);
}

static double check_convgemm(bench_ctx *c, int i)
{
    return check_nchw(c, i, op_convgemm);
}

static double check_im2col_batched(bench_ctx *c, int i)
{
    return check_nchw(c, i, op_im2col_batched);
}

/* ---- rows ---- */

static int wanted(const char *filter, const char *name)
{
    return !filter || strstr(name, filter) != NULL;
}

/* Warms op up, validates it, then times it (unless it failed). */
static void add_row(bench_ctx *c, const char *filter, const char *name, const char *variant,
                    int used, op_fn op, double (*check)(bench_ctx *, int), int i, double flops,
                    double bytes)
{
    if (!wanted(filter, name))
        return;
    if (c->nrows == c->cap)
        c->rows = realloc(c->rows, (size_t)(c->cap = c->cap ? 2 * c->cap : 32) * sizeof(row));
    if (!c->rows)
        die("out of host memory");
    row *r = &c->rows[c->nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->variant, sizeof r->variant, "%s", variant);
    r->used = used, r->flops = flops, r->bytes = bytes;
    double t0 = now_seconds();
    op(c, i);
    clrt_finish(&c->rt);
    r->first_ms = (now_seconds() - t0) * 1e3;
    r->err = check(c, i);
    r->failed = !(r->err <= CHECK_TOL);
    if (!r->failed)
        time_op(c, op, i, r);
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\rbench: %-18s %-28s done", name, variant);
}

static void conv_rows(bench_ctx *c, const char *f, int i, int index)
{
    layer *l = L(c, i);
    const conv_geom *g = &l->conv;
    double B = c->B, P = (double)g->OH * g->OW, rows = (double)g->C * g->KH * g->KW, K = g->K;
    double x = 4 * B * g->C * g->H * g->W, z = 4 * B * K * P, w = 4 * (K * rows + K);
    double gemm = 2 * K * rows * B * P;
    char name[32];
    struct {
        enum conv_algo algo;
        const char *fwd, *bwd_w, *bwd_d;
    } algos[] = {
        {CONV_TILED, "tiled (pad+gemm+crop)", "tiled (pad+gemm)+row sums", "tiled (pad+gemm+crop)"},
        {CONV_CLBLAST, "im2col+clblast-gemm", "im2col+clblast-gemm+gemv", "clblast-gemm+col2im"},
    };
    if (conv_tiled_forward_im2col(g)) /* tiled runs on an im2col matrix */
        algos[0].fwd = "im2col+tiled";
    if (!conv_tiled_implicit(g))
        algos[0].bwd_w = "im2col_t+tiled+row sums", algos[0].bwd_d = "tiled+col2im";
    for (int a = 0; a < 2; a++) {
        int used = algos[a].algo == g->algo;
        c->algo = algos[a].algo;
        snprintf(name, sizeof name, "conv%d.fwd", index);
        add_row(c, f, name, algos[a].fwd, used, op_conv_fwd, check_conv_fwd, i,
                gemm + K * B * P, x + w + z);
        snprintf(name, sizeof name, "conv%d.bwd-weights", index);
        add_row(c, f, name, algos[a].bwd_w, used, op_conv_bwd_weights, check_conv_bwd_weights,
                i, gemm + 2 * K * B * P, x + z + w);
        if (i > 0) {
            snprintf(name, sizeof name, "conv%d.bwd-data", index);
            add_row(c, f, name, algos[a].bwd_d, used, op_conv_bwd_data, check_conv_bwd_data, i,
                    gemm, x + z + w);
        }
    }
    c->algo = CONV_AUTO;
    snprintf(name, sizeof name, "conv%d.fwd", index);
    add_row(c, f, name, "clblast-convgemm (NCHW)", 0, op_convgemm, check_convgemm, i, gemm, x + w + z);
    add_row(c, f, name, "clblast-im2col+batched-gemm", 0, op_im2col_batched, check_im2col_batched, i,
            gemm, x + w + z);
    snprintf(name, sizeof name, "bias%d", index);
    /* the tiled GEMM adds the bias as it stores: a separate pass only with CLBlast */
    add_row(c, f, name, "bias_add", g->algo == CONV_CLBLAST, op_bias, check_bias, i, K * B * P,
            2 * z + 4 * K);
    snprintf(name, sizeof name, "relu%d.fwd", index);
    add_row(c, f, name, "relu_forward", 1, op_relu_fwd, check_relu_fwd, i, K * B * P, 2 * z);
    snprintf(name, sizeof name, "relu%d.bwd", index);
    add_row(c, f, name, "relu_backward (in place)", 1, op_relu_bwd, check_relu_bwd, i, K * B * P, 3 * z);
}

/* Useful FLOPs of one training step: three GEMMs per conv layer (two for the first, which has
 * no data gradient) and per fc layer. */
static double step_flops(bench_ctx *c)
{
    double total = 0;
    for (int i = 0; i < c->nt.nlayers; i++) {
        layer *l = L(c, i);
        double gemm = 2.0 * l->nw * c->B * l->out_h * l->out_w;
        if (l->nw)
            total += gemm * (i ? 3 : 2);
    }
    return total;
}

static void all_rows(bench_ctx *c, const char *f)
{
    int conv = 0, pool = 0;
    for (int i = 0; i < c->nt.nlayers; i++) {
        layer *l = L(c, i);
        double in = 4.0 * in_count(c, i), out = 4.0 * out_count(c, i);
        char name[32];
        if (l->kind == LAYER_CONV) {
            conv_rows(c, f, i, ++conv);
        } else if (l->kind == LAYER_POOL) {
            snprintf(name, sizeof name, "pool%d.fwd", ++pool);
            add_row(c, f, name, "maxpool_forward", 1, op_pool_fwd, check_pool_fwd, i,
                    out / 4 * 3, in + 2 * out);
            snprintf(name, sizeof name, "pool%d.bwd", pool);
            add_row(c, f, name, "maxpool_backward", 1, op_pool_bwd, check_pool_bwd, i, 0,
                    in + 2 * out);
        } else if (l->kind == LAYER_FC && l->flatten && i == c->nt.nlayers - 1) {
            double F = l->fan_in, K = l->out_c, B = c->B;
            double bytes = 4 * (2 * B * F + F * K + 2 * B * K);
            int own = gemm_device_algo(&c->rt) == CONV_TILED; /* dense.c: clnet's GEMM */
            add_row(c, f, "fc.fwd", own ? "flatten+transpose+gemm" : "flatten+gemm+bias", 1,
                    op_fc_fwd, check_fc_fwd, i, 2 * B * F * K, bytes);
            add_row(c, f, "fc.bwd", own ? "gemm+gemm+transpose+gemm+unflatten"
                    : "gemm+gemv+gemm+unflatten", 1, op_fc_bwd, check_fc_bwd, i, 4 * B * F * K,
                    bytes + 4 * 2 * B * F);
        }
    }
    double B = c->B, K = CLNET_CLASSES, np = (double)c->nt.nparams;
    add_row(c, f, "softmax-xent", "softmax_xent+loss_reduce", 1, op_loss, check_loss, 0,
            B * K * 6, 4 * (3 * B * K + 2 * B));
    add_row(c, f, "sgd", "optim_update (sgd)", 1, op_sgd, check_sgd, 0, 2 * np, 4 * 4 * np);
    add_row(c, f, "step", "whole training step", 1, op_step, check_step, 0, step_flops(c), 0);
    add_row(c, f, "hist", "histogram capture (6 tensors)", 1, op_hist, check_hist, 0, 0,
            capture_bytes(c));
}

/* ---- output ---- */

typedef struct {
    double gflops, gbs, pct;
    const char *bound;
} rate;

static rate rate_of(const row *r, const peaks *p)
{
    rate t = {0, 0, 0, "-"};
    if (r->failed || r->min_ms <= 0)
        return t;
    t.gflops = r->flops / (r->min_ms * 1e6);
    t.gbs = r->bytes / (r->min_ms * 1e6);
    double bw = fmax(p->read, fmax(p->write, p->copy));
    int compute = r->bytes == 0 || (r->flops > 0 && r->flops / r->bytes > p->gflops / bw);
    t.bound = compute ? "compute" : "memory";
    t.pct = 100.0 * (compute ? t.gflops / p->gflops : t.gbs / bw);
    return t;
}

static void device_info(const bench_ctx *c, char *driver, size_t dl, char *version, size_t vl)
{
    CL_CHECK(clGetDeviceInfo(c->rt.device, CL_DRIVER_VERSION, dl, driver, NULL));
    CL_CHECK(clGetDeviceInfo(c->rt.device, CL_DEVICE_VERSION, vl, version, NULL));
    driver[dl - 1] = version[vl - 1] = '\0';
}

static void print_table(FILE *out, const bench_ctx *c, const peaks *p)
{
    char driver[128], version[128];
    device_info(c, driver, sizeof driver, version, sizeof version);
    fprintf(out, "device   %s / %s (driver %s, %s)\n", c->rt.platform_name, c->rt.device_name,
            driver, version);
    fprintf(out, "software CLBlast %s (GEMM parameters: %s); clnet's GEMM tile %d x %d "
            "(float%d); clnet built with %s\n", CLNET_CLBLAST_VERSION,
            c->rt.tuned[0] ? c->rt.tuned : "CLBlast's own, no clnet tune", c->rt.gemm_mr,
            c->rt.gemm_nv * c->rt.gemm_vw, c->rt.gemm_vw, CLNET_BUILD_FLAGS);
    fprintf(out, "peak     FMA %.1f GFLOP/s (float%d)  read %.1f GB/s  write %.1f GB/s  copy %.1f "
            "GB/s  launch %.1f us\n", p->gflops, p->fma_width, p->read, p->write, p->copy, p->launch_us);
    fprintf(out, "startup  clnet kernels built in %.2f s; first CLBlast GEMM (compiles) %.2f s; "
            "'1st ms' = each op's first call\n", c->rt.build_seconds, c->first_gemm_s);
    fprintf(out, "batch %d, %d timed repetitions; * = what training runs; %%peak: of the FMA peak "
            "when compute-bound, else of the best bandwidth\n(bandwidth is measured on buffers "
            "larger than caches: tensors that stay in cache can pass 100%%)\n\n", c->B, c->repeat);
    fprintf(out, "%-18s %-30s %9s %9s %9s %8s %6s %-8s %9s %s\n", "op", "variant", "min ms",
            "med ms", "GFLOP/s", "GB/s", "%peak", "bound", "1st ms", "check");
    for (int i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        rate t = rate_of(r, p);
        char variant[48];
        snprintf(variant, sizeof variant, "%s%s", r->variant, r->used ? " *" : "");
        if (r->failed) {
            fprintf(out, "%-18s %-30s %9s %9s %9s %8s %6s %-8s %9.1f FAILED (error %.2g)\n",
                    r->name, variant, "-", "-", "-", "-", "-", "-", r->first_ms, r->err);
            continue;
        }
        fprintf(out, "%-18s %-30s %9.3f %9.3f %9.2f %8.2f %6.1f %-8s %9.1f ok (%.1e)\n", r->name,
                variant, r->min_ms, r->med_ms, t.gflops, t.gbs, t.pct, t.bound, r->first_ms, r->err);
        if (!strcmp(r->name, "step"))
            fprintf(out, "%-18s %-30s %9.1f images/s\n", "", "", c->B / (r->min_ms * 1e-3));
    }
    /* the fastest variant of each conv op */
    for (int i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        int seen = strncmp(r->name, "conv", 4) != 0;
        for (int k = 0; k < i && !seen; k++)
            seen = !strcmp(c->rows[k].name, r->name);
        if (seen)
            continue;
        const row *best = NULL, *used = NULL;
        for (int j = i; j < c->nrows; j++) {
            if (strcmp(c->rows[j].name, r->name))
                continue;
            if (!c->rows[j].failed && (!best || c->rows[j].min_ms < best->min_ms))
                best = &c->rows[j];
            if (c->rows[j].used)
                used = &c->rows[j];
        }
        if (best)
            fprintf(out, "%s: fastest here is %s (%.3f ms)%s\n", r->name, best->variant, best->min_ms,
                    best == used ? ", which training uses" : used ? ", not what training uses" : "");
    }
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* Non-finite numbers are not JSON: they become null. */
static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void write_json(FILE *f, const bench_ctx *c, const peaks *p)
{
    char driver[128], version[128];
    device_info(c, driver, sizeof driver, version, sizeof version);
    fputs("{\n  \"device\": ", f);
    json_string(f, c->rt.device_name);
    fputs(",\n  \"platform\": ", f);
    json_string(f, c->rt.platform_name);
    fputs(",\n  \"driver\": ", f);
    json_string(f, driver);
    fputs(",\n  \"opencl\": ", f);
    json_string(f, version);
    fputs(",\n  \"clblast\": ", f);
    json_string(f, CLNET_CLBLAST_VERSION);
    fputs(",\n  \"build_flags\": ", f);
    json_string(f, CLNET_BUILD_FLAGS);
    fprintf(f, ",\n  \"batch\": %d,\n  \"repeat\": %d,\n  \"build_seconds\": ", c->B, c->repeat);
    json_number(f, c->rt.build_seconds);
    fputs(",\n  \"first_gemm_seconds\": ", f);
    json_number(f, c->first_gemm_s);
    fputs(",\n  \"peak\": {\"gflops\": ", f);
    json_number(f, p->gflops);
    fprintf(f, ", \"fma_width\": %d, \"read_gbs\": ", p->fma_width);
    json_number(f, p->read);
    fputs(", \"write_gbs\": ", f);
    json_number(f, p->write);
    fputs(", \"copy_gbs\": ", f);
    json_number(f, p->copy);
    fputs(", \"launch_us\": ", f);
    json_number(f, p->launch_us);
    fputs("},\n  \"rows\": [", f);
    for (int i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        rate t = rate_of(r, p);
        fputs(i ? ",\n    {\"op\": " : "\n    {\"op\": ", f);
        json_string(f, r->name);
        fputs(", \"variant\": ", f);
        json_string(f, r->variant);
        fprintf(f, ", \"used\": %s, \"status\": \"%s\", \"error\": ", r->used ? "true" : "false",
                r->failed ? "FAILED" : "ok");
        json_number(f, r->err);
        const double nums[] = {r->min_ms, r->med_ms, t.gflops, t.gbs, t.pct, r->flops, r->bytes,
                               r->first_ms};
        const char *keys[] = {"min_ms", "med_ms", "gflops", "gbs", "pct_peak", "flops", "bytes",
                              "first_ms"};
        for (int k = 0; k < 8; k++) {
            fprintf(f, ", \"%s\": ", keys[k]);
            if (r->failed && k < 5)
                fputs("null", f);
            else
                json_number(f, nums[k]);
        }
        fprintf(f, ", \"bound\": \"%s\"}", t.bound);
    }
    fputs("\n  ]\n}\n", f);
}

static void write_csv(FILE *f, const bench_ctx *c, const peaks *p)
{
    fprintf(f, "op,variant,used,status,error,min_ms,med_ms,gflops,gbs,pct_peak,bound,flops,bytes,"
               "first_ms\n");
    for (int i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        rate t = rate_of(r, p);
        fprintf(f, "%s,%s,%d,%s,%.3g,%.6g,%.6g,%.6g,%.6g,%.6g,%s,%.6g,%.6g,%.6g\n", r->name,
                r->variant, r->used, r->failed ? "FAILED" : "ok", r->err, r->min_ms, r->med_ms,
                t.gflops, t.gbs, t.pct, t.bound, r->flops, r->bytes, r->first_ms);
    }
}

#define JSON_HEAD "{\n  \"device\": "
#define CSV_HEAD "op,variant,used,status,"

static int json_is_own(const uint8_t *head, size_t n)
{
    return n >= strlen(JSON_HEAD) && !memcmp(head, JSON_HEAD, strlen(JSON_HEAD));
}

static int csv_is_own(const uint8_t *head, size_t n)
{
    return n >= strlen(CSV_HEAD) && !memcmp(head, CSV_HEAD, strlen(CSV_HEAD));
}

/* --json and --csv, before any timing: files bench may replace, with room beside them. */
static void check_outputs(const bench_opts *o)
{
    char why[MSG_BUF];
    if (o->json_path && strcmp(o->json_path, "-") &&
        check_output_file(o->json_path, json_is_own, "JSON file of clnet bench", why, sizeof why))
        die("--json %s: %s", o->json_path, why);
    if (o->csv_path && strcmp(o->csv_path, "-") &&
        check_output_file(o->csv_path, csv_is_own, "CSV file of clnet bench", why, sizeof why))
        die("--csv %s: %s", o->csv_path, why);
}

/* Writes through a temporary file renamed into place, so a failed run leaves no partial file. */
static void write_output(const char *path, const char *flag,
                         void (*fn)(FILE *, const bench_ctx *, const peaks *), const bench_ctx *c,
                         const peaks *p)
{
    if (!strcmp(path, "-")) {
        fn(stdout, c, p);
        return;
    }
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        die("out of host memory writing %s", path);
    fn(f, c, p);
    fclose(f);
    int rc = write_file_atomic(path, buf, len, 0);
    free(buf);
    if (rc)
        die("%s %s: cannot write: %s", flag, path, strerror(errno));
}

/* ---- set-up ---- */

static void setup(bench_ctx *c, const bench_opts *o)
{
    char err[256];
    if (net_parse(CLNET_DEFAULT_SPEC, 1, 28, 28, &c->nt, err, sizeof err))
        die("network spec: %s", err);
    int pool_images = 4 * o->batch;
    net_alloc(&c->rt, &c->nt, o->batch, batch_device_bytes(pool_images, 784));
    net_init_params(&c->rt, &c->nt, INIT_HE, 0, 1);
    /* synthetic images: a batch to gather for the whole step */
    dataset d = {.count = pool_images, .rows = 28, .cols = 28,
                 .pixels = xmalloc((size_t)pool_images * 784),
                 .labels = xmalloc((size_t)pool_images)};
    for (size_t i = 0; i < (size_t)pool_images * 784; i++)
        d.pixels[i] = (uint8_t)rng_below(&c->rng, 256);
    for (int i = 0; i < pool_images; i++)
        d.labels[i] = (uint8_t)rng_below(&c->rng, CLNET_CLASSES);
    batch_upload(&c->rt, &c->data, &d, "bench images");
    dataset_free(&d);
    size_t big = 0;
    for (int i = 0; i < c->nt.nlayers; i++)
        if (L(c, i)->kind == LAYER_CONV) {
            big = in_count(c, i) > big ? in_count(c, i) : big;
            big = out_count(c, i) > big ? out_count(c, i) : big;
        }
    size_t col = 1;
    for (int i = 0; i < c->nt.nlayers; i++) {
        layer *l = L(c, i);
        size_t need = 0;
        if (l->kind == LAYER_CONV) {
            conv_geom g = l->conv;
            g.algo = CONV_AUTO; /* room for both algorithms */
            need = conv_col_floats(&g, c->B);
        } else if (l->kind == LAYER_FC) {
            need = dense_ws_floats(c->B, l->fan_in, l->out_c);
        }
        col = need > col ? need : col;
    }
    c->col = clrt_buffer(&c->rt, col * sizeof(float), "bench workspace");
    c->nchw_in = clrt_buffer(&c->rt, big * sizeof(float), "bench NCHW input");
    c->nchw_out = clrt_buffer(&c->rt, big * sizeof(float), "bench NCHW output");
    size_t scratch = big > c->nt.nparams ? big : c->nt.nparams;
    c->scratch = clrt_buffer(&c->rt, scratch * sizeof(float), "bench scratch");
    c->stats = clrt_buffer(&c->rt, 2 * sizeof(float), "bench stats");
    capture_open(&c->rt, &c->hcap, &c->nt, 0, 64, 0);
    c->hs = xmalloc((size_t)c->hcap.ntensors * sizeof *c->hs);
    c->hb = xmalloc((size_t)c->hcap.ntensors * 64 * sizeof *c->hb);
    c->status = clrt_buffer(&c->rt, sizeof(int), "bench status");
    clrt_fill_zero(&c->rt, c->status, sizeof(int));
    /* one full step fills every activation and gradient; its first GEMM compiles CLBlast's */
    batch_gather(&c->rt, c->nt.x, c->nt.y, &c->data, 0, c->B);
    double t0 = now_seconds();
    conv_forward(&c->rt, L(c, 0)->z, c->nt.x, c->nt.params, L(c, 0)->w_off, L(c, 0)->b_off,
                 c->nt.col, &L(c, 0)->conv, c->B);
    clrt_finish(&c->rt);
    c->first_gemm_s = now_seconds() - t0;
    op_step(c, 0);
    clrt_finish(&c->rt);
}

int bench_run(const bench_opts *o)
{
    bench_ctx *c = xcalloc(1, sizeof *c);
    c->B = o->batch, c->repeat = o->repeat;
    check_outputs(o);
    rng_seed(&c->rng, 12345);
    clrt_open(&c->rt, o->device, o->kernel_dir);
    fprintf(stderr, "bench: %s, measuring the device's limits...\n", c->rt.device_name);
    peaks p = {0, 0, 0, 0, 0, 0};
    measure_fma(c, &p);
    measure_memory(c, &p);
    measure_launch(c, &p);
    setup(c, o);
    all_rows(c, o->filter);
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r%70s\r", "");
    if (c->nrows == 0)
        die("--filter '%s' matches no op (see the op names of a plain `clnet bench`)", o->filter);
    int stdout_taken = (o->json_path && !strcmp(o->json_path, "-")) ||
                       (o->csv_path && !strcmp(o->csv_path, "-"));
    if (!stdout_taken)
        print_table(stdout, c, &p);
    if (o->json_path)
        write_output(o->json_path, "--json", write_json, c, &p);
    if (o->csv_path)
        write_output(o->csv_path, "--csv", write_csv, c, &p);
    int failed = 0;
    for (int i = 0; i < c->nrows; i++)
        failed += c->rows[i].failed;
    if (failed)
        fprintf(stderr, "clnet: %d op(s) FAILED validation against the plain-C reference\n", failed);
    free(c->rows);
    clReleaseMemObject(c->col);
    clReleaseMemObject(c->nchw_in), clReleaseMemObject(c->nchw_out), clReleaseMemObject(c->scratch);
    clReleaseMemObject(c->stats), clReleaseMemObject(c->status);
    capture_close(&c->hcap);
    free(c->hs), free(c->hb);
    batch_release(&c->data);
    net_free(&c->nt);
    clrt_close(&c->rt);
    free(c);
    return failed ? 1 : 0;
}
