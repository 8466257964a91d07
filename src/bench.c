/* bench.c: `clnet bench`. Measures the device's limits (bench_peak.c), then for every op of a
 * training step of the network at its real shapes: warm up (the first call compiles), validate
 * against the plain-C reference (a wrong kernel is reported FAILED and not timed), then time
 * repetitions with profiling events on markers around the op; bench_out.c writes the results. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/clrt.h" /* before clblast_c.h: it sets the OpenCL version the headers target */

#include <clblast_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clnet/bench_parts.h"
#include "clnet/blas.h"
#include "clnet/data.h"
#include "clnet/gemm.h"
#include "clnet/ref.h"
#include "clnet/stop.h"
#include "clnet/util.h"

#define CHECK_TOL 1e-3 /* error relative to the largest reference value in the sample */
#define SAMPLES 256    /* elements checked per big output */

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
    r->med_ms = bench_sort(ms, c->repeat);
    r->min_ms = ms[0];
    free(ms);
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

/* As training runs it: with the ReLU after it, fused where the path allows. */
static void op_conv_fwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    conv_geom g = geom(c, i);
    conv_forward(&c->rt, l->z, l->relu ? l->a : NULL, layer_in(c, i), l->xg, c->nt.params,
                 l->w_off, l->b_off, c->col, &g, c->B);
}

static double check_conv_fwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    const conv_geom *g = &l->conv;
    conv_geom gt = geom(c, i);
    int fused = l->relu && conv_fuses_relu(&gt, conv_algo_of(&c->rt, &gt), CONV_FWD);
    if (fused) /* a stale ReLU(z) from the step would pass */
        clrt_fill_zero(&c->rt, l->a, out_count(c, i) * sizeof(float));
    op_conv_fwd(c, i);
    float *x = readback(c, layer_in(c, i), in_count(c, i)), *z = readback(c, l->z, out_count(c, i));
    float *p = readback(c, c->nt.params, c->nt.nparams);
    float *a = fused ? readback(c, l->a, out_count(c, i)) : NULL;
    erracc e = {0, 0};
    for (int s = 0; s < SAMPLES; s++) {
        int k = (int)pick(c, g->K), b = (int)pick(c, c->B), oy = (int)pick(c, g->OH),
            ox = (int)pick(c, g->OW);
        size_t at = (((size_t)k * c->B + b) * g->OH + oy) * g->OW + ox;
        double want = ref_conv_out(x, p + l->w_off, p + l->b_off, g, c->B, k, b, oy, ox);
        err_add(&e, z[at], want);
        if (a)
            err_add(&e, a[at], want > 0 ? want : 0);
    }
    free(x), free(z), free(p), free(a);
    return err_value(&e);
}

static void op_conv_bwd_weights(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    conv_geom g = geom(c, i);
    conv_backward_weights(&c->rt, c->nt.grads, l->d, layer_in(c, i), l->xg, l->w_off, l->b_off,
                          c->col, c->nt.ones, &g, c->B);
}

static double check_conv_bwd_weights(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    const conv_geom *g = &l->conv;
    op_conv_bwd_weights(c, i);
    float *x = readback(c, layer_in(c, i), in_count(c, i)), *dz = readback(c, l->d, out_count(c, i));
    float *gr = readback(c, c->nt.grads, c->nt.nparams);
    erracc e = {0, 0};
    int taps = g->KH * g->KW;
    for (int s = 0; s < SAMPLES / 4; s++) {
        int k = (int)pick(c, g->K), ch = (int)pick(c, g->C), t = (int)pick(c, (size_t)taps);
        double want = ref_conv_dw(dz, x, g, c->B, k, ch, t / g->KW, t % g->KW);
        err_add(&e, gr[l->w_off + ((size_t)k * g->C + ch) * taps + t], want);
    }
    for (int k = 0; k < g->K; k++)
        err_add(&e, gr[l->b_off + k], ref_conv_db(dz, g, c->B, k));
    free(x), free(dz), free(gr);
    return err_value(&e);
}

/* With the ReLU backward of the layer below, fused where the path allows (as in training). */
static void op_conv_bwd_data(bench_ctx *c, int i)
{
    layer *l = L(c, i), *below = L(c, i - 1);
    conv_geom g = geom(c, i);
    conv_backward_data(&c->rt, below->d, below->relu ? below->z : NULL, l->d, c->nt.params,
                       l->w_off, c->col, &g, c->B);
}

