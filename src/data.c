/* data.c: IDX reader (raw or .gz through zlib) with validation of every field. */
#define _DEFAULT_SOURCE
#include "clnet/data.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "clnet/files.h"
#include "clnet/util.h"

#define MAX_IDX_BYTES ((uint64_t)4 << 30) /* 4 GiB of payload */

static int fail(char *err, size_t len, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, const char *path, const char *fmt, ...)
{
    int used = snprintf(err, len, "%s: ", path);
    if (used < 0 || (size_t)used >= len)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + used, len - (size_t)used, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads exactly n bytes; returns bytes read (< n at end of data) or -1 with err set. */
static int64_t read_full(gzFile f, const char *path, uint8_t *buf, uint64_t n, char *err,
                         size_t len)
{
    uint64_t got = 0;
    while (got < n) {
        uint64_t want = n - got;
        unsigned chunk = want > (1u << 30) ? (1u << 30) : (unsigned)want;
        int r = gzread(f, buf + got, chunk);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            return fail(err, len, path, "corrupt gzip data (%s)", zerr == Z_ERRNO ? strerror(errno) : msg);
        }
        if (r == 0)
            break;
        got += (uint64_t)r;
    }
    /* zlib reports a stream cut short only through gzerror. */
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END)
        return fail(err, len, path, "corrupt or truncated gzip data (%s)", msg);
    return (int64_t)got;
}

/* Reads up to n bytes into a buffer that grows with the data actually there, so a header that
 * promises gigabytes over a few bytes of file costs no more memory than the file. Returns the
 * bytes read, or -1 with err set. */
