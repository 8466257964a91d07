/* net.c: the layer table, memory plan, buffers and the forward/backward/update passes. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/net.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "clnet/util.h"

static size_t out_floats(const layer *l, int n)
{
    return (size_t)l->out_c * n * l->out_h * l->out_w;
}

/* Largest workspace entries at batch n: the conv and fc workspace (im2col matrices, padded
 * grids, transposed copies), ones, and GEMM k-split partials or transposed products. */
static void workspace(const net *nt, int n, size_t *col, size_t *ones, size_t *split)
{
    *col = 1, *ones = (size_t)n, *split = 0;
    for (int i = 0; i < nt->nlayers; i++) {
        const layer *l = &nt->layers[i];
        if (l->kind == LAYER_FC) { /* transposed copies; transposed GEMM products */
            size_t w = dense_ws_floats(n, l->fan_in, l->out_c),
                   p = dense_scratch_floats(n, l->fan_in, l->out_c);
            *col = w > *col ? w : *col;
            *split = p > *split ? p : *split;
        }
        if (l->kind != LAYER_CONV)
            continue;
        size_t c = conv_col_floats(&l->conv, n), o = (size_t)n * l->out_h * l->out_w;
        *col = c > *col ? c : *col;
        *ones = o > *ones ? o : *ones;
        const conv_geom *g = &l->conv;
        size_t p = conv_scratch_floats(g, n);
        *split = p > *split ? p : *split;
    }
}

size_t net_plan_bytes(const net *nt, int n, size_t *largest)
{
    size_t total = 0, big = 0, col, ones, split;
#define NEED(bytes) do { size_t b_ = (bytes); total += b_; big = b_ > big ? b_ : big; } while (0)
    for (int i = 0; i < nt->nlayers; i++) {
        const layer *l = &nt->layers[i];
        size_t o = out_floats(l, n) * sizeof(float);
        NEED(o);                                  /* d */
        NEED(o);                                  /* z, or the pool output */
        if (l->relu)
            NEED(o);                              /* a */
        if (l->kind == LAYER_POOL && !l->avg)
            NEED(out_floats(l, n) * sizeof(int)); /* arg */
        if (l->flatten) {
            NEED((size_t)l->fan_in * n * sizeof(float));
            NEED((size_t)l->fan_in * n * sizeof(float));
        }
        if (l->kind == LAYER_CONV)
            NEED(conv_kept_grid_floats(&l->conv, l->conv.algo, n) * sizeof(float)); /* xg */
    }
    workspace(nt, n, &col, &ones, &split);
    NEED(col * sizeof(float));
    NEED(ones * sizeof(float));
    NEED(split * sizeof(float));
    for (int k = 0; k < 3 + nt->nstate; k++) /* params, grads, decay mask, optimizer state */
        NEED(nt->nparams * sizeof(float));
    NEED((size_t)nt->C * n * nt->H * nt->W * sizeof(float));
    NEED((size_t)n * sizeof(uint16_t)); /* labels */
    NEED((size_t)n * nt->classes * sizeof(float));
    NEED((size_t)n * 2 * sizeof(float));
#undef NEED
    if (largest)
        *largest = big;
    return total;
}

int net_plan_fits(const clrt *rt, const net *nt, int n, size_t extra)
{
    size_t big, total = net_plan_bytes(nt, n, &big);
    return total + extra <= rt->global_mem && big <= rt->max_alloc && big / 4 <= INT_MAX;
}

static void check_plan(const clrt *rt, const net *nt, int batch, size_t extra)
{
    if (net_plan_fits(rt, nt, batch, extra))
        return;
    int lo = 0, hi = batch;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (net_plan_fits(rt, nt, mid, extra))
            lo = mid;
        else
            hi = mid - 1;
    }
    size_t big, total = net_plan_bytes(nt, batch, &big);
    if (lo == 0)
        die("--batch %d: the network needs %zu MiB (largest buffer %zu MiB) and does not fit "
            "%s even at batch 1", batch, (total + extra) >> 20, big >> 20, rt->device_name);
    die("--batch %d needs %zu MiB of device memory (largest buffer %zu MiB) but %s has %llu MiB "
        "(at most %llu MiB per buffer); the largest batch that fits is %d", batch,
        (total + extra) >> 20, big >> 20, rt->device_name,
        (unsigned long long)(rt->global_mem >> 20), (unsigned long long)(rt->max_alloc >> 20), lo);
}

