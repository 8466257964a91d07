/* capture.c: the tensors a person looks at, and their capture through hist.c. */
#include "clnet/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "clnet/util.h"

static tensor_ref tref(const char *name, const char *suffix, tensor_kind kind, cl_mem buf,
                       size_t off, size_t count)
{
    tensor_ref t;
    snprintf(t.name, sizeof t.name, "%s%s", name, suffix);
    t.kind = kind, t.buf = buf, t.off = off, t.count = count;
    return t;
}

static size_t out_count(const net *nt, const layer *l)
{
    return (size_t)l->out_c * nt->batch * l->out_h * l->out_w;
}

/* The forward tensors of layer l: its pre-activation (or pool output with pools). */
static int forward_tensor(const net *nt, int i, int pools, tensor_ref *out)
{
    const layer *l = &nt->layers[i];
    if (l->kind == LAYER_POOL || l->kind == LAYER_PAD) {
        if (!pools)
            return 0;
        *out = tref(l->name, "", TK_POOL, l->a, 0, out_count(nt, l));
        return 1;
    }
    if (i == nt->nlayers - 1)
        *out = tref("logits", "", TK_LOGITS, l->z, 0, out_count(nt, l));
    else
        *out = tref(l->name, l->kind == LAYER_CONV ? "_conv" : "", TK_HIDDEN, l->z, 0,
                    out_count(nt, l));
    return 1;
}

static tensor_ref predictions(const net *nt)
{
    return tref("predictions", "", TK_PROBS, nt->probs, 0, (size_t)nt->batch * nt->classes);
}

int capture_tensors(const net *nt, int grads, tensor_ref *out)
{
    int n = 0;
    for (int i = 0; i < nt->nlayers; i++)
        n += forward_tensor(nt, i, 0, out + n);
    out[n++] = predictions(nt);
    for (int i = 0; grads && i < nt->nlayers; i++) {
        const layer *l = &nt->layers[i];
        if (l->nw)
            out[n++] = tref(l->name, "_wgrad", TK_WGRAD, nt->grads, l->w_off, l->nw);
    }
    return n;
}

int check_tensors(const net *nt, tensor_ref *out)
{
    int n = 0;
    for (int i = 0; i < nt->nlayers; i++) { /* each layer's parameters, then its output */
        const layer *l = &nt->layers[i];
        if (l->nw) {
            out[n++] = tref(l->name, "_weights", TK_WEIGHTS, nt->params, l->w_off, l->nw);
            out[n++] = tref(l->name, "_bias", TK_BIAS, nt->params, l->b_off, l->nb);
        }
        n += forward_tensor(nt, i, 1, out + n);
    }
    out[n++] = predictions(nt);
    for (int i = 0; i < nt->nlayers; i++) {
        const layer *l = &nt->layers[i];
        if (!l->nw)
            continue;
        out[n++] = tref(l->name, "_wgrad", TK_WGRAD, nt->grads, l->w_off, l->nw);
        out[n++] = tref(l->name, "_bgrad", TK_BGRAD, nt->grads, l->b_off, l->nb);
    }
    return n;
}

static void open_common(clrt *rt, capture *cp, const tensor_ref *t, int n, int nbins,
                        const int *group)
{
    cp->ntensors = n;
    cp->nbins = nbins;
    cp->t = xmalloc((size_t)n * sizeof *t);
    memcpy(cp->t, t, (size_t)n * sizeof *t);
    hist_alloc(rt, &cp->hd, n, nbins, group);
}

void capture_open(clrt *rt, capture *cp, const net *nt, int grads, int nbins, int shared)
{
    tensor_ref *t = xmalloc((size_t)(2 * nt->nlayers + 2) * sizeof *t);
    int n = capture_tensors(nt, grads, t);
    int *group = xmalloc((size_t)n * sizeof *group);
    for (int i = 0; i < n; i++)
        group[i] = shared && t[i].kind == TK_HIDDEN ? 0 : -1;
    open_common(rt, cp, t, n, nbins, group);
    free(group);
    free(t);
}

void capture_open_list(clrt *rt, capture *cp, const tensor_ref *t, int n, int nbins)
{
    int *group = xmalloc((size_t)n * sizeof *group);
    for (int i = 0; i < n; i++)
        group[i] = -1;
    open_common(rt, cp, t, n, nbins, group);
    free(group);
}

void capture_close(capture *cp)
{
    hist_free(&cp->hd);
    free(cp->t);
    cp->t = NULL;
}

void capture_run(clrt *rt, capture *cp, hist_stats *stats, uint32_t *bins)
{
    for (int i = 0; i < cp->ntensors; i++)
        hist_stats_enqueue(rt, &cp->hd, i, cp->t[i].buf, cp->t[i].off, cp->t[i].count);
    hist_range_enqueue(rt, &cp->hd);
    for (int i = 0; i < cp->ntensors; i++)
        hist_bins_enqueue(rt, &cp->hd, i, cp->t[i].buf, cp->t[i].off, cp->t[i].count);
    hist_read(rt, &cp->hd, stats, bins);
}