static int64_t read_payload(gzFile f, const char *path, uint64_t n, uint8_t **out, char *err,
                            size_t len)
{
    uint64_t cap = n < (1u << 20) ? n : (1u << 20), got = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        int64_t r = read_full(f, path, buf + got, cap - got, err, len);
        if (r < 0) {
            free(buf);
            return -1;
        }
        got += (uint64_t)r;
        if (got < cap || cap == n)
            break;
        cap = cap * 2 < n ? cap * 2 : n;
        uint8_t *bigger = realloc(buf, cap);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    if (!buf)
        return fail(err, len, path, "out of memory for %llu bytes", (unsigned long long)n);
    *out = buf;
    return (int64_t)got;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The first 4 bytes: zero, zero, the type, the rank; what kind wants. */
static int check_header(const char *path, const uint8_t *h, int kind, idx_shape *sh, char *err,
                        size_t len)
{
    int labels = kind == IDX_LABELS;
    if (h[0] != 0 || h[1] != 0)
        return fail(err, len, path, "not an IDX file (magic %02x%02x%02x%02x, expected 0000080%d)",
                    h[0], h[1], h[2], h[3], labels ? 1 : 3);
    sh->elem = h[2] == 0x08 ? 1 : labels && h[2] == 0x0B ? 2 : labels && h[2] == 0x0C ? 4 : 0;
    if (!sh->elem)
        return fail(err, len, path, "unsupported IDX type code 0x%02x (%s)", h[2],
                    labels ? "labels: 0x08 unsigned byte, 0x0B short or 0x0C int"
                           : "images: only 0x08, unsigned byte");
    sh->rank = h[3];
    if (labels ? sh->rank != 1 : sh->rank != 3 && sh->rank != 4)
        return fail(err, len, path, "IDX rank %d, expected %s", h[3],
                    labels ? "1 (labels: count)"
                           : "3 or 4 (images: count, rows, columns[, channels])");
    return 0;
}

static int check_dims(const char *path, idx_shape *sh, uint64_t *payload, char *err, size_t len)
{
    uint64_t total = (uint64_t)sh->elem;
    for (int i = 0; i < sh->rank; i++) {
        uint32_t d = sh->dims[i];
        if (d == 0)
            return fail(err, len, path, "dimension %d is zero", i);
        if (d > INT32_MAX)
            return fail(err, len, path, "dimension %d is absurd (%u)", i, d);
        if ((i == 1 || i == 2) && d > CLNET_MAX_SIDE)
            return fail(err, len, path, "image side %u is larger than %d", d, CLNET_MAX_SIDE);
        if (i == 3 && d > 4)
            return fail(err, len, path, "%u channels per pixel; 1 to 4 are read", d);
        total *= d;
        if (total > MAX_IDX_BYTES)
            return fail(err, len, path, "dimensions promise more than 4 GiB of data");
    }
    *payload = total;
    return 0;
}

/* An IDX file whose header has been read and checked; the payload is still to read. */
typedef struct {
    gzFile f;
    idx_shape shape;
    uint64_t payload;
} idx_file;

/* Reads n header bytes; 0, or -1 with err set (a short file named as such). */
static int read_head(idx_file *x, const char *path, uint8_t *head, size_t n, size_t whole,
                     char *err, size_t len)
{
    int64_t got = read_full(x->f, path, head, n, err, len);
    if (got < 0)
        return -1;
    if ((size_t)got < n)
        return fail(err, len, path, "%s (the IDX header needs %zu bytes)",
                    got == 0 && whole == n ? "empty file" : "too short for an IDX header", whole);
    return 0;
}

static int idx_open(const char *path, int kind, idx_file *x, char *err, size_t len)
{
    char why[256];
    memset(x, 0, sizeof *x);
    int fd = open_regular(path, why, sizeof why);
    if (fd < 0)
        return fail(err, len, path, "%s", why);
    if (!(x->f = gzdopen(fd, "rb"))) {
        close(fd);
        return fail(err, len, path, "cannot open: out of memory");
    }
    uint8_t head[20];
    idx_shape *sh = &x->shape;
    int rc = read_head(x, path, head, 4, 4, err, len) || check_header(path, head, kind, sh, err, len)
             || read_head(x, path, head + 4, 4 * (size_t)sh->rank, 4 + 4 * (size_t)sh->rank, err,
                          len) ? -1 : 0;
    for (int i = 0; rc == 0 && i < sh->rank; i++)
        sh->dims[i] = be32(head + 4 + 4 * i);
    if (rc == 0)
        rc = check_dims(path, sh, &x->payload, err, len);
    if (rc) {
        gzclose(x->f);
        x->f = NULL;
    }
    return rc;
}

/* Reads the payload of an opened IDX file and closes it. */
static int idx_payload(idx_file *x, const char *path, uint8_t **data, char *err, size_t len)
{
    *data = NULL;
    int64_t got = read_payload(x->f, path, x->payload + 1, data, err, len);
    int rc = -1;
    if (got >= 0 && (uint64_t)got < x->payload)
        fail(err, len, path, "truncated: the header promises %llu bytes of data, the file has %lld",
             (unsigned long long)x->payload, (long long)got);
    else if (got >= 0 && (uint64_t)got > x->payload)
        fail(err, len, path, "has data after the %llu bytes its header promises",
             (unsigned long long)x->payload);
    else if (got >= 0)
        rc = 0;
    if (gzclose(x->f) != Z_OK && rc == 0)
        rc = fail(err, len, path, "corrupt or truncated gzip data");
    x->f = NULL;
    if (rc != 0) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

int idx_read(const char *path, int kind, idx_shape *shape, uint8_t **data, char *err, size_t len)
{
    idx_file x;
    *data = NULL;
    if (idx_open(path, kind, &x, err, len))
        return -1;
    *shape = x.shape;
    return idx_payload(&x, path, data, err, len);
}

/* The labels of an IDX label file (elem bytes each, big-endian) as classes, each checked. */
static int decode_labels(const uint8_t *raw, const idx_shape *sh, const char *path,
                         uint16_t **out, int *classes, char *err, size_t len)
{
    uint32_t n = sh->dims[0];
    uint16_t *l = xmalloc((size_t)n * sizeof *l);
    int top = -1;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p = raw + (size_t)i * sh->elem;
        long v = sh->elem == 1 ? p[0] : sh->elem == 2 ? (long)(int16_t)(p[0] << 8 | p[1])
                                                       : (long)(int32_t)be32(p);
        if (v < 0 || v >= CLNET_MAX_CLASSES) {
            free(l);
            return fail(err, len, path, "label %u is %ld, outside 0..%d", i, v,
                        CLNET_MAX_CLASSES - 1);
        }
        l[i] = (uint16_t)v;
        top = v > top ? (int)v : top;
    }
    *out = l;
    *classes = top + 1;
    return 0;
}

/* Finds <dir>/<name>.gz or <dir>/<name> (one of them: both is ambiguous): 0, 1 when neither
 * exists, -1 for another fault (err set either way). */
static int find_file(const char *dir, const char *name, char *path, size_t plen, char *err,
                     size_t len)
{
    char raw[PATH_BUF], gz[PATH_BUF];
    snprintf(raw, sizeof raw, "%s/%s", dir, name);
    snprintf(gz, sizeof gz, "%s/%s.gz", dir, name);
    struct stat st;
    int has_gz = lstat(gz, &st) == 0, has_raw = lstat(raw, &st) == 0;
    if (!has_gz && !has_raw && errno != ENOENT) /* a folder that cannot be searched, say */
        return fail(err, len, raw, "%s", strerror(errno));
    if (has_gz && has_raw)
        return fail(err, len, dir, "both %s and %s.gz exist; remove one (clnet does not guess "
                    "which is meant)", name, name);
    if (!has_gz && !has_raw) {
        fail(err, len, dir, "missing %s[.gz]", name);
        return 1;
    }
    snprintf(path, plen, "%s", has_gz ? gz : raw);
    if (stat(path, &st) != 0)
        return fail(err, len, path, "%s", errno == ENOENT ? "is a symbolic link to a missing file"
                    : strerror(errno));
    return 0;
}

static void close_idx(idx_file *a, idx_file *b)
{
    gzclose(a->f);
    gzclose(b->f);
}

/* 10 or 100 when dir holds CIFAR-10 or CIFAR-100 binaries, else 0. */
static int format_of(const char *dir)
{
    char path[PATH_BUF];
    struct stat st;
    snprintf(path, sizeof path, "%s/data_batch_1.bin", dir);
    if (lstat(path, &st) == 0)
        return 10;
    snprintf(path, sizeof path, "%s/train.bin", dir);
    return lstat(path, &st) == 0 ? 100 : 0;
}

/* The images file of split: <split>-images-idx3-ubyte (rank 3) or -idx4-ubyte (rank 4, with
 * channels), raw or .gz; one of them. */
static int find_images(const char *dir, const char *split, char *path, char *err, size_t len)
{
    char name3[64], name4[64], p3[PATH_BUF], p4[PATH_BUF], e4[MSG_BUF];
    snprintf(name3, sizeof name3, "%s-images-idx3-ubyte", split);
    snprintf(name4, sizeof name4, "%s-images-idx4-ubyte", split);
    int r3 = find_file(dir, name3, p3, sizeof p3, err, len);
    int r4 = find_file(dir, name4, p4, sizeof p4, e4, sizeof e4);
    if (r4 < 0 && r3 >= 0)
        snprintf(err, len, "%s", e4);
    if (r3 < 0 || r4 < 0)
        return -1;
    if (r3 == 0 && r4 == 0)
        return fail(err, len, dir, "both %s and %s exist; remove one", name3, name4);
    if (r3 && r4) /* err: the usual name is missing */
        return -1;
    snprintf(path, PATH_BUF, "%s", r3 == 0 ? p3 : p4);
    return 0;
}

int dataset_load(const char *dir, const char *split, dataset *out, char *err, size_t len)
{
    return dataset_load_format(dir, split, FORMAT_AUTO, out, err, len);
}

int dataset_load_format(const char *dir, const char *split, int format, dataset *out, char *err,
                        size_t len)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (stat(dir, &st) != 0)
        return fail(err, len, dir, "data folder: %s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(err, len, dir, "is not a folder (--data wants a folder: IDX files, CIFAR "
                    "binaries, or train/ and test/ of images)");
    if (format == FORMAT_CIFAR10 || format == FORMAT_CIFAR100)
        return cifar_load(dir, format == FORMAT_CIFAR10 ? 10 : 100, split, out, err, len);
    char *ipath = out->images_path, *lpath = out->labels_path, name[64];
    if (find_images(dir, split, ipath, err, len)) {
        int cifar = format == FORMAT_AUTO ? format_of(dir) : 0;
        if (cifar)
            return cifar_load(dir, cifar, split, out, err, len);
        return -1;
    }
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", split);
    if (find_file(dir, name, lpath, PATH_BUF, err, len))
        return -1;
    /* both headers before either payload: a count that disagrees costs no inflating */
    idx_file im, lb;
    if (idx_open(ipath, IDX_IMAGES, &im, err, len))
        return -1;
    if (idx_open(lpath, IDX_LABELS, &lb, err, len)) {
        gzclose(im.f);
        return -1;
    }
    if (im.shape.dims[0] != lb.shape.dims[0]) {
        close_idx(&im, &lb);
        return fail(err, len, lpath, "has %u labels but %s has %u images", lb.shape.dims[0],
                    ipath, im.shape.dims[0]);
    }
    idx_shape ls = lb.shape;
    uint8_t *raw;
    if (idx_payload(&im, ipath, &out->pixels, err, len)) {
        gzclose(lb.f);
        return -1;
    }
    if (idx_payload(&lb, lpath, &raw, err, len)) {
        dataset_free(out);
        return -1;
    }
    int rc = decode_labels(raw, &ls, lpath, &out->labels, &out->classes, err, len);
    free(raw);
    if (rc) {
        dataset_free(out);
        return -1;
    }
    out->count = (int)im.shape.dims[0];
    out->rows = (int)im.shape.dims[1];
    out->cols = (int)im.shape.dims[2];
    out->channels = im.shape.rank == 4 ? (int)im.shape.dims[3] : 1;
    return 0;
}

const char *dataset_file_of(const char *dir, const char *path)
{
    static const char *const names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
                                        "train-images-idx4-ubyte", "t10k-images-idx4-ubyte",
                                        "test_batch.bin", "train.bin", "test.bin",
                                        "batches.meta.txt", "fine_label_names.txt"};
    static char found[64];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    char folder[PATH_BUF];
    snprintf(folder, sizeof folder, "%.*s", slash ? (int)(slash - path + (slash == path)) : 1,
             slash ? path : ".");
    int here = same_file(folder, dir); /* a name in the folder, whether it exists or not */
    if (here && !strncmp(base, "data_batch_", 11) && strstr(base, ".bin")) {
        snprintf(found, sizeof found, "%s", "a CIFAR-10 batch");
        return found;
    }
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        for (int gz = 0; gz < 2; gz++) {
            char p[PATH_BUF];
            snprintf(p, sizeof p, "%s/%s%s", dir, names[i], gz ? ".gz" : "");
            snprintf(found, sizeof found, "%s%s", names[i], gz ? ".gz" : "");
            if (same_file(p, path) || (here && !strcmp(base, found)))
                return found;
        }
    return NULL;
}

