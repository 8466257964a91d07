/* test_grad.c: finite-difference gradient checks (central differences) for conv (input,
 * weights, bias; 3x3 same, 5x5, stride 2, valid), ReLU, max and average pool (overlapping
 * windows too), zero padding, fully connected, softmax cross-entropy and whole small networks
 * of every layer option. Error measure: ||analytic - numeric|| / (||analytic|| + ||numeric||) < 1e-3. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "clnet/init.h"
#include "clnet/net.h"
#include "clnet/util.h"
#include "helpers.h"

#define GRAD_TOL 1e-3

/* L = sum r[i] * out[i], in double, for an output read back from the device. */
static double project(cl_mem out, const float *r, size_t n)
{
    float *h = xmalloc(n * sizeof(float));
    dev_read(out, h, n);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)r[i] * h[i];
    free(h);
    return s;
}

typedef double (*loss_fn)(void *ctx);

/* Numeric gradient of f with respect to the n floats of buf (host copy host), into num. */
static void numeric_grad(loss_fn f, void *ctx, cl_mem buf, float *host, size_t n, double eps,
                         double *num)
{
    for (size_t i = 0; i < n; i++) {
        float keep = host[i];
        host[i] = (float)(keep + eps);
        dev_write(buf, host, n);
        double up = f(ctx);
        host[i] = (float)(keep - eps);
        dev_write(buf, host, n);
        double down = f(ctx);
        host[i] = keep;
        dev_write(buf, host, n);
        num[i] = (up - down) / (2 * eps);
    }
}

static double compare(cl_mem analytic, size_t off, const double *num, size_t n)
{
    float *a = xmalloc((off + n) * sizeof(float));
    dev_read(analytic, a, off + n);
    double *ad = xmalloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        ad[i] = a[off + i];
    double e = norm_rel_error(ad, num, n);
    free(a), free(ad);
    return e;
}

/* ---- conv ---- */

typedef struct {
    conv_geom g;
    int n;
    cl_mem x, p, z, col;
    float *r;
} conv_ctx;

static double conv_loss(void *v)
{
    conv_ctx *c = v;
    size_t nw = (size_t)c->g.K * c->g.C * c->g.KH * c->g.KW;
    conv_forward(test_rt(), c->z, NULL, c->x, NULL, c->p, 0, nw, c->col, &c->g, c->n);
    return project(c->z, c->r, (size_t)c->g.K * c->n * c->g.OH * c->g.OW);
}

static void check_conv_gradients(conv_geom g, int n)
{
    conv_ctx c = {g, n, 0, 0, 0, 0, 0};
    size_t nx = (size_t)g.C * n * g.H * g.W, nw = (size_t)g.K * g.C * g.KH * g.KW, np = nw + g.K,
           nz = (size_t)g.K * n * g.OH * g.OW;
    float *x = xmalloc(nx * 4), *p = xmalloc(np * 4), *ones = xmalloc(nz * 4);
    c.r = xmalloc(nz * 4);
    fill_random(x, nx, 101), fill_random(p, np, 102), fill_random(c.r, nz, 103);
    for (size_t i = 0; i < nz; i++)
        ones[i] = 1.0f;
    c.x = dev_from(x, nx), c.p = dev_from(p, np), c.z = dev_zeros(nz);
    c.col = dev_zeros(conv_col_floats(&c.g, c.n));
    cl_mem dz = dev_from(c.r, nz), dx = dev_zeros(nx), grads = dev_zeros(np),
           dones = dev_from(ones, nz);
    conv_backward(test_rt(), dx, NULL, grads, dz, c.x, NULL, c.p, 0, nw, c.col, dones, &c.g, c.n);
    double *num = xmalloc((nx > np ? nx : np) * sizeof(double));
    numeric_grad(conv_loss, &c, c.x, x, nx, 0.05, num);
    double ex = compare(dx, 0, num, nx);
    numeric_grad(conv_loss, &c, c.p, p, np, 0.05, num);
    double ew = compare(grads, 0, num, nw), eb = compare(grads, nw, num + nw, g.K);
    ck_assert_msg(ex < GRAD_TOL, "conv %dx%d/%d pad %d: input gradient error %g", g.KH, g.KW,
                  g.stride, g.pad, ex);
    ck_assert_msg(ew < GRAD_TOL, "conv %dx%d/%d pad %d: weight gradient error %g", g.KH, g.KW,
                  g.stride, g.pad, ew);
    ck_assert_msg(eb < GRAD_TOL, "conv %dx%d/%d pad %d: bias gradient error %g", g.KH, g.KW,
                  g.stride, g.pad, eb);
    cl_mem all[] = {c.x, c.p, c.z, c.col, dz, dx, grads, dones};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        clReleaseMemObject(all[i]);
    free(x), free(p), free(c.r), free(num), free(ones);
}