static void alloc_layer(clrt *rt, layer *l, int n)
{
    size_t o = out_floats(l, n) * sizeof(float);
    l->d = clrt_buffer(rt, o, l->name);
    if (l->kind == LAYER_POOL || l->kind == LAYER_PAD) {
        l->a = clrt_buffer(rt, o, l->name);
        if (l->kind == LAYER_POOL && !l->avg)
            l->arg = clrt_buffer(rt, out_floats(l, n) * sizeof(int), l->name);
        return;
    }
    l->z = clrt_buffer(rt, o, l->name);
    if (l->relu)
        l->a = clrt_buffer(rt, o, l->name);
    size_t xg = l->kind == LAYER_CONV ? conv_kept_grid_floats(&l->conv, l->conv.algo, n) : 0;
    if (xg)
        l->xg = clrt_buffer(rt, xg * sizeof(float), l->name);
    if (l->flatten) {
        l->flat = clrt_buffer(rt, (size_t)l->fan_in * n * sizeof(float), l->name);
        l->dflat = clrt_buffer(rt, (size_t)l->fan_in * n * sizeof(float), l->name);
    }
}

/* The optimizer's state arenas (zero) and the weight-decay mask. */
static void alloc_optimizer(clrt *rt, net *nt)
{
    size_t bytes = nt->nparams * sizeof(float);
    cl_mem *state[2] = {&nt->m, &nt->v};
    for (int k = 0; k < nt->nstate; k++) {
        *state[k] = clrt_buffer(rt, bytes, "optimizer state");
        clrt_fill_zero(rt, *state[k], bytes);
    }
    float *mask = xcalloc(nt->nparams, sizeof(float));
    for (int i = 0; i < nt->nlayers; i++)
        for (size_t j = 0; j < nt->layers[i].nw; j++)
            mask[nt->layers[i].w_off + j] = 1.0f;
    nt->decay = clrt_buffer(rt, bytes, "weight-decay mask");
    clrt_upload(rt, nt->decay, 0, bytes, mask);
    free(mask);
}

void net_choose_algos(const clrt *rt, net *nt)
{
    for (int i = 0; i < nt->nlayers; i++) /* the plan's workspace depends on the algorithm */
        if (nt->layers[i].kind == LAYER_CONV)
            nt->layers[i].conv.algo = conv_algo_of(rt, &nt->layers[i].conv);
}

void net_alloc(clrt *rt, net *nt, int batch, size_t extra_bytes)
{
    size_t col, ones, split;
    net_choose_algos(rt, nt);
    check_plan(rt, nt, batch, extra_bytes);
    nt->batch = batch;
    nt->device_bytes = net_plan_bytes(nt, batch, NULL);
    for (int i = 0; i < nt->nlayers; i++)
        alloc_layer(rt, &nt->layers[i], batch);
    workspace(nt, batch, &col, &ones, &split);
    nt->col = clrt_buffer(rt, col * sizeof(float), "conv and fc workspace");
    nt->ones = clrt_buffer(rt, ones * sizeof(float), "ones");
    float *h = xmalloc(ones * sizeof(float));
    for (size_t i = 0; i < ones; i++)
        h[i] = 1.0f;
    clrt_upload(rt, nt->ones, 0, ones * sizeof(float), h);
    free(h);
    nt->params = clrt_buffer(rt, nt->nparams * sizeof(float), "parameters");
    nt->grads = clrt_buffer(rt, nt->nparams * sizeof(float), "gradients");
    clrt_fill_zero(rt, nt->params, nt->nparams * sizeof(float));
    clrt_fill_zero(rt, nt->grads, nt->nparams * sizeof(float));
    alloc_optimizer(rt, nt);
    nt->x = clrt_buffer(rt, (size_t)nt->C * batch * nt->H * nt->W * sizeof(float), "input");
    nt->y = clrt_buffer(rt, (size_t)batch * sizeof(uint16_t), "labels");
    nt->probs = clrt_buffer(rt, (size_t)batch * nt->classes * sizeof(float), "predictions");
    nt->per = clrt_buffer(rt, (size_t)batch * 2 * sizeof(float), "per-example loss");
}