static double check_conv_bwd_data(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    const conv_geom *g = &l->conv;
    layer *below = L(c, i - 1);
    conv_geom gt = geom(c, i);
    int masked = below->relu && conv_fuses_relu(&gt, conv_algo_of(&c->rt, &gt), CONV_BWD_DATA);
    op_conv_bwd_data(c, i);
    float *dz = readback(c, l->d, out_count(c, i)), *dx = readback(c, below->d, in_count(c, i));
    float *p = readback(c, c->nt.params, c->nt.nparams);
    float *rz = masked ? readback(c, below->z, in_count(c, i)) : NULL;
    erracc e = {0, 0};
    for (int s = 0; s < SAMPLES; s++) {
        int ch = (int)pick(c, g->C), b = (int)pick(c, c->B), y = (int)pick(c, g->H),
            x = (int)pick(c, g->W);
        size_t at = (((size_t)ch * c->B + b) * g->H + y) * g->W + x;
        double want = rz && !(rz[at] > 0.0f) ? 0.0 : ref_conv_dx(dz, p + l->w_off, g, c->B, ch, b, y, x);
        err_add(&e, dx[at], want);
    }
    free(dz), free(dx), free(p), free(rz);
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
    ref_relu_forward(z, z, n);
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
    ref_relu_backward(before, z, n);
    double err = compare_all(after, before, n);
    free(before), free(z), free(after);
    return err;
}

/* The layer's own op of the network's passes (pool, pad, fc). */
static void op_layer_fwd(bench_ctx *c, int i)
{
    net_layer_forward(&c->rt, &c->nt, i, c->B);
}

static void op_layer_bwd(bench_ctx *c, int i)
{
    net_layer_backward(&c->rt, &c->nt, i, c->B);
}

static double check_pool_fwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    size_t n = out_count(c, i);
    op_layer_fwd(c, i);
    float *in = readback(c, layer_in(c, i), in_count(c, i)), *out = readback(c, l->a, n);
    float *want = xmalloc(n * sizeof(float));
    (l->avg ? ref_avgpool_forward : ref_maxpool_forward)(want, in, &l->pool, c->B);
    double err = compare_all(out, want, n);
    free(in), free(out), free(want);
    return err;
}

static double check_pool_bwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    size_t n = out_count(c, i), ni = in_count(c, i);
    op_layer_bwd(c, i);
    float *dout = readback(c, l->d, n), *din = readback(c, L(c, i - 1)->d, ni);
    float *want = xmalloc(ni * sizeof(float));
    int *arg = xmalloc(n * sizeof(int));
    if (l->avg) {
        ref_avgpool_backward(want, dout, &l->pool, c->B);
    } else {
        clrt_download(&c->rt, l->arg, 0, n * sizeof(int), arg);
        ref_maxpool_backward(want, dout, arg, n, ni);
    }
    double err = compare_all(din, want, ni);
    free(dout), free(din), free(arg), free(want);
    return err;
}

static double check_pad_fwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    size_t n = out_count(c, i);
    op_layer_fwd(c, i);
    float *in = readback(c, layer_in(c, i), in_count(c, i)), *out = readback(c, l->a, n);
    float *want = xmalloc(n * sizeof(float));
    ref_pad_forward(want, in, l->in_c * c->B, l->in_h, l->in_w, l->out_h, l->out_w, l->pad_top,
                    l->pad_left);
    double err = compare_all(out, want, n);
    free(in), free(out), free(want);
    return err;
}

static double check_pad_bwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    size_t ni = in_count(c, i);
    op_layer_bwd(c, i);
    float *dout = readback(c, l->d, out_count(c, i)), *din = readback(c, L(c, i - 1)->d, ni);
    float *want = xmalloc(ni * sizeof(float));
    ref_pad_backward(want, dout, l->in_c * c->B, l->in_h, l->in_w, l->out_h, l->out_w,
                     l->pad_top, l->pad_left);
    double err = compare_all(din, want, ni);
    free(dout), free(din), free(want);
    return err;
}