START_TEST(conv_gradients)
{
    check_conv_gradients(conv_make(2, 5, 4, 3, 3, 3, 1, 1), 2); /* 3x3 same */
    check_conv_gradients(conv_make(2, 7, 6, 2, 5, 5, 2, 1), 1); /* 5x5 same */
    check_conv_gradients(conv_make(2, 7, 8, 3, 3, 3, 1, 2), 2); /* stride 2, same */
    check_conv_gradients(conv_make(1, 6, 7, 2, 3, 3, 0, 1), 2); /* valid */
    check_conv_gradients(conv_make(2, 9, 8, 2, 5, 5, 0, 2), 1); /* 5x5, stride 2, valid */
}
END_TEST

/* ---- max pool and ReLU ---- */

typedef struct {
    pool_geom g;
    int n;
    cl_mem in, out, arg, a;
    float *r;
    int relu, avg;
} pool_ctx;

static double pool_loss(void *v)
{
    pool_ctx *c = v;
    size_t no = (size_t)c->g.C * c->n * c->g.OH * c->g.OW;
    if (c->relu) {
        relu_forward(test_rt(), c->a, c->in, no);
        return project(c->a, c->r, no);
    }
    if (c->avg)
        avgpool_forward(test_rt(), c->out, c->in, &c->g, c->n);
    else
        pool_forward(test_rt(), c->out, c->arg, c->in, &c->g, c->n);
    return project(c->out, c->r, no);
}

/* Distinct values, spaced well beyond the finite-difference step, away from 0. */
static void spaced_values(float *v, size_t n, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    int *perm = xmalloc(n * sizeof(int));
    for (size_t i = 0; i < n; i++)
        perm[i] = (int)i;
    rng_permute(&r, perm, (int)n);
    for (size_t i = 0; i < n; i++)
        v[i] = ((float)perm[i] - (float)n / 2 + 0.5f) * 0.01f;
    free(perm);
}

static void check_pool_gradients(pool_geom g, int n, int avg)
{
    pool_ctx c = {g, n, 0, 0, 0, 0, 0, 0, avg};
    size_t ni = (size_t)g.C * n * g.H * g.W, no = (size_t)g.C * n * g.OH * g.OW;
    float *in = xmalloc(ni * 4);
    c.r = xmalloc(no * 4);
    spaced_values(in, ni, 201);
    fill_random(c.r, no, 202);
    c.in = dev_from(in, ni), c.out = dev_zeros(no), c.arg = dev_zeros(no);
    pool_loss(&c);
    cl_mem dout = dev_from(c.r, no), din = dev_zeros(ni);
    if (avg)
        avgpool_backward(test_rt(), din, dout, &c.g, c.n);
    else
        pool_backward(test_rt(), din, dout, c.arg, &c.g, c.n);
    double *num = xmalloc(ni * sizeof(double));
    numeric_grad(pool_loss, &c, c.in, in, ni, 1e-3, num);
    double e = compare(din, 0, num, ni);
    ck_assert_msg(e < GRAD_TOL, "%s pool %dx%d/%d gradient error %g", avg ? "avg" : "max", g.size,
                  g.size, g.stride, e);
    cl_mem all[] = {c.in, c.out, c.arg, dout, din};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        clReleaseMemObject(all[i]);
    free(in), free(c.r), free(num);
}

START_TEST(pool_gradients)
{
    for (int avg = 0; avg < 2; avg++) {
        check_pool_gradients(pool_make(2, 5, 6, 2, 2), 2, avg);
        check_pool_gradients(pool_make(2, 4, 10, 2, 2), 2, avg); /* exact 2x2/2 tiling */
        check_pool_gradients(pool_make(1, 2, 6, 2, 2), 2, avg);  /* exact, rows of 3 windows */
        check_pool_gradients(pool_make(2, 7, 6, 3, 2), 2, avg); /* overlapping windows */
        check_pool_gradients(pool_make(1, 7, 7, 2, 3), 2, avg); /* gaps between windows */
    }
}
END_TEST

/* ---- zero padding ---- */

typedef struct {
    int planes, H, W, OH, OW, top, left;
    cl_mem in, out;
    float *r;
} pad_ctx;

static double pad_loss(void *v)
{
    pad_ctx *c = v;
    pad_forward(test_rt(), c->out, c->in, c->planes, c->H, c->W, c->OH, c->OW, c->top, c->left);
    return project(c->out, c->r, (size_t)c->planes * c->OH * c->OW);
}

