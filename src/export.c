/* export.c: clnet export (export.h). The graph is built as protobuf-c structs from the parsed
 * layer table and the checkpoint's parameters, packed once and written atomically. Every
 * string and array a struct points to is kept in one list and freed after packing. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/export.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clnet/checkpoint.h"
#include "clnet/files.h"
#include "clnet/net.h"
#include "clnet/train.h"
#include "clnet/util.h"
#include "onnx.pb-c.h"

enum { ONNX_IR_VERSION = 7, ONNX_OPSET = 13 }; /* opset 13 is IR version 7's */

/* raw_data is little-endian; the initializers copy host floats as they are */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "export.c writes ONNX raw_data from host memory: a big-endian host needs a byte swap"
#endif

typedef ClnetOnnx__NodeProto node_t;
typedef ClnetOnnx__TensorProto tensor_t;

typedef struct {
    node_t **node;
    size_t nnode;
    tensor_t **init;
    size_t ninit;
    void **owned;
    size_t nowned, room;
} graph_b;

/* Keeps p (malloc'd) to be freed with the graph; returns it. */
static void *own(graph_b *g, void *p)
{
    if (g->nowned == g->room) {
        g->room = g->room ? 2 * g->room : 256;
        g->owned = realloc(g->owned, g->room * sizeof *g->owned);
        if (!g->owned)
            die("out of host memory building the ONNX graph");
    }
    return g->owned[g->nowned++] = p;
}

static void *alloc(graph_b *g, size_t bytes)
{
    void *p = xcalloc(1, bytes ? bytes : 1);
    return own(g, p);
}