/* The fc input as (B, F) rows: the previous fc's output as it is, a channel-major (C, B, P)
 * tensor flattened per image. */
static float *fc_rows(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    int P = l->in_h * l->in_w, F = l->fan_in;
    float *x = readback(c, layer_in(c, i), in_count(c, i));
    if (!l->flatten)
        return x;
    float *rows = xmalloc((size_t)c->B * F * 4);
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
    op_layer_fwd(c, i);
    float *rows = fc_rows(c, i), *p = readback(c, c->nt.params, c->nt.nparams);
    float *z = readback(c, l->z, (size_t)c->B * l->out_c), *want = xmalloc((size_t)c->B * l->out_c * 4);
    ref_dense_forward(want, rows, p + l->w_off, p + l->b_off, c->B, l->fan_in, l->out_c);
    double err = compare_all(z, want, (size_t)c->B * l->out_c);
    free(rows), free(p), free(z), free(want);
    return err;
}

static double check_fc_bwd(bench_ctx *c, int i)
{
    layer *l = L(c, i);
    int F = l->fan_in, K = l->out_c, P = l->in_h * l->in_w;
    op_layer_bwd(c, i);
    float *rows = fc_rows(c, i), *p = readback(c, c->nt.params, c->nt.nparams);
    float *g = readback(c, c->nt.grads, c->nt.nparams), *dz = readback(c, l->d, (size_t)c->B * K);
    float *dx = net_wants_input_grad(&c->nt, i) ? readback(c, L(c, i - 1)->d, in_count(c, i))
                                                : NULL;
    double *dw = xmalloc(((size_t)F * K + K) * sizeof(double)),
           *dxr = xmalloc((size_t)c->B * F * sizeof(double));
    ref_dense_backward(dw, dw + (size_t)F * K, dxr, rows, dz, p + l->w_off, c->B, F, K);
    erracc e = {0, 0};
    for (size_t j = 0; j < (size_t)F * K; j++)
        err_add(&e, g[l->w_off + j], dw[j]);
    for (int k = 0; k < K; k++)
        err_add(&e, g[l->b_off + k], dw[(size_t)F * K + k]);
    for (int b = 0; dx && b < c->B; b++)
        for (int f = 0; f < F; f++) /* a flattened input's gradient is channel-major again */
            err_add(&e, dx[l->flatten ? ((size_t)(f / P) * c->B + b) * P + f % P
                                      : (size_t)b * F + f], dxr[(size_t)b * F + f]);
    free(rows), free(p), free(g), free(dz), free(dx), free(dw), free(dxr);
    return err_value(&e);
}

static void op_loss(bench_ctx *c, int i)
{
    (void)i;
    net_loss(&c->rt, &c->nt, c->stats, c->status, 0, c->B, 0);
}

static double check_loss(bench_ctx *c, int i)
{
    int K = c->nt.classes;
    op_loss(c, i);
    layer *last = L(c, c->nt.nlayers - 1);
    float *z = readback(c, last->z, (size_t)c->B * K), *probs = readback(c, c->nt.probs, (size_t)c->B * K);
    float *want = xmalloc((size_t)c->B * K * 4), stats[2];
    uint16_t *y = xmalloc((size_t)c->B * sizeof *y);
    clrt_download(&c->rt, c->nt.y, 0, (size_t)c->B * sizeof *y, y);
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
          *got = readback(c, c->scratch, n), *decay = readback(c, c->nt.decay, n);
    double *want = xmalloc(n * sizeof(double));
    for (size_t j = 0; j < n; j++)
        want[j] = p[j];
    optim_hparams h = {OPT_SGD, 0, 0, 0, 0, 0};
    ref_optim_update(want, NULL, NULL, g, decay, &h, 0.01, 1, n);
    for (size_t j = 0; j < n; j++)
        p[j] = (float)want[j];
    double err = compare_all(got, p, n);
    free(p), free(g), free(got), free(decay), free(want);
    return err;
}