START_TEST(pad_gradients)
{
    pad_ctx c = {3, 4, 5, 7, 8, 1, 2, 0, 0, 0};
    size_t ni = 3 * 4 * 5, no = 3 * 7 * 8;
    float *in = xmalloc(ni * 4);
    c.r = xmalloc(no * 4);
    fill_random(in, ni, 251), fill_random(c.r, no, 252);
    c.in = dev_from(in, ni), c.out = dev_zeros(no);
    cl_mem dout = dev_from(c.r, no), din = dev_zeros(ni);
    pad_backward(test_rt(), din, dout, c.planes, c.H, c.W, c.OH, c.OW, c.top, c.left);
    double *num = xmalloc(ni * sizeof(double));
    numeric_grad(pad_loss, &c, c.in, in, ni, 1e-2, num);
    double e = compare(din, 0, num, ni);
    ck_assert_msg(e < GRAD_TOL, "pad gradient error %g", e);
    cl_mem all[] = {c.in, c.out, dout, din};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        clReleaseMemObject(all[i]);
    free(in), free(c.r), free(num);
}
END_TEST

START_TEST(relu_gradients)
{
    size_t n = 60;
    pool_ctx c = {pool_make(1, 1, n, 1, 1), 1, 0, 0, 0, 0, 0, 1, 0};
    float *z = xmalloc(n * 4);
    c.r = xmalloc(n * 4);
    spaced_values(z, n, 301);
    fill_random(c.r, n, 302);
    c.in = dev_from(z, n), c.a = dev_zeros(n);
    cl_mem d = dev_from(c.r, n);
    relu_backward(test_rt(), d, c.in, n);
    double *num = xmalloc(n * sizeof(double));
    numeric_grad(pool_loss, &c, c.in, z, n, 1e-3, num);
    double e = compare(d, 0, num, n);
    ck_assert_msg(e < GRAD_TOL, "ReLU gradient error %g", e);
    clReleaseMemObject(c.in), clReleaseMemObject(c.a), clReleaseMemObject(d);
    free(z), free(c.r), free(num);
}
END_TEST

/* ---- fully connected ---- */

typedef struct {
    int n, F, K;
    cl_mem x, p, z, ws;
    float *r;
} dense_ctx;

static double dense_loss(void *v)
{
    dense_ctx *c = v;
    dense_forward(test_rt(), c->z, c->x, c->p, 0, (size_t)c->F * c->K, c->ws, c->n, c->F, c->K);
    return project(c->z, c->r, (size_t)c->n * c->K);
}

START_TEST(dense_gradients)
{
    dense_ctx c = {3, 7, 5, 0, 0, 0, 0, 0};
    size_t nx = 21, nw = 35, np = 40, nz = 15;
    float *x = xmalloc(nx * 4), *p = xmalloc(np * 4), ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    c.r = xmalloc(nz * 4);
    fill_random(x, nx, 401), fill_random(p, np, 402), fill_random(c.r, nz, 403);
    c.x = dev_from(x, nx), c.p = dev_from(p, np), c.z = dev_zeros(nz);
    c.ws = dev_zeros(dense_ws_floats(c.n, c.F, c.K));
    cl_mem dz = dev_from(c.r, nz), dx = dev_zeros(nx), grads = dev_zeros(np),
           dones = dev_from(ones, 8);
    dense_backward(test_rt(), dx, grads, dz, c.x, c.p, 0, nw, dones, c.ws, c.n, c.F, c.K);
    double *num = xmalloc((nx > np ? nx : np) * sizeof(double));
    numeric_grad(dense_loss, &c, c.x, x, nx, 0.05, num);
    double ex = compare(dx, 0, num, nx);
    numeric_grad(dense_loss, &c, c.p, p, np, 0.05, num);
    double ew = compare(grads, 0, num, nw), eb = compare(grads, nw, num + nw, 5);
    ck_assert_msg(ex < GRAD_TOL, "dense input gradient error %g", ex);
    ck_assert_msg(ew < GRAD_TOL, "dense weight gradient error %g", ew);
    ck_assert_msg(eb < GRAD_TOL, "dense bias gradient error %g", eb);
    cl_mem all[] = {c.x, c.p, c.z, c.ws, dz, dx, grads, dones};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        clReleaseMemObject(all[i]);
    free(x), free(p), free(c.r), free(num);
}
END_TEST

/* ---- softmax cross-entropy ---- */

typedef struct {
    int n;
    cl_mem z, y, probs, d, per;
} loss_ctx;