static char *str(graph_b *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *str(graph_b *g, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return own(g, xstrdup(buf));
}

/* Appends p to the array *arr of *n pointers (the array is reallocated: freed as owned). */
static void push(graph_b *g, void ***arr, size_t *n, void *p)
{
    void **a = alloc(g, (*n + 1) * sizeof *a);
    if (*n)
        memcpy(a, *arr, *n * sizeof *a);
    a[(*n)++] = p;
    *arr = a;
}

/* A node of op with inputs in[0..nin) and one output (its name, owned). */
static node_t *node(graph_b *g, const char *op, const char *out, int nin, const char *const *in)
{
    node_t *nd = alloc(g, sizeof *nd);
    clnet_onnx__node_proto__init(nd);
    nd->op_type = (char *)op;
    nd->name = str(g, "%s", out);
    nd->n_input = (size_t)nin;
    nd->input = alloc(g, (size_t)nin * sizeof *nd->input);
    for (int i = 0; i < nin; i++)
        nd->input[i] = (char *)in[i];
    nd->n_output = 1;
    nd->output = alloc(g, sizeof *nd->output);
    nd->output[0] = nd->name;
    push(g, (void ***)&g->node, &g->nnode, nd);
    return nd;
}

static ClnetOnnx__AttributeProto *attr(graph_b *g, node_t *nd, const char *name)
{
    ClnetOnnx__AttributeProto *a = alloc(g, sizeof *a);
    clnet_onnx__attribute_proto__init(a);
    a->name = (char *)name;
    push(g, (void ***)&nd->attribute, &nd->n_attribute, a);
    return a;
}

static void attr_int(graph_b *g, node_t *nd, const char *name, int64_t v)
{
    ClnetOnnx__AttributeProto *a = attr(g, nd, name);
    a->type = CLNET_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->value_case = CLNET_ONNX__ATTRIBUTE_PROTO__VALUE_I;
    a->i = v;
}

static void attr_ints(graph_b *g, node_t *nd, const char *name, int n, ...)
{
    ClnetOnnx__AttributeProto *a = attr(g, nd, name);
    a->type = CLNET_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->n_ints = (size_t)n;
    a->ints = alloc(g, (size_t)n * sizeof *a->ints);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        a->ints[i] = va_arg(ap, int);
    va_end(ap);
}

/* An initializer: dims[0..nd), the data as little-endian bytes. */
static const char *init(graph_b *g, const char *name, int elem, const int64_t *dims, int nd,
                        const void *data, size_t bytes)
{
    tensor_t *t = alloc(g, sizeof *t);
    clnet_onnx__tensor_proto__init(t);
    t->name = str(g, "%s", name);
    t->data_type = elem;
    t->n_dims = (size_t)nd;
    t->dims = alloc(g, (size_t)nd * sizeof *t->dims);
    memcpy(t->dims, dims, (size_t)nd * sizeof *dims);
    t->raw_data.len = bytes;
    t->raw_data.data = alloc(g, bytes);
    memcpy(t->raw_data.data, data, bytes);
    push(g, (void ***)&g->init, &g->ninit, t);
    return t->name;
}

static const char *init_floats(graph_b *g, const char *name, const int64_t *dims, int nd,
                               const float *v)
{
    size_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= (size_t)dims[i];
    return init(g, name, CLNET_ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dims, nd, v, n * 4);
}

static const char *unary(graph_b *g, const char *op, const char *out, const char *in)
{
    return node(g, op, out, 1, &in)->name;
}

/* (x - mean) / sd per channel, as clnet's gather does after pixels / 255. */
static const char *normalize(graph_b *g, const checkpoint *c, const char *x)
{
    int64_t dims[] = {1, c->C, 1, 1};
    const char *in[2] = {x, init_floats(g, "channel_mean", dims, 4, c->mean)};
    const char *centred = node(g, "Sub", "centred", 2, in)->name;
    in[0] = centred, in[1] = init_floats(g, "channel_sd", dims, 4, c->sd);
    return node(g, "Div", "normalized", 2, in)->name;
}

static const char *pad_layer(graph_b *g, const layer *l, const char *x)
{
    int bottom = l->out_h - l->in_h - l->pad_top, right = l->out_w - l->in_w - l->pad_left;
    int64_t pads[8] = {0, 0, l->pad_top, l->pad_left, 0, 0, bottom, right}, dims[] = {8};
    const char *in[2] = {x, init(g, str(g, "%s_pads", l->name),
                                 CLNET_ONNX__TENSOR_PROTO__DATA_TYPE__INT64, dims, 1, pads,
                                 sizeof pads)};
    return node(g, "Pad", l->name, 2, in)->name;
}

static const char *conv_layer(graph_b *g, const layer *l, const float *p, const char *x)
{
    const conv_geom *cg = &l->conv;
    int64_t wd[] = {cg->K, cg->C, cg->KH, cg->KW}, bd[] = {cg->K};
    const char *in[3] = {x, init_floats(g, str(g, "%s_weights", l->name), wd, 4, p + l->w_off),
                         init_floats(g, str(g, "%s_bias", l->name), bd, 1, p + l->b_off)};
    node_t *nd = node(g, "Conv", str(g, "%s_conv", l->name), 3, in);
    attr_ints(g, nd, "kernel_shape", 2, cg->KH, cg->KW);
    attr_ints(g, nd, "strides", 2, cg->stride, cg->stride);
    attr_ints(g, nd, "pads", 4, cg->pad, cg->pad, cg->pad, cg->pad);
    attr_ints(g, nd, "dilations", 2, 1, 1);
    attr_int(g, nd, "group", 1);
    return unary(g, "Relu", l->name, nd->name);
}

static const char *pool_layer(graph_b *g, const layer *l, const char *x)
{
    node_t *nd = node(g, l->avg ? "AveragePool" : "MaxPool", l->name, 1, &x);
    attr_ints(g, nd, "kernel_shape", 2, l->pool.size, l->pool.size);
    attr_ints(g, nd, "strides", 2, l->pool.stride, l->pool.stride);
    return nd->name;
}

/* z (n, K) = x (n, F) W (F, K) + b: Gemm with B = W as stored. */
static const char *fc_layer(graph_b *g, const layer *l, const float *p, const char *x, int last)
{
    if (l->flatten) {
        node_t *f = node(g, "Flatten", str(g, "%s_flat", l->name), 1, &x);
        attr_int(g, f, "axis", 1);
        x = f->name;
    }
    int64_t wd[] = {l->fan_in, l->out_c}, bd[] = {l->out_c};
    const char *in[3] = {x, init_floats(g, str(g, "%s_weights", l->name), wd, 2, p + l->w_off),
                         init_floats(g, str(g, "%s_bias", l->name), bd, 1, p + l->b_off)};
    node_t *nd = node(g, "Gemm", last ? "logits" : l->relu ? str(g, "%s_fc", l->name)
                                                           : l->name, 3, in);
    return l->relu && !last ? unary(g, "Relu", l->name, nd->name) : nd->name;
}

/* A float tensor value (N, d1, d2, ...) with N free. */
static ClnetOnnx__ValueInfoProto *value(graph_b *g, const char *name, int nd, const int *dims)
{
    ClnetOnnx__TensorShapeProto *shape = alloc(g, sizeof *shape);
    clnet_onnx__tensor_shape_proto__init(shape);
    shape->n_dim = (size_t)nd + 1;
    shape->dim = alloc(g, shape->n_dim * sizeof *shape->dim);
    for (size_t i = 0; i < shape->n_dim; i++) {
        ClnetOnnx__TensorShapeProto__Dimension *d = alloc(g, sizeof *d);
        clnet_onnx__tensor_shape_proto__dimension__init(d);
        if (i == 0) {
            d->value_case = CLNET_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = "N";
        } else {
            d->value_case = CLNET_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i - 1];
        }
        shape->dim[i] = d;
    }
    ClnetOnnx__TypeProto__Tensor *tt = alloc(g, sizeof *tt);
    clnet_onnx__type_proto__tensor__init(tt);
    tt->elem_type = CLNET_ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = shape;
    ClnetOnnx__TypeProto *type = alloc(g, sizeof *type);
    clnet_onnx__type_proto__init(type);
    type->value_case = CLNET_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tt;
    ClnetOnnx__ValueInfoProto *v = alloc(g, sizeof *v);
    clnet_onnx__value_info_proto__init(v);
    v->name = (char *)name;
    v->type = type;
    return v;
}

