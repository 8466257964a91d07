/* spec.c: the network spec of net.h: presets, one token per layer, shapes, and the layout of
 * the parameter arena. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "clnet/net.h"
#include "clnet/util.h"

#define ALIGN_FLOATS 16       /* each tensor in the arenas starts on a 64-byte boundary */
#define MAX_SIDE 4096         /* padN, kernel and window sizes, strides */
#define MAX_IMAGE_FLOATS (1L << 28) /* one image's output of any layer */
#define MAX_TOKEN 64
#define MAX_LAYER_WEIGHTS 2147483647L /* INT_MAX: fan-ins and offsets stay ints */

static const struct {
    const char *name, *spec;
} presets[] = {
    /* without the classifier: fcK for the data's K classes goes after each */
    {"ltfn", "conv64,conv64,pool,conv128,conv128,pool"},
    {"mlp", "fc500,fc500"},
    {"vgg", "pad32,conv64,conv64,pool,conv128,conv128,pool,conv256,conv256,conv256,pool,"
            "conv512,conv512,conv512,pool,fc4096"},
};

const char *net_expand(const char *spec)
{
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
        if (!strcmp(spec, presets[i].name))
            return presets[i].spec;
    return spec;
}

const char *net_describe(const net *nt, const char *spec, char *buf, size_t len)
{
    if (strcmp(spec, nt->spec))
        snprintf(buf, len, "%s = %s", spec, nt->spec);
    else
        snprintf(buf, len, "%s", spec);
    return buf;
}

/* The digits of s as a number in [1, max]; -1 if s is not that. */
static long number(const char *s, long max)
{
    if (!*s || strlen(s) > 9)
        return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= 1 && v <= max ? v : -1;
}

/* One token being turned into a layer: where it is, and where a complaint goes. */
typedef struct {
    char text[MAX_TOKEN];  /* the whole token, for messages */
    char base[MAX_TOKEN];  /* a copy cut at the first ':': the layer's name */
    char *opts;            /* in base, after that ':'; NULL without options */
    int index;             /* 1-based */
    char *err;
    size_t errlen;
} token;