/* Mean of the per-example losses, summed in double. */
static double mean_per_example(cl_mem per, int n)
{
    float *h = xmalloc((size_t)n * 2 * sizeof(float));
    dev_read(per, h, (size_t)n * 2);
    double s = 0;
    for (int i = 0; i < n; i++)
        s += h[2 * i];
    free(h);
    return s / n;
}

static double xent_loss(void *v)
{
    loss_ctx *c = v;
    loss_forward_backward(test_rt(), c->probs, c->d, c->per, c->z, c->y, c->n, c->n, 10);
    return mean_per_example(c->per, c->n);
}

START_TEST(softmax_xent_gradients)
{
    int n = 4;
    size_t nz = (size_t)n * 10;
    float *z = xmalloc(nz * 4);
    uint16_t y[4] = {0, 9, 3, 3};
    fill_random(z, nz, 501);
    loss_ctx c = {n, dev_from(z, nz), clrt_buffer(test_rt(), sizeof y, "labels"), dev_zeros(nz),
                  dev_zeros(nz), dev_zeros((size_t)n * 2)};
    clrt_upload(test_rt(), c.y, 0, sizeof y, y);
    xent_loss(&c);
    float *d = xmalloc(nz * 4);
    dev_read(c.d, d, nz); /* the analytic gradient, before the perturbed runs overwrite it */
    cl_mem dd = dev_from(d, nz);
    double *num = xmalloc(nz * sizeof(double));
    numeric_grad(xent_loss, &c, c.z, z, nz, 1e-2, num);
    double e = compare(dd, 0, num, nz);
    ck_assert_msg(e < GRAD_TOL, "softmax cross-entropy gradient error %g", e);
    cl_mem all[] = {c.z, c.y, c.probs, c.d, c.per, dd};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        clReleaseMemObject(all[i]);
    free(z), free(d), free(num);
}
END_TEST

/* ---- a whole small network ---- */

typedef struct {
    net nt;
    int n;
    cl_mem stats, status;
} net_ctx;

static double net_cost(void *v)
{
    net_ctx *c = v;
    net_forward(test_rt(), &c->nt, c->n);
    net_loss(test_rt(), &c->nt, c->stats, c->status, 0, c->n, 0);
    return mean_per_example(c->nt.per, c->n);
}

/* Where the network is not smooth: the sign of every ReLU input and every max pool's argmax.
 * A finite difference across a change of these is not a derivative. */
static uint8_t *kinks(net_ctx *c, size_t *len)
{
    size_t room = 0, at = 0;
    for (int i = 0; i < c->nt.nlayers; i++)
        room += (size_t)c->nt.layers[i].out_c * c->n * c->nt.layers[i].out_h *
                c->nt.layers[i].out_w * sizeof(int);
    uint8_t *k = xmalloc(room);
    for (int i = 0; i < c->nt.nlayers; i++) {
        const layer *l = &c->nt.layers[i];
        size_t count = (size_t)l->out_c * c->n * l->out_h * l->out_w;
        if (l->relu) {
            float *z = xmalloc(count * sizeof(float));
            dev_read(l->z, z, count);
            for (size_t j = 0; j < count; j++)
                k[at++] = z[j] > 0;
            free(z);
        } else if (l->arg) {
            clrt_download(test_rt(), l->arg, 0, count * sizeof(int), k + at);
            at += count * sizeof(int);
        }
    }
    *len = at;
    return k;
}

/* One central difference of the cost in parameter i; *ok = 0 if a +-eps step moves a kink. */
static double net_difference(net_ctx *c, float *p, size_t np, size_t i, double eps,
                             const uint8_t *base, size_t len, int *ok)
{
    float keep = p[i];
    double f[2];
    size_t l2;
    *ok = 1;
    for (int s = 0; s < 2; s++) {
        p[i] = (float)(keep + (s ? -eps : eps));
        dev_write(c->nt.params, p, np);
        f[s] = net_cost(c);
        uint8_t *k = kinks(c, &l2);
        *ok = *ok && l2 == len && !memcmp(k, base, len);
        free(k);
    }
    p[i] = keep;
    dev_write(c->nt.params, p, np);
    return (f[0] - f[1]) / (2 * eps);
}

/* Central differences of the cost in every parameter: a step of 1e-2 (float rounding of the cost
 * matters less), else 1e-3 where that one crosses a kink; ok[i] = 0 where both do (those
 * entries are left out of the comparison). */
