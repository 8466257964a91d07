/* imgdir.c: a folder of images as a data set (data.h): DIR/train/<class>/<image> and
 * DIR/test/<class>/<image>; the classes are the sub-folders of train/ in sorted order. Every
 * header is read first (sizes, channels), then the images are decoded on every core. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clnet/data.h"
#include "clnet/files.h"
#include "clnet/imgcache.h"
#include "clnet/util.h"

typedef struct {
    char **path;  /* every image, class by class */
    int *label;
    int n, cap;
} file_list;

static void list_add(file_list *l, const char *path, int label)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->path = realloc(l->path, (size_t)l->cap * sizeof *l->path);
        l->label = realloc(l->label, (size_t)l->cap * sizeof *l->label);
        if (!l->path || !l->label)
            die("out of host memory listing images");
    }
    l->path[l->n] = xstrdup(path), l->label[l->n++] = label;
}

static void list_free(file_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->path[i]);
    free(l->path), free(l->label);
}

/* a/b into path (PATH_BUF bytes); -1 with a reason when it would not fit. */
static int join(char *path, const char *a, const char *b, char *err, size_t len)
{
    if ((size_t)snprintf(path, PATH_BUF, "%s/%s", a, b) >= PATH_BUF)
        return errorf(err, len, "%s/%.64s...: a path longer than %d bytes", a, b, PATH_BUF - 1);
    return 0;
}

/* The class names of train/: its sub-folders, sorted, into d->names. */
static int read_classes(const char *train, dataset *d, char *err, size_t len)
{
    int n;
    char **e = folder_entries(train, &n, err, len);
    if (!e)
        return -1;
    size_t at = 0;
    d->names = xmalloc(1);
    for (int i = 0; i < n; i++) {
        char path[PATH_BUF];
        struct stat st;
        int bad = join(path, train, e[i], err, len);
        if (!bad && (stat(path, &st) || !S_ISDIR(st.st_mode)))
            bad = errorf(err, len, "%s: not a class folder (train/ holds one folder per class)",
                         path);
        for (const char *ch = e[i]; *ch && !bad; ch++)
            if ((unsigned char)*ch < 32 || *ch == 127)
                bad = errorf(err, len, "%s: a class folder whose name has a control character",
                             train);
        if (bad) {
            folder_entries_free(e, n);
            return -1;
        }
        size_t k = strlen(e[i]) + 1;
        if (k > 256) {
            folder_entries_free(e, n);
            return errorf(err, len, "%s: a class name of more than 255 bytes", path);
        }
        if (!(d->names = realloc(d->names, at + k)))
            die("out of host memory reading the class names of %s", train);
        memcpy(d->names + at, e[i], k), at += k;
    }
    folder_entries_free(e, n);
    d->names_len = at, d->classes = n;
    if (n > CLNET_MAX_CLASSES)
        return errorf(err, len, "%s: %d classes; at most %d", train, n, CLNET_MAX_CLASSES);
    return 0;
}

/* The index of class name in names, or -1. */
static int class_index(const dataset *names, const char *name)
{
    const char *p = names->names;
    for (int k = 0; k < names->classes; k++, p += strlen(p) + 1)
        if (!strcmp(p, name))
            return k;
    return -1;
}

/* Every image of split (a folder of class folders) into l, labelled by the class names of nd. */
static int list_images(const char *split, const dataset *nd, file_list *l, char *err, size_t len)
{
    int n;
    char **classes = folder_entries(split, &n, err, len);
    if (!classes)
        return -1;
    int rc = 0;
    for (int c = 0; c < n && !rc; c++) {
        char folder[PATH_BUF];
        if ((rc = join(folder, split, classes[c], err, len)))
            break;
        int k = class_index(nd, classes[c]), m;
        if (k < 0) {
            rc = errorf(err, len, "%s: a class that train/ lacks", folder);
            break;
        }
        char **files = folder_entries(folder, &m, err, len);
        if (!files) {
            rc = -1;
            break;
        }
        if (m == 0)
            rc = errorf(err, len, "%s: an empty class folder", folder);
        for (int i = 0; i < m && !rc; i++) {
            char path[PATH_BUF];
            if (!(rc = join(path, folder, files[i], err, len)))
                list_add(l, path, k);
        }
        folder_entries_free(files, m);
    }
    folder_entries_free(classes, n);
    if (!rc && l->n == 0)
        rc = errorf(err, len, "%s: no images", split);
    return rc;
}

