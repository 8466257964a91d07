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

static int check_header(const char *path, const uint8_t *h, int rank, char *err, size_t len)
{
    if (h[0] != 0 || h[1] != 0)
        return fail(err, len, path, "not an IDX file (magic %02x%02x%02x%02x, expected 0000080%d)",
                    h[0], h[1], h[2], h[3], rank);
    if (h[2] != 0x08)
        return fail(err, len, path, "unsupported IDX type code 0x%02x (only 0x08, unsigned byte)", h[2]);
    if (h[3] != rank)
        return fail(err, len, path, "IDX rank %d, expected %d (%s)", h[3], rank,
                    rank == 3 ? "images: count, rows, columns" : "labels: count");
    return 0;
}

static int check_dims(const char *path, int rank, const uint32_t dims[3], uint64_t *payload,
                      char *err, size_t len)
{
    uint64_t total = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 0)
            return fail(err, len, path, "dimension %d is zero", i);
        if (dims[i] > INT32_MAX)
            return fail(err, len, path, "dimension %d is absurd (%u)", i, dims[i]);
        if (i > 0 && dims[i] > CLNET_MAX_SIDE)
            return fail(err, len, path, "image side %u is larger than %d", dims[i], CLNET_MAX_SIDE);
        total *= dims[i];
        if (total > MAX_IDX_BYTES)
            return fail(err, len, path, "dimensions promise more than 4 GiB of data");
    }
    *payload = total;
    return 0;
}

/* An IDX file whose header has been read and checked; the payload is still to read. */
typedef struct {
    gzFile f;
    uint32_t dims[3];
    uint64_t payload;
} idx_file;

static int idx_open(const char *path, int rank, idx_file *x, char *err, size_t len)
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
    uint8_t head[16];
    size_t head_len = 4 + 4 * (size_t)rank;
    int64_t got = read_full(x->f, path, head, head_len, err, len);
    int rc = -1;
    if (got >= 0 && got < (int64_t)head_len)
        fail(err, len, path, "%s (%lld bytes, the IDX header needs %zu)",
             got == 0 ? "empty file" : "too short for an IDX header", (long long)got, head_len);
    else if (got >= 0 && !check_header(path, head, rank, err, len)) {
        for (int i = 0; i < rank; i++)
            x->dims[i] = be32(head + 4 + 4 * i);
        rc = check_dims(path, rank, x->dims, &x->payload, err, len);
    }
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

int idx_read(const char *path, int rank, uint32_t dims[3], uint8_t **data, char *err, size_t len)
{
    idx_file x;
    *data = NULL;
    if (idx_open(path, rank, &x, err, len))
        return -1;
    memcpy(dims, x.dims, sizeof x.dims);
    return idx_payload(&x, path, data, err, len);
}

/* Finds <dir>/<name>.gz or <dir>/<name> (one of them: both is ambiguous). */
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
    if (!has_gz && !has_raw)
        return fail(err, len, dir, "missing %s[.gz]", name);
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

int dataset_load(const char *dir, const char *split, dataset *out, char *err, size_t len)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (stat(dir, &st) != 0)
        return fail(err, len, dir, "data folder: %s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(err, len, dir, "is not a folder (--data wants a folder in the MNIST layout)");
    char *ipath = out->images_path, *lpath = out->labels_path, name[64];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", split);
    if (find_file(dir, name, ipath, PATH_BUF, err, len))
        return -1;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", split);
    if (find_file(dir, name, lpath, PATH_BUF, err, len))
        return -1;
    /* both headers before either payload: a count that disagrees costs no inflating */
    idx_file im, lb;
    if (idx_open(ipath, 3, &im, err, len))
        return -1;
    if (idx_open(lpath, 1, &lb, err, len)) {
        gzclose(im.f);
        return -1;
    }
    if (im.dims[0] != lb.dims[0]) {
        close_idx(&im, &lb);
        return fail(err, len, lpath, "has %u labels but %s has %u images", lb.dims[0], ipath,
                    im.dims[0]);
    }
    if (idx_payload(&im, ipath, &out->pixels, err, len)) {
        gzclose(lb.f);
        return -1;
    }
    if (idx_payload(&lb, lpath, &out->labels, err, len)) {
        dataset_free(out);
        return -1;
    }
    for (uint32_t i = 0; i < lb.dims[0]; i++)
        if (out->labels[i] >= CLNET_CLASSES) {
            int bad = out->labels[i];
            dataset_free(out);
            return fail(err, len, lpath, "label %u is %d, outside 0..%d", i, bad, CLNET_CLASSES - 1);
        }
    out->count = (int)im.dims[0];
    out->rows = (int)im.dims[1];
    out->cols = (int)im.dims[2];
    return 0;
}

const char *dataset_file_of(const char *dir, const char *path)
{
    static const char *const names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    static char found[64];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    char folder[PATH_BUF];
    snprintf(folder, sizeof folder, "%.*s", slash ? (int)(slash - path + (slash == path)) : 1,
             slash ? path : ".");
    int here = same_file(folder, dir); /* a name in the folder, whether it exists or not */
    for (int i = 0; i < 4; i++)
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
    *pixels = crc_of(d->pixels, (size_t)d->count * d->rows * d->cols);
    *labels = crc_of(d->labels, (size_t)d->count);
}

void dataset_free(dataset *d)
{
    free(d->pixels);
    free(d->labels);
    d->pixels = d->labels = NULL;
    d->count = d->rows = d->cols = 0;
}

void dataset_to_float(const dataset *d, int first, int count, float *out)
{
    size_t pix = (size_t)d->rows * d->cols;
    const uint8_t *src = d->pixels + (size_t)first * pix;
    for (size_t i = 0; i < (size_t)count * pix; i++)
        out[i] = (float)src[i] / 255.0f;
}