static ClnetOnnx__StringStringEntryProto *meta(graph_b *g, const char *key, const char *val)
{
    ClnetOnnx__StringStringEntryProto *e = alloc(g, sizeof *e);
    clnet_onnx__string_string_entry_proto__init(e);
    e->key = (char *)key;
    e->value = own(g, xstrdup(val));
    return e;
}

/* The class names one per line (numbers when the checkpoint has none). */
static char *class_lines(const checkpoint *c)
{
    size_t room = (size_t)c->names_len + 12 * (size_t)c->classes + 1, at = 0;
    char *s = xmalloc(room);
    const char *name = c->names;
    for (uint32_t k = 0; k < c->classes; k++) {
        if (c->names_len) {
            at += (size_t)snprintf(s + at, room - at, "%s\n", name);
            name += strlen(name) + 1;
        } else
            at += (size_t)snprintf(s + at, room - at, "%u\n", k);
    }
    if (at)
        s[at - 1] = '\0'; /* no newline after the last */
    else
        s[0] = '\0';
    return s;
}

static void model_meta(graph_b *g, ClnetOnnx__ModelProto *m, const checkpoint *c,
                       const char *version)
{
    char *classes = own(g, class_lines(c)), norm[256] = "none";
    if (c->normalized) {
        int at = snprintf(norm, sizeof norm, "(pixels / 255 - mean) / sd, mean");
        for (uint32_t i = 0; i < c->C; i++)
            at += snprintf(norm + at, sizeof norm - (size_t)at, " %.9g", c->mean[i]);
        at += snprintf(norm + at, sizeof norm - (size_t)at, ", sd");
        for (uint32_t i = 0; i < c->C; i++)
            at += snprintf(norm + at, sizeof norm - (size_t)at, " %.9g", c->sd[i]);
    }
    ClnetOnnx__StringStringEntryProto *e[] = {
        meta(g, "classes", classes), meta(g, "clnet_version", version),
        meta(g, "clnet_spec", c->spec), meta(g, "normalization", norm)};
    m->n_metadata_props = sizeof e / sizeof *e;
    m->metadata_props = alloc(g, sizeof e);
    memcpy(m->metadata_props, e, sizeof e);
}