/* The size and channels every image gets: --resize and --channels, else those of the images,
 * which must then all be one size (two that differ are named). */
static int image_shape(const file_list *l, const image_opts *io, int *w, int *h, int *c,
                       char *err, size_t len)
{
    int w0 = 0, h0 = 0, colour = 0;
    for (int i = 0; i < l->n; i++) {
        int iw, ih, ic;
        if (image_info(l->path[i], &iw, &ih, &ic, err, len))
            return -1;
        colour |= ic >= 3;
        if (i == 0)
            w0 = iw, h0 = ih;
        else if (!io->w && (iw != w0 || ih != h0))
            return errorf(err, len, "%s is %d x %d but %s is %d x %d: give --resize WxH",
                          l->path[i], iw, ih, l->path[0], w0, h0);
    }
    *w = io->w ? io->w : w0, *h = io->h ? io->h : h0;
    *c = io->channels ? io->channels : colour ? 3 : 1;
    if (*w > CLNET_MAX_SIDE || *h > CLNET_MAX_SIDE)
        return errorf(err, len, "%s: %d x %d images; clnet trains on at most %d x %d (give "
                      "--resize WxH)", l->path[0], *w, *h, CLNET_MAX_SIDE, CLNET_MAX_SIDE);
    /* decoded, they live in host memory: refused before the system would kill the run */
    double bytes = (double)l->n * *w * *h * *c;
    double ram = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (ram > 0 && bytes > ram / 2)
        return errorf(err, len, "%s: %d images of %d x %d x%d are %.1f GiB decoded, more than "
                      "half of this machine's %.1f GiB (give --resize WxH)", l->path[0], l->n,
                      *w, *h, *c, bytes / (1 << 30), ram / (1 << 30));
    return 0;
}

typedef struct {
    const file_list *l;
    dataset *d;
    atomic_int next;
    char **errs; /* per image: why it failed, or NULL */
} decode_job;

static void *decode_worker(void *arg)
{
    decode_job *j = arg;
    size_t image = (size_t)j->d->rows * j->d->cols * j->d->channels;
    for (int i; !stop_requested() && (i = atomic_fetch_add(&j->next, 1)) < j->l->n;) {
        char err[MSG_BUF];
        if (image_read(j->l->path[i], j->d->channels, j->d->cols, j->d->rows,
                       j->d->pixels + (size_t)i * image, err, sizeof err))
            j->errs[i] = xstrdup(err);
    }
    return NULL;
}

/* Decodes every image into d on every core; the first failure, in file order, is reported.
 * SIGINT, SIGTERM or SIGHUP stops it within an image a core: then it fails (die() then exits
 * 128 + the signal), so a part-decoded set is neither used nor cached. */
static int decode_all(const file_list *l, dataset *d, char *err, size_t len)
{
    decode_job j = {l, d, 0, xcalloc((size_t)l->n, sizeof(char *))};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
    pthread_t t[64];
    int started = 0;
    for (; started < nt && started < l->n; started++)
        if (pthread_create(&t[started], NULL, decode_worker, &j))
            break;
    if (!started)
        decode_worker(&j);
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    d->decode_threads = started ? started : 1;
    int rc = 0;
    for (int i = 0; i < l->n; i++) {
        if (j.errs[i] && !rc)
            rc = errorf(err, len, "%s", j.errs[i]);
        free(j.errs[i]);
    }
    free(j.errs);
    if (!rc && stop_requested())
        rc = errorf(err, len, "%s: decoding stopped by signal %d", l->path[0], stop_requested());
    return rc;
}

/* The decoded cache of a split: where it is and the key of its files (path empty: none). */
typedef struct {
    char path[PATH_BUF];
    uint64_t key;
    int mode; /* CACHE_AUTO, CACHE_ALWAYS, CACHE_OFF */
} cache_use;
enum { CACHE_AUTO, CACHE_ALWAYS, CACHE_OFF };

/* $CLNET_IMAGE_CACHE: auto (after a decode of IMGCACHE_MIN_SECONDS or more), always, off. */
static int cache_mode(void)
{
    const char *v = getenv("CLNET_IMAGE_CACHE");
    if (!v || !*v || !strcmp(v, "auto"))
        return CACHE_AUTO;
    if (!strcmp(v, "always"))
        return CACHE_ALWAYS;
    if (!strcmp(v, "off"))
        return CACHE_OFF;
    die("CLNET_IMAGE_CACHE=%s: expected auto, always or off", v);
}

