/* imgcache.c: the decoded cache of an image folder's split. Its name comes from the folder, the
 * split and what the images become (--channels, --resize); inside, a key of every file's path
 * (below the split), size, modification and change times, inode and label, and of the decoder's
 * version, must match, so any change to the folder (or to clnet's decoding) rebuilds it.
 * Layout (little-endian): "CLNETIMG", u32 version, u32 CRC-32 of the rest, u64 key, u32 count,
 * width, height, channels, classes, names_len, the names, count u16 labels, the pixels. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/imgcache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "clnet/files.h"
#include "clnet/util.h"

#define MAGIC "CLNETIMG"
#define VERSION 1
#define HEAD 24 /* magic, version, CRC, key */
#define FIELDS 6

int imgcache_key(char *const *paths, size_t skip, const int *labels, int n,
                 const image_opts *io, const dataset *names, uint64_t *key, char *err,
                 size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    int opts[4] = {io->channels, io->w, io->h, IMAGE_DECODE_VERSION};
    h = fnv1a(h, opts, sizeof opts);
    h = fnv1a(h, names->names ? names->names : "", names->names_len);
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st))
            return errorf(err, len, "%s: cannot open: %s", paths[i], strerror(errno));
        /* the change time too: a rewrite that keeps the size and sets the old mtime back */
        int64_t v[7] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec,
                        (int64_t)st.st_mtim.tv_nsec, (int64_t)st.st_ctim.tv_sec,
                        (int64_t)st.st_ctim.tv_nsec, (int64_t)st.st_ino, labels[i]};
        const char *rel = strlen(paths[i]) > skip ? paths[i] + skip : paths[i];
        h = fnv1a(fnv1a(h, rel, strlen(rel) + 1), v, sizeof v);
    }
    *key = h;
    return 0;
}