void export_model(const char *model_path, const char *version, uint8_t **out, size_t *len)
{
    checkpoint c;
    net nt;
    model_load(model_path, &c, &nt);
    graph_b g = {0};
    const char *x = "image";
    if (c.normalized)
        x = normalize(&g, &c, x);
    for (int i = 0; i < nt.nlayers; i++) {
        const layer *l = &nt.layers[i];
        if (l->kind == LAYER_PAD)
            x = pad_layer(&g, l, x);
        else if (l->kind == LAYER_CONV)
            x = conv_layer(&g, l, c.params, x);
        else if (l->kind == LAYER_POOL)
            x = pool_layer(&g, l, x);
        else
            x = fc_layer(&g, l, c.params, x, i == nt.nlayers - 1);
    }
    node_t *sm = node(&g, "Softmax", "probabilities", 1, &x);
    attr_int(&g, sm, "axis", 1);
    ClnetOnnx__GraphProto graph = CLNET_ONNX__GRAPH_PROTO__INIT;
    graph.name = "clnet";
    graph.doc_string = c.spec;
    graph.n_node = g.nnode, graph.node = g.node;
    graph.n_initializer = g.ninit, graph.initializer = g.init;
    int in_dims[] = {(int)c.C, (int)c.H, (int)c.W}, out_dims[] = {(int)c.classes};
    ClnetOnnx__ValueInfoProto *inputs[] = {value(&g, "image", 3, in_dims)},
                              *outputs[] = {value(&g, "logits", 1, out_dims),
                                            value(&g, "probabilities", 1, out_dims)};
    graph.n_input = 1, graph.input = inputs;
    graph.n_output = 2, graph.output = outputs;
    ClnetOnnx__OperatorSetIdProto opset = CLNET_ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.domain = "";
    opset.version = ONNX_OPSET;
    ClnetOnnx__OperatorSetIdProto *opsets[] = {&opset};
    ClnetOnnx__ModelProto m = CLNET_ONNX__MODEL_PROTO__INIT;
    m.ir_version = ONNX_IR_VERSION;
    m.producer_name = "clnet";
    m.producer_version = (char *)version;
    m.doc_string = "exported by clnet export; input: pixels / 255 as (N, C, H, W)";
    m.graph = &graph;
    m.n_opset_import = 1, m.opset_import = opsets;
    model_meta(&g, &m, &c, version);
    *len = clnet_onnx__model_proto__get_packed_size(&m);
    *out = xmalloc(*len ? *len : 1);
    clnet_onnx__model_proto__pack(&m, *out);
    for (size_t i = 0; i < g.nowned; i++)
        free(g.owned[i]);
    free(g.owned);
    net_free_table(&nt);
    ckpt_free(&c);
}

/* What --force may replace: an empty file or an ONNX model (field 1, ir_version, a varint of
 * 1..15 first), never a checkpoint, data or anything else by a slip of the name. */
static int onnx_file(const uint8_t *head, size_t n)
{
    return n == 0 || (n >= 2 && head[0] == 0x08 && head[1] >= 1 && head[1] <= 15);
}

/* Without --force the model is written beside path and linked to it, which fails if a file
 * appeared there meanwhile (a rename would replace it). */
static void write_new(const char *path, const uint8_t *buf, size_t len)
{
    char tmp[PATH_BUF];
    snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)getpid());
    if (write_file_atomic(tmp, buf, len, 1))
        die("--onnx %s: cannot write it: %s", path, strerror(errno));
    int rc = link(tmp, path), e = errno;
    unlink(tmp);
    if (rc && e == EEXIST)
        die_status(EXIT_USAGE, "--onnx %s exists (give --force to replace it)", path);
    if (rc)
        die("--onnx %s: cannot write it: %s", path, strerror(e));
}

int export_run(const export_opts *o)
{
    char why[MSG_BUF];
    if (same_file(o->model, o->onnx))
        die_status(EXIT_USAGE, "--onnx %s is the checkpoint --model itself", o->onnx);
    struct stat st;
    if (!o->force && lstat(o->onnx, &st) == 0)
        die_status(EXIT_USAGE, "--onnx %s exists (give --force to replace it)", o->onnx);
    if (check_output_file(o->onnx, onnx_file, "model in the ONNX format", why, sizeof why))
        die("--onnx %s: %s", o->onnx, why);
    uint8_t *buf;
    size_t len;
    export_model(o->model, o->version, &buf, &len);
    if (!o->force)
        write_new(o->onnx, buf, len);
    else if (write_file_atomic(o->onnx, buf, len, 1))
        die("--onnx %s: cannot write it: %s", o->onnx, strerror(errno));
    free(buf);
    printf("%s: ONNX model (opset %d) of %s, %zu bytes\n", o->onnx, ONNX_OPSET, o->model, len);
    return 0;
}