static void op_step(bench_ctx *c, int i)
{
    (void)i;
    batch_gather(&c->rt, c->nt.x, c->nt.y, &c->data, 0, c->B, 0);
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
    if (c->dry) {
        c->nrows++;
        return;
    }
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

/* Whether training fuses layer i's ReLU (forward, or backward) into a conv's crop. */
static int relu_fused(bench_ctx *c, int i, int backward)
{
    int at = backward ? i + 1 : i;
    if (at >= c->nt.nlayers || L(c, at)->kind != LAYER_CONV ||
        (backward && !net_wants_input_grad(&c->nt, at)))
        return 0;
    const conv_geom *g = &L(c, at)->conv;
    return conv_fuses_relu(g, conv_algo_of(&c->rt, g), backward ? CONV_BWD_DATA : CONV_FWD);
}

/* The ReLU after layer i, as name.fwd and name.bwd: a pass of its own where training runs one. */
static void relu_rows(bench_ctx *c, const char *f, int i, const char *name)
{
    double z = 4.0 * out_count(c, i), n = z / 4;
    char label[40];
    int fwd = relu_fused(c, i, 0), bwd = relu_fused(c, i, 1);
    snprintf(label, sizeof label, "%s.fwd", name);
    add_row(c, f, label, fwd ? "relu_forward (fused in conv)" : "relu_forward", !fwd,
            op_relu_fwd, check_relu_fwd, i, n, 2 * z);
    snprintf(label, sizeof label, "%s.bwd", name);
    add_row(c, f, label, bwd ? "relu_backward (fused in conv)" : "relu_backward (in place)", !bwd,
            op_relu_bwd, check_relu_bwd, i, n, 3 * z);
}

/* conv_dispatch's kernels, "+relu" inside its brackets where the pass fuses a ReLU; the
 * weight gradient on the grid the forward kept (layer.xg). */
static const char *conv_variant(char *buf, size_t len, const layer *l, enum conv_algo algo,
                                enum conv_pass pass, int relu)
{
    const conv_geom *g = &l->conv;
    if (pass == CONV_BWD_WEIGHTS && l->xg && conv_kept_grid_floats(g, algo, 1))
        return "tiled (kept grid+gemm)+row sums";
    const char *d = conv_dispatch(g, algo, pass);
    size_t n = strlen(d);
    if (!relu || !conv_fuses_relu(g, algo, pass) || n < 1 || d[n - 1] != ')')
        return d;
    snprintf(buf, len, "%.*s+relu)", (int)(n - 1), d);
    return buf;
}

static void conv_rows(bench_ctx *c, const char *f, int i, int index)
{
    layer *l = L(c, i);
    const conv_geom *g = &l->conv;
    double B = c->B, P = (double)g->OH * g->OW, rows = (double)g->C * g->KH * g->KW, K = g->K;
    double x = 4 * B * g->C * g->H * g->W, z = 4 * B * K * P, w = 4 * (K * rows + K);
    double gemm = 2 * K * rows * B * P;
    char name[40], variant[40];
    const enum conv_algo algos[] = {CONV_TILED, CONV_CLBLAST};
    for (int a = 0; a < 2; a++) {
        int used = algos[a] == conv_algo_of(&c->rt, g);
        c->algo = algos[a];
        snprintf(name, sizeof name, "conv%d.fwd", index);
        add_row(c, f, name, conv_variant(variant, sizeof variant, l, algos[a], CONV_FWD, l->relu),
                used, op_conv_fwd, check_conv_fwd, i, gemm + K * B * P, x + w + z);
        snprintf(name, sizeof name, "conv%d.bwd-weights", index);
        add_row(c, f, name, conv_variant(variant, sizeof variant, l, algos[a], CONV_BWD_WEIGHTS, 0), used,
                op_conv_bwd_weights, check_conv_bwd_weights, i, gemm + 2 * K * B * P, x + z + w);
        if (net_wants_input_grad(&c->nt, i)) {
            snprintf(name, sizeof name, "conv%d.bwd-data", index);
            add_row(c, f, name, conv_variant(variant, sizeof variant, l, algos[a], CONV_BWD_DATA,
                                             L(c, i - 1)->relu),
                    used, op_conv_bwd_data, check_conv_bwd_data, i, gemm, x + z + w);
        }
    }
    c->algo = CONV_AUTO;
    snprintf(name, sizeof name, "conv%d.fwd", index);
    add_row(c, f, name, "clblast-convgemm (NCHW)", 0, op_convgemm, check_convgemm, i, gemm, x + w + z);
    add_row(c, f, name, "clblast-im2col+batched-gemm", 0, op_im2col_batched, check_im2col_batched, i,
            gemm, x + w + z);
    snprintf(name, sizeof name, "bias%d", index);
    /* the tiled GEMM adds the bias as it stores: a separate pass only with CLBlast */
    add_row(c, f, name, "bias_add", conv_algo_of(&c->rt, g) == CONV_CLBLAST, op_bias, check_bias,
            i, K * B * P, 2 * z + 4 * K);
    snprintf(name, sizeof name, "relu%d", index);
    relu_rows(c, f, i, name);
}

static void pool_rows(bench_ctx *c, const char *f, int i, int index)
{
    layer *l = L(c, i);
    double in = 4.0 * in_count(c, i), out = 4.0 * out_count(c, i);
    double window = (double)l->pool.size * l->pool.size;
    char name[40];
    snprintf(name, sizeof name, "pool%d.fwd", index);
    add_row(c, f, name, l->avg ? "avgpool_forward" : "maxpool_forward", 1, op_layer_fwd,
            check_pool_fwd, i, out / 4 * window, in + (l->avg ? 1 : 2) * out);
    if (!net_wants_input_grad(&c->nt, i)) /* nothing below needs its input's gradient */
        return;
    snprintf(name, sizeof name, "pool%d.bwd", index);
    add_row(c, f, name, l->avg ? "avgpool_backward" : "maxpool_backward", 1, op_layer_bwd,
            check_pool_bwd, i, l->avg ? out / 4 * window : 0, in + 2 * out);
}

static void pad_rows(bench_ctx *c, const char *f, int i, int index)
{
    double bytes = 4.0 * (in_count(c, i) + out_count(c, i));
    char name[40];
    snprintf(name, sizeof name, "pad%d.fwd", index);
    add_row(c, f, name, "pad_forward", 1, op_layer_fwd, check_pad_fwd, i, 0, bytes);
    if (!net_wants_input_grad(&c->nt, i))
        return;
    snprintf(name, sizeof name, "pad%d.bwd", index);
    add_row(c, f, name, "pad_backward (crop)", 1, op_layer_bwd, check_pad_bwd, i, 0, bytes);
}

static void fc_rows_of(bench_ctx *c, const char *f, int i, int index)
{
    layer *l = L(c, i);
    double F = l->fan_in, K = l->out_c, B = c->B;
    double bytes = 4 * (2 * B * F + F * K + 2 * B * K);
    char name[40], variant[48];
    snprintf(name, sizeof name, "fc%d.fwd", index);
    snprintf(variant, sizeof variant, "%s%s", l->flatten ? "flatten+" : "",
             dense_dispatch(&c->rt, 0, 0, c->B, l->out_c));
    add_row(c, f, name, variant, 1, op_layer_fwd, check_fc_fwd, i, 2 * B * F * K, bytes);
    int dx = net_wants_input_grad(&c->nt, i);
    snprintf(name, sizeof name, "fc%d.bwd", index);
    snprintf(variant, sizeof variant, "%s%s", dense_dispatch(&c->rt, 1, dx, c->B, l->out_c),
             l->flatten && dx ? "+unflatten" : "");
    add_row(c, f, name, variant, 1, op_layer_bwd, check_fc_bwd, i, (dx ? 4 : 2) * B * F * K,
            bytes + (dx ? 4 * 2 * B * F : 0));
    if (l->relu) {
        snprintf(name, sizeof name, "relu-fc%d", index);
        relu_rows(c, f, i, name);
    }
}

/* Useful FLOPs of one training step: three GEMMs per conv and fc layer (two where no weights
 * below need the data gradient). */
static double step_flops(bench_ctx *c)
{
    double total = 0;
    for (int i = 0; i < c->nt.nlayers; i++) {
        layer *l = L(c, i);
        double gemm = 2.0 * l->nw * c->B * l->out_h * l->out_w;
        if (l->nw)
            total += gemm * (net_wants_input_grad(&c->nt, i) ? 3 : 2);
    }
    return total;
}

static void all_rows(bench_ctx *c, const char *f)
{
    int counts[4] = {0, 0, 0, 0}; /* of each layer kind, for the rows' names */
    for (int i = 0; i < c->nt.nlayers; i++) {
        layer *l = L(c, i);
        int index = ++counts[l->kind];
        if (l->kind == LAYER_CONV)
            conv_rows(c, f, i, index);
        else if (l->kind == LAYER_POOL)
            pool_rows(c, f, i, index);
        else if (l->kind == LAYER_PAD)
            pad_rows(c, f, i, index);
        else
            fc_rows_of(c, f, i, index);
    }
    double B = c->B, K = c->nt.classes, np = (double)c->nt.nparams;
    add_row(c, f, "softmax-xent", "softmax_xent+loss_reduce", 1, op_loss, check_loss, 0,
            B * K * 6, 4 * (3 * B * K + 2 * B));
    add_row(c, f, "sgd", "optim_update (sgd)", 1, op_sgd, check_sgd, 0, 2 * np, 4 * 4 * np);
    add_row(c, f, "step", "whole training step", 1, op_step, check_step, 0, step_flops(c), 0);
    char variant[48];
    snprintf(variant, sizeof variant, "histogram capture (%d tensors)", c->hcap.ntensors);
    add_row(c, f, "hist", variant, 1, op_hist, check_hist, 0, 0, capture_bytes(c));
}

/* ---- set-up ---- */

static void setup(bench_ctx *c, const bench_opts *o)
{
    int pool_images = 4 * o->batch;
    size_t image = (size_t)o->input[0] * o->input[1] * o->input[2];
    net_alloc(&c->rt, &c->nt, o->batch, batch_device_bytes(pool_images, image));
    net_init_params(&c->rt, &c->nt, INIT_HE, 0, 1);
    /* synthetic images: a batch to gather for the whole step */
    dataset d = {.count = pool_images, .rows = o->input[1], .cols = o->input[0],
                 .channels = o->input[2], .classes = o->classes,
                 .pixels = xmalloc((size_t)pool_images * image),
                 .labels = xmalloc((size_t)pool_images * sizeof(uint16_t))};
    for (size_t i = 0; i < (size_t)pool_images * image; i++)
        d.pixels[i] = (uint8_t)rng_below(&c->rng, 256);
    for (int i = 0; i < pool_images; i++)
        d.labels[i] = (uint16_t)rng_below(&c->rng, (uint64_t)c->nt.classes);
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
    /* one full step fills every activation and gradient; the first layer with weights runs
     * the first GEMM (where CLBlast compiles its kernels) */
    batch_gather(&c->rt, c->nt.x, c->nt.y, &c->data, 0, c->B, 0);
    int first = 0;
    while (first < c->nt.nlayers - 1 && !L(c, first)->nw)
        net_layer_forward(&c->rt, &c->nt, first++, c->B);
    double t0 = now_seconds();
    net_layer_forward(&c->rt, &c->nt, first, c->B);
    clrt_finish(&c->rt);
    c->first_gemm_s = now_seconds() - t0;
    op_step(c, 0);
    clrt_finish(&c->rt);
}

int bench_run(const bench_opts *o)
{
    bench_ctx *c = xcalloc(1, sizeof *c);
    c->B = o->batch, c->repeat = o->repeat;
    bench_check_outputs(o);
    char err[MSG_BUF];
    if (net_parse(o->spec, o->input[2], o->input[1], o->input[0], o->classes, &c->nt, err,
                  sizeof err))
        die_status(EXIT_USAGE, "--arch %s: %s", o->spec, err);
    rng_seed(&c->rng, 12345);
    clrt_open(&c->rt, o->device, o->kernel_dir);
    c->dry = 1; /* the names alone, before a minute of measuring for nothing */
    all_rows(c, o->filter);
    if (c->nrows == 0)
        die_status(EXIT_USAGE, "--filter '%s' matches no op (see the op names of a plain `clnet "
                   "bench`)", o->filter);
    c->nrows = c->dry = 0;
    fprintf(stderr, "bench: %s, measuring the device's limits...\n", c->rt.device_name);
    peaks p;
    bench_peaks(&c->rt, &p);
    setup(c, o);
    all_rows(c, o->filter);
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r%70s\r", "");
    bench_report(c, &p, o);
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