static void release(cl_mem *m)
{
    if (*m)
        clReleaseMemObject(*m);
    *m = NULL;
}

void net_free(net *nt)
{
    for (int i = 0; i < nt->nlayers; i++) {
        layer *l = &nt->layers[i];
        cl_mem *bufs[] = {&l->z, &l->a, &l->d, &l->arg, &l->flat, &l->dflat, &l->xg};
        for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++)
            release(bufs[k]);
    }
    cl_mem *bufs[] = {&nt->params, &nt->grads, &nt->x, &nt->y, &nt->col, &nt->ones, &nt->probs,
                      &nt->per, &nt->m, &nt->v, &nt->decay};
    for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++)
        release(bufs[k]);
    free(nt->layers);
    memset(nt, 0, sizeof *nt);
}

void net_print(const net *nt, FILE *out)
{
    /* shapes as width x height x channels, as the data's and --resize's */
    for (int i = 0; i < nt->nlayers; i++) {
        const layer *l = &nt->layers[i];
        char op[48];
        if (l->kind == LAYER_CONV)
            snprintf(op, sizeof op, "conv %dx%d/%d %s %d", l->conv.KH, l->conv.KW, l->conv.stride,
                     l->conv.pad || l->conv.KH == 1 ? "same" : "valid", l->out_c);
        else if (l->kind == LAYER_POOL)
            snprintf(op, sizeof op, "%s %dx%d/%d", l->avg ? "avg" : "max", l->pool.size,
                     l->pool.size, l->pool.stride);
        else if (l->kind == LAYER_PAD)
            snprintf(op, sizeof op, "zero-pad %dx%d", l->out_w, l->out_h);
        else
            snprintf(op, sizeof op, "fc %d%s%s", l->out_c, l->flatten ? " (flatten)" : "",
                     l->relu ? "" : " (logits)");
        fprintf(out, "  %-7s %-22s %4dx%-3dx%-4d -> %4dx%-3dx%-4d %9zu params%s\n", l->name, op,
                l->in_w, l->in_h, l->in_c, l->out_w, l->out_h, l->out_c, l->nw + l->nb,
                l->relu ? ", ReLU" : "");
    }
    size_t params = 0;
    for (int i = 0; i < nt->nlayers; i++)
        params += nt->layers[i].nw + nt->layers[i].nb;
    fprintf(out, "  total %zu parameters; device memory %.1f MiB at batch %d\n", params,
            (double)nt->device_bytes / (1 << 20), nt->batch);
}

void net_init_params(clrt *rt, net *nt, init_kind kind, double scale, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    float *h = xcalloc(nt->nparams, sizeof(float));
    for (int i = 0; i < nt->nlayers; i++) {
        const layer *l = &nt->layers[i];
        if (l->nw)
            init_weights(h + l->w_off, l->nw, l->fan_in, l->fan_out, l->kind == LAYER_CONV, kind,
                         scale, &r);
    }
    clrt_upload(rt, nt->params, 0, nt->nparams * sizeof(float), h);
    free(h);
}

cl_mem net_layer_out(const layer *l)
{
    return l->a ? l->a : l->z;
}

int net_layer_forward(clrt *rt, net *nt, int i, int n)
{
    layer *l = &nt->layers[i];
    cl_mem in = i ? net_layer_out(&nt->layers[i - 1]) : nt->x;
    if (l->kind == LAYER_CONV) {
        return conv_forward(rt, l->z, l->relu ? l->a : NULL, in, l->xg, nt->params, l->w_off,
                            l->b_off, nt->col, &l->conv, n);
    } else if (l->kind == LAYER_POOL) {
        if (l->avg)
            avgpool_forward(rt, l->a, in, &l->pool, n);
        else
            pool_forward(rt, l->a, l->arg, in, &l->pool, n);
    } else if (l->kind == LAYER_PAD) {
        pad_forward(rt, l->a, in, l->in_c * n, l->in_h, l->in_w, l->out_h, l->out_w, l->pad_top,
                    l->pad_left);
    } else {
        if (l->flatten)
            flatten_forward(rt, l->flat, in, l->in_c, n, l->in_h * l->in_w);
        dense_forward(rt, l->z, l->flatten ? l->flat : in, nt->params, l->w_off, l->b_off,
                      nt->col, n, l->fan_in, l->out_c);
    }
    return 0;
}