int imgcache_path(const char *dir, const char *split, const image_opts *io, char *path,
                  size_t len)
{
    char base[PATH_BUF], full[PATH_BUF];
    if (cache_dir(base, sizeof base) || abs_path(dir, full, sizeof full))
        return -1;
    int opts[3] = {io->channels, io->w, io->h};
    uint64_t h = fnv1a(fnv1a(fnv1a(0xcbf29ce484222325ULL, full, strlen(full) + 1), split,
                         strlen(split) + 1), opts, sizeof opts);
    int n = snprintf(path, len, "%s/images-%016llx.bin", base, (unsigned long long)h);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static uint64_t get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int imgcache_parse(const uint8_t *buf, size_t n, uint64_t key, dataset *out, char *err,
                   size_t len)
{
    memset(out, 0, sizeof *out);
    if (n < HEAD + 4 * FIELDS || memcmp(buf, MAGIC, 8))
        return errorf(err, len, "not a clnet image cache");
    if (get(buf + 8, 4) != VERSION)
        return errorf(err, len, "cache format %llu, not %d", (unsigned long long)get(buf + 8, 4),
                      VERSION);
    if (get(buf + 16, 8) != key)
        return errorf(err, len, "made from other files");
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* let the fuzzer past the checksum */
    if ((uint32_t)crc32_z(0L, buf + 16, n - 16) != (uint32_t)get(buf + 12, 4))
        return errorf(err, len, "checksum mismatch");
#endif
    uint64_t f[FIELDS]; /* count, width, height, channels, classes, names_len */
    for (int i = 0; i < FIELDS; i++)
        f[i] = get(buf + HEAD + 4 * i, 4);
    if (!f[0] || f[0] > INT32_MAX || !f[1] || f[1] > CLNET_MAX_SIDE || !f[2] ||
        f[2] > CLNET_MAX_SIDE || !f[3] || f[3] > 4 || f[4] < 1 || f[4] > CLNET_MAX_CLASSES)
        return errorf(err, len, "sizes out of range");
    size_t at = HEAD + 4 * FIELDS, rest = n - at;
    uint64_t image = f[1] * f[2] * f[3];
    if (f[5] > rest || f[0] * 2 > rest - f[5] || (rest - f[5] - f[0] * 2) / image != f[0] ||
        (rest - f[5] - f[0] * 2) % image)
        return errorf(err, len, "truncated or trailing data");
    const char *names = (const char *)buf + at;
    uint64_t ends = 0;
    for (uint64_t i = 0; i < f[5]; i++) {
        if (names[i] == '\0' && (i == 0 || names[i - 1] == '\0'))
            return errorf(err, len, "an empty class name");
        ends += names[i] == '\0';
    }
    if (f[5] && (ends != f[4] || names[f[5] - 1]))
        return errorf(err, len, "bad class names");
    out->count = (int)f[0], out->cols = (int)f[1], out->rows = (int)f[2];
    out->channels = (int)f[3], out->classes = (int)f[4];
    out->names_len = (size_t)f[5];
    out->names = f[5] ? xmalloc((size_t)f[5]) : NULL;
    if (f[5])
        memcpy(out->names, names, (size_t)f[5]);
    at += (size_t)f[5];
    out->labels = xmalloc((size_t)f[0] * sizeof *out->labels);
    for (uint64_t i = 0; i < f[0]; i++) {
        out->labels[i] = (uint16_t)get(buf + at + 2 * i, 2);
        if (out->labels[i] >= f[4]) {
            dataset_free(out);
            return errorf(err, len, "a label outside the classes");
        }
    }
    at += (size_t)f[0] * 2;
    out->pixels = xmalloc((size_t)(f[0] * image));
    memcpy(out->pixels, buf + at, (size_t)(f[0] * image));
    return 0;
}

int imgcache_load(const char *path, uint64_t key, dataset *out, char *err, size_t len)
{
    size_t n;
    uint8_t *buf = read_file(path, SIZE_MAX / 2, &n, err, len);
    if (!buf)
        return -1;
    int rc = imgcache_parse(buf, n, key, out, err, len);
    free(buf);
    return rc;
}

int imgcache_save(const char *path, uint64_t key, const dataset *d)
{
    char folder[PATH_BUF];
    snprintf(folder, sizeof folder, "%s", path);
    char *slash = strrchr(folder, '/');
    if (slash)
        *slash = '\0';
    if (slash && mkdir_p(folder))
        return -1;
    size_t pixels = dataset_bytes(d), n = HEAD + 4 * FIELDS + d->names_len +
                    (size_t)d->count * 2 + pixels;
    uint8_t *b = xmalloc(n);
    memcpy(b, MAGIC, 8);
    uint64_t head[] = {VERSION, 0, key}, fields[FIELDS] = {
        (uint64_t)d->count, (uint64_t)d->cols, (uint64_t)d->rows, (uint64_t)d->channels,
        (uint64_t)d->classes, d->names_len};
    size_t at = 8;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < (i < 2 ? 4 : 8); k++)
            b[at++] = (uint8_t)(head[i] >> (8 * k));
    for (int i = 0; i < FIELDS; i++)
        for (int k = 0; k < 4; k++)
            b[at++] = (uint8_t)(fields[i] >> (8 * k));
    if (d->names_len)
        memcpy(b + at, d->names, d->names_len);
    at += d->names_len;
    for (int i = 0; i < d->count; i++)
        b[at++] = (uint8_t)d->labels[i], b[at++] = (uint8_t)(d->labels[i] >> 8);
    memcpy(b + at, d->pixels, pixels);
    uint32_t crc = (uint32_t)crc32_z(0L, b + 16, n - 16);
    for (int k = 0; k < 4; k++)
        b[12 + k] = (uint8_t)(crc >> (8 * k));
    int rc = write_file_replacing(path, b, n, 0, imgcache_is_own); /* a stranger's file stays */
    free(b);
    return rc;
}

int imgcache_is_own(const uint8_t *head, size_t n)
{
    return n >= 8 && !memcmp(head, MAGIC, 8);
}