/* CRC-32 of n bytes, fed to zlib in pieces it can take. */
static uint32_t crc_of(const uint8_t *p, size_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t at = 0; at < n;) {
        uInt chunk = n - at > (1u << 30) ? (1u << 30) : (uInt)(n - at);
        crc = crc32(crc, p + at, chunk);
        at += chunk;
    }
    return (uint32_t)crc;
}

void dataset_checksums(const dataset *d, uint32_t *pixels, uint32_t *labels)
{
    *pixels = crc_of(d->pixels, dataset_bytes(d));
    *labels = crc_of((const uint8_t *)d->labels, (size_t)d->count * sizeof *d->labels);
}

void dataset_free(dataset *d)
{
    free(d->pixels);
    free(d->labels);
    free(d->names);
    d->pixels = NULL;
    d->labels = NULL;
    d->names = NULL;
    d->names_len = 0;
    d->count = d->rows = d->cols = d->channels = d->classes = 0;
}

const char *dataset_class_name(const dataset *d, int k, char *buf, size_t len)
{
    const char *p = d->names;
    for (int i = 0; p && i < k && p < d->names + d->names_len; i++)
        p += strlen(p) + 1;
    if (p && p < d->names + d->names_len)
        snprintf(buf, len, "%s", p);
    else
        snprintf(buf, len, "%d", k);
    return buf;
}

size_t dataset_bytes(const dataset *d)
{
    return (size_t)d->count * d->rows * d->cols * d->channels;
}

void dataset_to_float(const dataset *d, int first, int count, float *out)
{
    size_t pix = (size_t)d->rows * d->cols, C = (size_t)d->channels;
    for (int i = 0; i < count; i++) /* (h, w, c) bytes per image to (c, i, h*w) floats */
        for (size_t c = 0; c < C; c++)
            for (size_t p = 0; p < pix; p++)
                out[(c * (size_t)count + (size_t)i) * pix + p] =
                    (float)d->pixels[((size_t)(first + i) * pix + p) * C + c] / 255.0f;
}
