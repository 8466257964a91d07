/* tfevents.c: TensorBoard event files (tfevents.h). */
#define _POSIX_C_SOURCE 200809L
#include "clnet/tfevents.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clnet/util.h"
#include "tensorboard.pb-c.h"

/* TFRecord's mask, so that a CRC of data holding CRCs is not degenerate. */
static uint32_t masked_crc(const uint8_t *p, size_t n)
{
    uint32_t c = crc32c(0, p, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void tfrecord_frame(uint8_t *rec, size_t n)
{
    for (int i = 0; i < 8; i++)
        rec[i] = (uint8_t)((uint64_t)n >> (8 * i));
    put_le32(rec + 8, masked_crc(rec, 8));
    put_le32(rec + 12 + n, masked_crc(rec + 12, n));
}

static void fail(tfevents *w, const char *what)
{
    snprintf(w->err, sizeof w->err, "%s %s: %s", what, w->path ? w->path : "", strerror(errno));
    w->failed = 1;
    if (w->open)
        close(w->fd);
    w->open = 0;
}

/* The whole record in one write(), so that a kill leaves only whole records behind it. */
static int write_event(tfevents *w, ClnetTb__Event *ev)
{
    if (!w->open)
        return w->failed ? -1 : 0;
    size_t n = clnet_tb__event__get_packed_size(ev);
    uint8_t *framed = xmalloc(n + 16);
    clnet_tb__event__pack(ev, framed + 12);
    tfrecord_frame(framed, n);
    size_t done = 0;
    while (done < n + 16) {
        ssize_t k = write(w->fd, framed + done, n + 16 - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = k == 0 ? ENOSPC : errno;
            free(framed);
            errno = e;
            fail(w, "cannot write");
            return -1;
        }
        done += (size_t)k;
    }
    free(framed);
    return 0;
}

static double wall_clock(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static ClnetTb__Event event_at(long step)
{
    ClnetTb__Event ev = CLNET_TB__EVENT__INIT;
    ev.wall_time = wall_clock();
    ev.step = step;
    return ev;
}

int tfevents_open(tfevents *w, const char *dir)
{
    memset(w, 0, sizeof *w);
    char host[256] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0)
        strcpy(host, "localhost");
    for (char *c = host; *c; c++)
        if (*c == '/')
            *c = '_';
    size_t len = strlen(dir) + strlen(host) + 64;
    w->path = xmalloc(len);
    snprintf(w->path, len, "%s/events.out.tfevents.%lld.%s.clnet", dir, (long long)time(NULL),
             host);
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        fail(w, "cannot create");
        return -1;
    }
    w->open = 1;
    ClnetTb__Event ev = event_at(0);
    ev.what_case = CLNET_TB__EVENT__WHAT_FILE_VERSION;
    ev.file_version = "brain.Event:2";
    return write_event(w, &ev);
}

void tfevents_close(tfevents *w)
{
    if (w->open)
        close(w->fd);
    free(w->path);
    memset(w, 0, sizeof *w);
}

/* An Event of one summary value. */
static int write_value(tfevents *w, long step, ClnetTb__Summary__Value *v)
{
    ClnetTb__Summary sum = CLNET_TB__SUMMARY__INIT;
    ClnetTb__Summary__Value *vals[] = {v};
    sum.n_value = 1;
    sum.value = vals;
    ClnetTb__Event ev = event_at(step);
    ev.what_case = CLNET_TB__EVENT__WHAT_SUMMARY;
    ev.summary = &sum;
    return write_event(w, &ev);
}

int tfevents_scalar(tfevents *w, long step, const char *tag, double value)
{
    ClnetTb__Summary__Value v = CLNET_TB__SUMMARY__VALUE__INIT;
    v.tag = (char *)tag;
    v.value_case = CLNET_TB__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    v.simple_value = (float)value;
    return write_value(w, step, &v);
}

/* TensorBoard reads bucket i as (limit[i-1], limit[i]], the first from min and the last up to
 * max; so only the bins from the first to the last non-empty one go in (as TensorFlow writes
 * them), and a shared range's empty bins beyond a tensor's min or max never become buckets
 * whose left edge is past their right. */
int tfevents_histogram(tfevents *w, long step, const char *tag, const hist_stats *s,
                       const uint32_t *bins, int nbins)
{
    ClnetTb__HistogramProto h = CLNET_TB__HISTOGRAM_PROTO__INIT;
    double n = (double)s->count;
    h.min = s->count ? s->min : 0, h.max = s->count ? s->max : 0;
    h.num = n;
    h.sum = s->mean * n;
    h.sum_squares = (s->std * s->std + s->mean * s->mean) * n;
    int first = 0, last = nbins - 1;
    while (first < last && !bins[first])
        first++;
    while (last > first && !bins[last])
        last--;
    int k = last - first + 1;
    double *limit = xmalloc((size_t)k * sizeof *limit), *count = xmalloc((size_t)k * sizeof *count);
    for (int b = first; b <= last; b++) {
        limit[b - first] = b == last ? h.max : s->lo + (b + 1) / (double)s->scale;
        count[b - first] = bins[b];
    }
    h.n_bucket_limit = h.n_bucket = (size_t)k;
    h.bucket_limit = limit, h.bucket = count;
    ClnetTb__Summary__Value v = CLNET_TB__SUMMARY__VALUE__INIT;
    v.tag = (char *)tag;
    v.value_case = CLNET_TB__SUMMARY__VALUE__VALUE_HISTO;
    v.histo = &h;
    int rc = write_value(w, step, &v);
    free(limit);
    free(count);
    return rc;
}

int tfevents_text(tfevents *w, long step, const char *tag, const char *text)
{
    ClnetTb__SummaryMetadata__PluginData plugin = CLNET_TB__SUMMARY_METADATA__PLUGIN_DATA__INIT;
    plugin.plugin_name = "text";
    ClnetTb__SummaryMetadata meta = CLNET_TB__SUMMARY_METADATA__INIT;
    meta.plugin_data = &plugin;
    ClnetTb__TensorShapeProto__Dim dim = CLNET_TB__TENSOR_SHAPE_PROTO__DIM__INIT;
    dim.size = 1;
    ClnetTb__TensorShapeProto__Dim *dims[] = {&dim};
    ClnetTb__TensorShapeProto shape = CLNET_TB__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 1, shape.dim = dims;
    ProtobufCBinaryData str = {strlen(text), (uint8_t *)text};
    ClnetTb__TensorProto t = CLNET_TB__TENSOR_PROTO__INIT;
    t.dtype = CLNET_TB__DATA_TYPE__DT_STRING;
    t.tensor_shape = &shape;
    t.n_string_val = 1, t.string_val = &str;
    ClnetTb__Summary__Value v = CLNET_TB__SUMMARY__VALUE__INIT;
    v.tag = (char *)tag;
    v.metadata = &meta;
    v.value_case = CLNET_TB__SUMMARY__VALUE__VALUE_TENSOR;
    v.tensor = &t;
    return write_value(w, step, &v);
}