/* 1 when the split was read from its cache into out (its names kept, the rest filled); else 0,
 * with cu set for cache_write (a key that cannot be made is an error: a file went missing). */
static int cache_read(const char *dir, const char *split, const char *here,
                      const image_opts *io, const file_list *l, dataset *out, cache_use *cu,
                      char *err, size_t len)
{
    cu->mode = cache_mode();
    cu->path[0] = '\0';
    if (cu->mode == CACHE_OFF || imgcache_path(dir, split, io, cu->path, sizeof cu->path))
        return cu->path[0] = '\0', 0;
    if (imgcache_key(l->path, strlen(here) + 1, l->label, l->n, io, out, &cu->key, err, len))
        return cu->path[0] = '\0', 0;
    dataset d;
    char why[MSG_BUF];
    if (imgcache_load(cu->path, cu->key, &d, why, sizeof why))
        return 0;
    free(d.names);
    d.names = out->names, d.names_len = out->names_len; /* the same: they are in the key */
    *out = d;
    out->cached = 1;
    snprintf(out->cache_path, sizeof out->cache_path, "%s", cu->path);
    return 1;
}

/* After a decode that took long (or always): the cache written for next time. A cache that
 * cannot be written costs only the next run's decoding (said in the header). */
static void cache_write(const cache_use *cu, dataset *d)
{
    if (!cu->path[0] || (cu->mode == CACHE_AUTO && d->decode_seconds < IMGCACHE_MIN_SECONDS))
        return;
    snprintf(d->cache_path, sizeof d->cache_path, "%s", cu->path);
    d->cached = imgcache_save(cu->path, cu->key, d) ? -1 : 2;
}

int imgdir_load(const char *dir, const char *split, const image_opts *io, dataset *out, char *err,
                size_t len)
{
    memset(out, 0, sizeof *out);
    char train[PATH_BUF], here[PATH_BUF];
    snprintf(train, sizeof train, "%s/train", dir);
    snprintf(here, sizeof here, "%s/%s", dir, strcmp(split, "train") ? "test" : "train");
    char why[256];
    if (check_folder(here, why, sizeof why))
        return errorf(err, len, "%s: %s (an image folder holds train/ and test/, a folder of "
                      "images per class in each)", here, why);
    file_list l = {0};
    double t0 = now_seconds();
    int w = 0, h = 0, c = 0;
    int rc = read_classes(train, out, err, len) || list_images(here, out, &l, err, len);
    cache_use cu = {0};
    if (!rc && cache_read(dir, split, here, io, &l, out, &cu, err, len)) {
        out->image_folder = 1;
        out->decode_seconds = now_seconds() - t0;
        list_free(&l);
        return 0;
    }
    rc = rc || image_shape(&l, io, &w, &h, &c, err, len);
    if (!rc) {
        out->count = l.n, out->rows = h, out->cols = w, out->channels = c;
        out->pixels = xmalloc((size_t)l.n * w * h * c);
        out->labels = xmalloc((size_t)l.n * sizeof *out->labels);
        for (int i = 0; i < l.n; i++)
            out->labels[i] = (uint16_t)l.label[i];
        rc = decode_all(&l, out, err, len);
    }
    out->decode_seconds = now_seconds() - t0;
    if (!rc)
        cache_write(&cu, out);
    out->image_folder = 1;
    snprintf(out->images_path, sizeof out->images_path, "%s", here);
    snprintf(out->labels_path, sizeof out->labels_path, "%s", here);
    list_free(&l);
    if (rc) {
        free(out->pixels), free(out->labels), free(out->names);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

int dataset_read(const char *dir, const char *split, const image_opts *io, dataset *out,
                 char *err, size_t len)
{
    static const image_opts none;
    io = io ? io : &none;
    char train[PATH_BUF];
    snprintf(train, sizeof train, "%s/train", dir);
    struct stat st;
    int folder = io->format == FORMAT_IMAGES ||
                 (io->format == FORMAT_AUTO && stat(train, &st) == 0 && S_ISDIR(st.st_mode));
    if (folder ? imgdir_load(dir, split, io, out, err, len)
               : dataset_load_format(dir, split, io->format, out, err, len))
        return -1;
    char why[MSG_BUF];
    if (!folder && image_convert(out, io->channels, io->w, io->h, why, sizeof why)) {
        dataset_free(out);
        return errorf(err, len, "%s: %s", dir, why);
    }
    return 0;
}