static void net_numeric_grad(net_ctx *c, float *p, size_t np, double *num, uint8_t *ok)
{
    size_t len;
    net_cost(c);
    uint8_t *base = kinks(c, &len);
    for (size_t i = 0; i < np; i++) {
        int good;
        num[i] = net_difference(c, p, np, i, 1e-2, base, len, &good);
        if (!good)
            num[i] = net_difference(c, p, np, i, 1e-3, base, len, &good);
        ok[i] = (uint8_t)good;
    }
    free(base);
}

/* The error over the entries of [off, off + n) that no kink spoils; *skipped counts the rest. */
static double smooth_error(const double *ana, const double *num, const uint8_t *ok, size_t off,
                           size_t n, size_t *skipped)
{
    double *a = xmalloc(n * sizeof(double)), *b = xmalloc(n * sizeof(double));
    size_t m = 0;
    for (size_t i = off; i < off + n; i++)
        if (ok[i])
            a[m] = ana[i], b[m] = num[i], m++;
    *skipped = n - m;
    double e = m ? norm_rel_error(a, b, m) : INFINITY;
    free(a), free(b);
    return e;
}

static void check_network(const char *spec, int H, int W, int n)
{
    clrt *rt = test_rt();
    net_ctx c = {.n = n};
    char err[256];
    ck_assert_msg(net_parse(spec, 1, H, W, 10, &c.nt, err, sizeof err) == 0, "%s", err);
    net_alloc(rt, &c.nt, n, 0);
    net_init_params(rt, &c.nt, INIT_HE, 0, 7);
    size_t nx = (size_t)n * H * W, np = c.nt.nparams;
    float *x = xmalloc(nx * 4);
    uint16_t y[16];
    fill_random(x, nx, 601);
    for (int i = 0; i < n; i++)
        y[i] = (uint16_t)(i * 3 % 10);
    dev_write(c.nt.x, x, nx);
    clrt_upload(rt, c.nt.y, 0, (size_t)n * sizeof *y, y);
    c.stats = dev_zeros(2), c.status = dev_zeros(1);
    net_cost(&c);
    net_backward(rt, &c.nt, n);
    float *p = xmalloc(np * 4), *g = xmalloc(np * 4);
    dev_read(c.nt.params, p, np);
    dev_read(c.nt.grads, g, np);
    /* Every parameter of every layer (the arenas are small here). */
    double *num = xmalloc(np * sizeof(double)), *ana = xmalloc(np * sizeof(double));
    uint8_t *ok = xmalloc(np);
    net_numeric_grad(&c, p, np, num, ok);
    for (size_t i = 0; i < np; i++)
        ana[i] = g[i];
    for (int l = 0; l < c.nt.nlayers; l++) {
        const layer *ly = &c.nt.layers[l];
        if (!ly->nw)
            continue;
        size_t sw, sb;
        double ew = smooth_error(ana, num, ok, ly->w_off, ly->nw, &sw);
        double eb = smooth_error(ana, num, ok, ly->b_off, ly->nb, &sb);
        ck_assert_msg(ew < GRAD_TOL && sw * 4 <= ly->nw, "%s: %s weight gradient error %g (%zu of "
                      "%zu across a kink)", spec, ly->name, ew, sw, ly->nw);
        ck_assert_msg(eb < GRAD_TOL && sb * 2 <= ly->nb, "%s: %s bias gradient error %g (%zu of "
                      "%zu across a kink)", spec, ly->name, eb, sb, ly->nb);
    }
    clReleaseMemObject(c.stats), clReleaseMemObject(c.status);
    net_free(&c.nt);
    free(x), free(p), free(g), free(num), free(ana), free(ok);
}

START_TEST(network_gradients)
{
    check_network("conv3,pool,conv4,fc10", 6, 6, 3);
    check_network("conv2,conv3,pool,fc6,fc10", 5, 7, 2);
    check_network("conv3:5x5,avgpool,conv2:s2,fc10", 7, 8, 2);
    check_network("conv2:valid,pad9,conv3:5x5:s2:valid,pool:3x3:s1,fc10", 7, 6, 2);
    check_network("pad9,conv2:3x3:s2,avgpool:3x3:s2,fc10", 7, 7, 2);
    check_network("fc7,fc5,fc6,fc10", 4, 5, 3); /* an fc chain, as mlp */
}
END_TEST

Suite *suite_grad(void)
{
    Suite *s = suite_create("grad");
    TCase *tc = tcase_create("finite differences");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, conv_gradients);
    tcase_add_test(tc, pool_gradients);
    tcase_add_test(tc, pad_gradients);
    tcase_add_test(tc, relu_gradients);
    tcase_add_test(tc, dense_gradients);
    tcase_add_test(tc, softmax_xent_gradients);
    tcase_add_test(tc, network_gradients);
    suite_add_tcase(s, tc);
    return s;
}