/* "layer 3 'conv64:4x4': <why>" into t->err; returns -1. */
static int token_err(const token *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int token_err(const token *t, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return errorf(t->err, t->errlen, "layer %d '%s': %s", t->index, t->text, why);
}

/* The options of a conv or pool token: ":AxA" window, ":sN" stride, ":valid" / ":same"
 * (conv only), each at most once. Unset values stay as the caller set them. */
static int parse_options(token *t, int conv, int *size, int *stride, int *valid)
{
    int seen[3] = {0, 0, 0}; /* window, stride, padding */
    for (char *o = t->opts, *next; o; o = next) {
        next = strchr(o, ':');
        if (next)
            *next++ = '\0';
        char *x = strchr(o, 'x');
        long a, b;
        int kind;
        if (!*o)
            return token_err(t, "an empty option (':' with nothing after it)");
        if (conv && (!strcmp(o, "valid") || !strcmp(o, "same"))) {
            *valid = o[0] == 'v', kind = 2;
        } else if (o[0] == 's' && (a = number(o + 1, MAX_SIDE)) > 0) {
            *stride = (int)a, kind = 1;
        } else if (x) {
            *x = '\0';
            a = number(o, MAX_SIDE), b = number(x + 1, MAX_SIDE);
            *x = 'x';
            if (a < 0 || b < 0)
                return token_err(t, "'%s' is not a size: expected e.g. 5x5 (1 to %d)", o,
                                 MAX_SIDE);
            if (a != b)
                return token_err(t, "'%s': windows are square (e.g. %ldx%ld)", o, a, a);
            *size = (int)a, kind = 0;
        } else {
            return token_err(t, "unknown option '%s': expected AxA (window), sN (stride)%s", o,
                             conv ? ", valid or same" : "");
        }
        if (seen[kind]++)
            return token_err(t, "'%s': a %s is given twice", o,
                             (const char *[]){"window", "stride", "padding"}[kind]);
    }
    return 0;
}

static int need_image(const token *t, const layer *prev)
{
    if (prev && prev->kind == LAYER_FC)
        return token_err(t, "needs an image, but a fully connected layer comes before it");
    return 0;
}

static int make_conv(token *t, const layer *prev, long K, layer *l)
{
    int size = 3, stride = 1, valid = 0;
    if (need_image(t, prev) || parse_options(t, 1, &size, &stride, &valid))
        return -1;
    if (!valid && size % 2 == 0)
        return token_err(t, "same padding needs an odd window; add :valid for %dx%d", size,
                         size);
    int pad = valid ? 0 : (size - 1) / 2;
    if (l->in_h + 2 * pad < size || l->in_w + 2 * pad < size)
        return token_err(t, "a %dx%d window does not fit the %dx%d input", size, size, l->in_w,
                         l->in_h);
    long fan_in = (long)size * size * l->in_c;
    if (fan_in * K > MAX_LAYER_WEIGHTS)
        return token_err(t, "%ld weights, more than %ld", fan_in * K, MAX_LAYER_WEIGHTS);
    l->kind = LAYER_CONV;
    l->conv = conv_make(l->in_c, l->in_h, l->in_w, (int)K, size, size, pad, stride);
    l->relu = 1;
    l->out_c = (int)K, l->out_h = l->conv.OH, l->out_w = l->conv.OW;
    l->nw = (size_t)K * l->in_c * size * size, l->nb = (size_t)K;
    l->fan_in = (int)fan_in, l->fan_out = size * size * (int)K;
    return 0;
}

static int make_pool(token *t, const layer *prev, int avg, layer *l)
{
    int size = 2, stride = 0, valid = 1;
    if (need_image(t, prev) || parse_options(t, 0, &size, &stride, &valid))
        return -1;
    if (!stride)
        stride = size;
    if (l->in_h < size || l->in_w < size)
        return token_err(t, "a %dx%d window does not fit the %dx%d input", size, size, l->in_w,
                         l->in_h);
    l->kind = LAYER_POOL;
    l->avg = avg;
    l->pool = pool_make(l->in_c, l->in_h, l->in_w, size, stride);
    l->out_c = l->in_c, l->out_h = l->pool.OH, l->out_w = l->pool.OW;
    return 0;
}

static int make_pad(token *t, const layer *prev, long N, layer *l)
{
    if (need_image(t, prev))
        return -1;
    if (t->opts)
        return token_err(t, "padN takes no options");
    if (N < l->in_h || N < l->in_w)
        return token_err(t, "the input is already %dx%d, larger than %ldx%ld", l->in_w, l->in_h,
                         N, N);
    l->kind = LAYER_PAD;
    l->pad_top = ((int)N - l->in_h) / 2, l->pad_left = ((int)N - l->in_w) / 2;
    l->out_c = l->in_c, l->out_h = (int)N, l->out_w = (int)N;
    return 0;
}

static int make_fc(token *t, const layer *prev, long N, layer *l)
{
    if (t->opts)
        return token_err(t, "fcN takes no options");
    l->kind = LAYER_FC;
    l->flatten = !prev || prev->kind != LAYER_FC;
    long F = (long)l->in_c * l->in_h * l->in_w;
    if (F * N > MAX_LAYER_WEIGHTS)
        return token_err(t, "%ld weights, more than %ld", F * N, MAX_LAYER_WEIGHTS);
    l->out_c = (int)N, l->out_h = 1, l->out_w = 1;
    l->nw = (size_t)F * N, l->nb = (size_t)N;
    l->fan_in = (int)F, l->fan_out = (int)N;
    return 0;
}

/* Splits the token at its first ':' and builds the layer it names. */
static int make_layer(token *t, const layer *prev, layer *l)
{
    snprintf(t->base, sizeof t->base, "%s", t->text);
    char *colon = strchr(t->base, ':');
    t->opts = colon ? colon + 1 : NULL;
    if (colon)
        *colon = '\0';
    const char *b = t->base;
    long num;
    if (!strcmp(b, "pool") || !strcmp(b, "maxpool") || !strcmp(b, "avgpool"))
        return make_pool(t, prev, b[0] == 'a', l);
    if (!strncmp(b, "conv", 4) && (num = number(b + 4, 65536)) > 0)
        return make_conv(t, prev, num, l);
    if (!strncmp(b, "fc", 2) && (num = number(b + 2, 1 << 20)) > 0)
        return make_fc(t, prev, num, l);
    if (!strncmp(b, "pad", 3) && (num = number(b + 3, MAX_SIDE)) > 0)
        return make_pad(t, prev, num, l);
    if (!strcmp(b, "classifier"))
        return token_err(t, "the classifier goes last (it is fcK, K the data's classes)");
    return token_err(t, "not a layer: expected convK, pool, avgpool, fcN or padN (K, N positive "
                        "integers), classifier last, or a preset (ltfn, mlp, vgg) as the whole "
                        "spec");
}

static void name_layer(layer *l, int counts[4])
{
    static const char *prefix[] = {"layer", "pool", "fc", "pad"};
    snprintf(l->name, sizeof l->name, "%s%d", prefix[l->kind], ++counts[l->kind]);
}

static int add_layer(net *nt, const char *text, size_t len, int index, char *err, size_t errlen)
{
    token t = {.index = index + 1, .err = err, .errlen = errlen};
    const layer *prev = index ? &nt->layers[index - 1] : NULL;
    layer *l = &nt->layers[index];
    snprintf(t.text, sizeof t.text, "%.*s", (int)(len < MAX_TOKEN ? len : MAX_TOKEN - 1), text);
    if (len >= MAX_TOKEN)
        return token_err(&t, "longer than %d characters", MAX_TOKEN - 1);
    memset(l, 0, sizeof *l);
    l->in_c = prev ? prev->out_c : nt->C;
    l->in_h = prev ? prev->out_h : nt->H;
    l->in_w = prev ? prev->out_w : nt->W;
    if (make_layer(&t, prev, l))
        return -1;
    if ((long)l->out_c * l->out_h * l->out_w > MAX_IMAGE_FLOATS)
        return token_err(&t, "its output of %dx%dx%d per image is too large", l->out_w, l->out_h,
                         l->out_c);
    return 0;
}

void net_free_table(net *nt)
{
    free(nt->layers);
    memset(nt, 0, sizeof *nt);
}

static int refuse(net *nt)
{
    net_free_table(nt);
    return -1;
}

/* Offsets of every weight and bias tensor in the arenas. */
static void layout(net *nt)
{
    size_t off = 0;
    for (int i = 0; i < nt->nlayers; i++) {
        layer *l = &nt->layers[i];
        if (!l->nw)
            continue;
        l->w_off = off, off += (l->nw + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        l->b_off = off, off += (l->nb + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    }
    nt->nparams = off;
}

/* The whole layer list: a preset's layers and its classifier, or the spec with the classifier
 * added where it ends without a fully connected layer (or ends with the word "classifier");
 * into out->spec. */
static int full_spec(const char *spec, int classes, net *out, char *err, size_t errlen)
{
    const char *layers = net_expand(spec), *last = strrchr(layers, ',');
    last = last ? last + 1 : layers;
    int named = !strcmp(last, "classifier"); /* written out: it becomes fcK */
    int add = named || layers != spec || strncmp(last, "fc", 2) || strchr(last, ':');
    int n = snprintf(out->spec, sizeof out->spec, "%.*s%s",
                     (int)(named ? last - layers : (long)strlen(layers)), layers,
                     add && !named ? "," : "");
    if (add)
        n += snprintf(out->spec + n, sizeof out->spec - (size_t)n, "fc%d", classes);
    if (n > CLNET_SPEC_MAX)
        return errorf(err, errlen, "%d characters long; a network spec has at most %d", n,
                      CLNET_SPEC_MAX);
    return 0;
}

int net_parse(const char *spec, int C, int H, int W, int classes, net *out, char *err,
              size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (strlen(spec) > CLNET_SPEC_MAX)
        return errorf(err, errlen, "%zu characters long; a network spec has at most %d",
                      strlen(spec), CLNET_SPEC_MAX);
    if (full_spec(spec, classes, out, err, errlen))
        return -1;
    int count = 1;
    for (const char *p = out->spec; *p; p++)
        count += *p == ',';
    out->layers = xcalloc((size_t)count, sizeof *out->layers);
    out->C = C, out->H = H, out->W = W, out->classes = classes;
    int counts[4] = {0, 0, 0, 0};
    const char *text = out->spec;
    for (int i = 0; i < count; i++) {
        const char *end = strchr(text, ',');
        size_t len = end ? (size_t)(end - text) : strlen(text);
        if (add_layer(out, text, len, i, err, errlen))
            return refuse(out);
        name_layer(&out->layers[i], counts);
        out->nlayers = i + 1;
        text += len + 1;
    }
    layer *last = &out->layers[count - 1];
    if (last->out_c != classes) {
        errorf(err, errlen, "the last layer fc%d has %d outputs but the data has %d classes (end "
               "with fc%d, or leave the classifier out: it is added)", last->out_c, last->out_c,
               classes, classes);
        return refuse(out);
    }
    for (int i = 0; i < count; i++)
        if (out->layers[i].kind == LAYER_FC)
            out->layers[i].relu = i < count - 1;
    layout(out);
    return 0;
}
