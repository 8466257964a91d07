/* cifar.c: CIFAR-10 and CIFAR-100 in their binary form (data.h): records of label bytes and three
 * 32 x 32 colour planes, read into the (pixel, channel) bytes of a dataset. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "clnet/data.h"
#include "clnet/files.h"
#include "clnet/util.h"

#define SIDE 32
#define PLANE (SIDE * SIDE)
#define MAX_FILE ((size_t)1 << 31) /* a CIFAR batch is 30 MB; larger is not one */

int cifar_records(const uint8_t *buf, size_t n, int version, int classes, const char *path,
                  dataset *d, char *err, size_t len)
{
    int lb = version == 100 ? 2 : 1; /* CIFAR-100: the coarse label, then the fine one */
    size_t rec = (size_t)lb + 3 * PLANE, count = n / rec;
    if (n == 0 || n % rec)
        return errorf(err, len, "%s: %zu bytes is not a whole number of %zu-byte CIFAR-%d "
                      "records", path, n, rec, version);
    if ((size_t)d->count + count > (size_t)INT32_MAX / (3 * PLANE))
        return errorf(err, len, "%s: more images than clnet holds", path);
    size_t at = (size_t)d->count;
    uint8_t *px = realloc(d->pixels, (at + count) * 3 * PLANE);
    uint16_t *lab = realloc(d->labels, (at + count) * sizeof *lab);
    if (!px || !lab)
        die("out of host memory for %s", path);
    d->pixels = px, d->labels = lab;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *r = buf + i * rec;
        int label = r[lb - 1];
        if (label >= classes)
            return errorf(err, len, "%s: record %zu has label %d, outside the %d classes", path,
                          i, label, classes);
        lab[at + i] = (uint16_t)label;
        for (int p = 0; p < PLANE; p++) /* planes to interleaved channels */
            for (int c = 0; c < 3; c++)
                px[((at + i) * PLANE + (size_t)p) * 3 + (size_t)c] = r[lb + c * PLANE + p];
    }
    d->count += (int)count;
    d->rows = d->cols = SIDE, d->channels = 3, d->classes = classes;
    return 0;
}

/* The whole of a regular file (gzip is read through, raw files as they are). */
static uint8_t *read_whole(const char *path, size_t *n, char *err, size_t len)
{
    char why[256];
    int fd = open_regular(path, why, sizeof why);
    if (fd < 0) {
        errorf(err, len, "%s: %s", path, why);
        return NULL;
    }
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        errorf(err, len, "%s: cannot open: out of memory", path);
        return NULL;
    }
    size_t cap = 1 << 20, got = 0;
    uint8_t *buf = xmalloc(cap);
    for (int r = 1; r > 0; got += (size_t)(r > 0 ? r : 0)) {
        if (got == cap) {
            if (cap >= MAX_FILE) {
                gzclose(f), free(buf);
                errorf(err, len, "%s: larger than a CIFAR file can be (%zu MiB read)", path,
                       got >> 20);
                return NULL;
            }
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                die("out of host memory reading %s", path);
            buf = bigger;
        }
        r = gzread(f, buf + got, (unsigned)(cap - got));
    }
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END) {
        errorf(err, len, "%s: cannot read: %s", path, zerr == Z_ERRNO ? strerror(errno) : msg);
        gzclose(f), free(buf);
        return NULL;
    }
    gzclose(f);
    *n = got;
    return buf;
}

static int read_records(const char *path, int version, int classes, dataset *d, char *err,
                        size_t len)
{
    size_t n;
    uint8_t *buf = read_whole(path, &n, err, len);
    if (!buf)
        return -1;
    int rc = cifar_records(buf, n, version, classes, path, d, err, len);
    free(buf);
    return rc;
}

int class_names_parse(const char *text, const char *path, int want, dataset *d, char *err,
                      size_t len)
{
    size_t cap = strlen(text) + 1, at = 0;
    char *names = xmalloc(cap);
    int count = 0, line = 0;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        line++;
        size_t end = n;
        while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t' || p[end - 1] == '\r'))
            end--; /* the files end their lines and themselves in blanks */
        for (size_t i = 0; i < end; i++)
            if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
                free(names);
                return errorf(err, len, "%s: line %d has a control character", path, line);
            }
        if (end > 255) {
            free(names);
            return errorf(err, len, "%s: line %d: a class name of %zu bytes; at most 255", path,
                          line, end);
        }
        if (end) {
            memcpy(names + at, p, end);
            at += end;
            names[at++] = '\0';
            count++;
        }
        p += n + (p[n] == '\n');
    }
    if (want && count != want) {
        free(names);
        return errorf(err, len, "%s names %d classes; the format has %d", path, count, want);
    }
    free(d->names);
    d->names = names, d->names_len = at;
    return count;
}

/* The class names of the format's text file in dir, if there is one (otherwise numbers). */
static int read_names(const char *dir, const char *file, int classes, dataset *d, char *err,
                      size_t len)
{
    char path[PATH_BUF], why[256];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct stat st;
    if (lstat(path, &st) && errno == ENOENT)
        return 0;
    char *text = read_text(path, 1 << 20, why, sizeof why);
    if (!text)
        return errorf(err, len, "%s: %s", path, why);
    int rc = class_names_parse(text, path, classes, d, err, len);
    free(text);
    return rc < 0 ? -1 : 0;
}

/* The reader's own cleanup (it is below data.c, whose dataset_free calls no part of it). */
static int fail_free(dataset *d)
{
    free(d->pixels), free(d->labels), free(d->names);
    memset(d, 0, sizeof *d);
    return -1;
}

int cifar_load(const char *dir, int version, const char *split, dataset *out, char *err,
               size_t len)
{
    int classes = version == 100 ? 100 : 10, train = !strcmp(split, "train");
    memset(out, 0, sizeof *out);
    char path[PATH_BUF];
    if (version == 100) {
        snprintf(path, sizeof path, "%s/%s.bin", dir, train ? "train" : "test");
        if (read_records(path, version, classes, out, err, len))
            return fail_free(out);
    } else if (!train) {
        snprintf(path, sizeof path, "%s/test_batch.bin", dir);
        if (read_records(path, version, classes, out, err, len))
            return fail_free(out);
    } else {
        struct stat st;
        for (int b = 1;; b++) { /* data_batch_1.bin, _2 ...: as many as there are */
            snprintf(path, sizeof path, "%s/data_batch_%d.bin", dir, b);
            if (b > 1 && lstat(path, &st) && errno == ENOENT)
                break;
            if (read_records(path, version, classes, out, err, len))
                return fail_free(out);
        }
    }
    snprintf(out->images_path, sizeof out->images_path, "%s", path);
    snprintf(out->labels_path, sizeof out->labels_path, "%s", path);
    if (read_names(dir, version == 100 ? "fine_label_names.txt" : "batches.meta.txt", classes, out,
                   err, len))
        return fail_free(out);
    out->classes = classes; /* the format's, whichever labels this split holds */
    return 0;
}