void net_forward(clrt *rt, net *nt, int n)
{
    for (int i = 0; i < nt->nlayers; i++) {
        layer *l = &nt->layers[i];
        if (!net_layer_forward(rt, nt, i, n) && l->relu)
            relu_forward(rt, l->a, l->z, out_floats(l, n));
    }
}

void net_predictions(clrt *rt, net *nt, cl_mem pred, int offset, int n)
{
    const layer *last = &nt->layers[nt->nlayers - 1];
    loss_predictions(rt, pred, offset, last->z, n, last->out_c);
}

void net_loss(clrt *rt, net *nt, cl_mem stats, cl_mem status, int slot, int n, int guard)
{
    layer *last = &nt->layers[nt->nlayers - 1];
    loss_forward_backward(rt, nt->probs, last->d, nt->per, last->z, nt->y, n,
                          nt->grad_norm ? nt->grad_norm : n, last->out_c);
    loss_reduce(rt, stats, status, nt->per, slot, n, guard);
}

int net_wants_input_grad(const net *nt, int i)
{
    for (int j = 0; j < i; j++) /* only weights below need the gradient of layer i's input */
        if (nt->layers[j].nw)
            return 1;
    return 0;
}

int net_layer_backward(clrt *rt, net *nt, int i, int n)
{
    layer *l = &nt->layers[i];
    cl_mem in = i ? net_layer_out(&nt->layers[i - 1]) : nt->x;
    cl_mem din = net_wants_input_grad(nt, i) ? nt->layers[i - 1].d : NULL;
    if (l->kind == LAYER_CONV) {
        cl_mem relu_z = din && nt->layers[i - 1].relu ? nt->layers[i - 1].z : NULL;
        return conv_backward(rt, din, relu_z, nt->grads, l->d, in, l->xg, nt->params, l->w_off,
                             l->b_off, nt->col, nt->ones, &l->conv, n);
    } else if (l->kind == LAYER_POOL) {
        if (din && l->avg)
            avgpool_backward(rt, din, l->d, &l->pool, n);
        else if (din)
            pool_backward(rt, din, l->d, l->arg, &l->pool, n);
    } else if (l->kind == LAYER_PAD) {
        if (din)
            pad_backward(rt, din, l->d, l->in_c * n, l->in_h, l->in_w, l->out_h, l->out_w,
                         l->pad_top, l->pad_left);
    } else {
        cl_mem dx = din && l->flatten ? l->dflat : din;
        dense_backward(rt, dx, nt->grads, l->d, l->flatten ? l->flat : in, nt->params, l->w_off,
                       l->b_off, nt->ones, nt->col, n, l->fan_in, l->out_c);
        if (din && l->flatten)
            flatten_backward(rt, din, l->dflat, l->in_c, n, l->in_h * l->in_w);
    }
    return 0;
}

void net_backward(clrt *rt, net *nt, int n)
{
    int masked = 0; /* the layer above applied this layer's ReLU backward to d already */
    for (int i = nt->nlayers - 1; i >= 0; i--) {
        layer *l = &nt->layers[i];
        if (l->relu && !masked)
            relu_backward(rt, l->d, l->z, out_floats(l, n));
        masked = net_layer_backward(rt, nt, i, n);
    }
}

void net_update(clrt *rt, net *nt, cl_mem status, const optim_hparams *h, double lr, long t)
{
    optim_update(rt, nt->params, nt->grads, nt->m, nt->v, nt->decay, status, h, lr, t,
                 nt->nparams);
}

void net_sgd(clrt *rt, net *nt, cl_mem status, float lr)
{
    optim_hparams h = {OPT_SGD, 0, 0, 0, 0, 0};
    net_update(rt, nt, status, &h, lr, 1);
}
