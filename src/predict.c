/* predict.c: clnet predict: image files and folders in, the checkpoint's top classes out. Every
 * file's header is checked before anything is decoded; then a batch at a time is decoded,
 * uploaded, gathered with the checkpoint's preprocessing and run forward on the device. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/predict.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clnet/batch.h"
#include "clnet/checkpoint.h"
#include "clnet/clrt.h"
#include "clnet/data.h"
#include "clnet/files.h"
#include "clnet/net.h"
#include "clnet/stop.h"
#include "clnet/train.h"
#include "clnet/util.h"

typedef struct {
    char **path;
    int n, room;
} files;

static void add_file(files *f, const char *path)
{
    if (f->n == f->room) {
        f->room = f->room ? 2 * f->room : 64;
        char **p = realloc(f->path, (size_t)f->room * sizeof *p);
        if (!p)
            die("out of host memory listing the images");
        f->path = p;
    }
    f->path[f->n++] = xstrdup(path);
}

/* path, or the files below it if it is a folder (names starting with '.' left out, each folder's
 * entries in byte order, depth levels at most). */
static void collect(files *f, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st))
        die("%s: cannot open: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        add_file(f, path);
        return;
    }
    if (!S_ISDIR(st.st_mode))
        die("%s: is not a regular file or a folder", path);
    if (depth > PREDICT_MAX_DEPTH)
        die("%s: more than %d folders deep (a link that loops?)", path, PREDICT_MAX_DEPTH);
    char err[MSG_BUF];
    int n;
    char **names = folder_entries(path, &n, err, sizeof err);
    if (!names)
        die("cannot list %s", err);
    for (int i = 0; i < n; i++) {
        char p[PATH_BUF];
        if (snprintf(p, sizeof p, "%s/%s", path, names[i]) >= (int)sizeof p)
            die("%s/%s: path too long", path, names[i]);
        collect(f, p, depth + 1);
    }
    folder_entries_free(names, n);
}

/* Every file's header, before any decoding: an image, of the model's size unless --resize. */
static void check_images(const predict_opts *o, const files *f, const checkpoint *c)
{
    char err[MSG_BUF];
    for (int i = 0; i < f->n; i++) {
        int w, h, ch;
        if (image_info(f->path[i], &w, &h, &ch, err, sizeof err))
            die("%s", err);
        if (!o->resize[0] && (w != (int)c->W || h != (int)c->H))
            die("%s: %d x %d but the model %s takes %u x %u images (give --resize %ux%u to "
                "resize them)", f->path[i], w, h, o->model, c->W, c->H, c->W, c->H);
    }
}

/* The k most probable classes of p (classes values), best first, into idx. */
static void top_classes(const float *p, int classes, int k, int *idx)
{
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int m = 0; m < classes; m++) {
            int taken = 0;
            for (int q = 0; q < j && !taken; q++)
                taken = idx[q] == m;
            if (!taken && (best < 0 || p[m] > p[best]))
                best = m;
        }
        idx[j] = best;
    }
}

static void print_image(const predict_opts *o, const checkpoint *c, const char *path,
                        const float *p, int k, int first)
{
    int idx[64];
    top_classes(p, (int)c->classes, k, idx);
    dataset names = {.classes = (int)c->classes, .names = c->names, .names_len = c->names_len};
    char num[PATH_BUF];
    if (!o->json) {
        printf("%s:", path);
        for (int j = 0; j < k; j++)
            printf("%s %s %.2f%%", j ? "," : "",
                   dataset_class_name(&names, idx[j], num, sizeof num),
                   100.0 * p[idx[j]]);
        printf("\n");
        return;
    }
    printf("%s\n    {\"file\": ", first ? "" : ",");
    json_string(stdout, path);
    printf(", \"top\": [");
    for (int j = 0; j < k; j++) {
        printf("%s{\"class\": ", j ? ", " : "");
        json_string(stdout, dataset_class_name(&names, idx[j], num, sizeof num));
        printf(", \"index\": %d, \"probability\": ", idx[j]);
        if (isfinite(p[idx[j]]))
            printf("%.6g}", p[idx[j]]);
        else
            printf("null}"); /* overflowing weights: not a number, and not JSON */
    }
    printf("]}");
}

/* Images first .. first+n of f decoded, uploaded and run forward: their probabilities
 * (n x classes) into probs. */
static void predict_batch(clrt *rt, net *nt, const checkpoint *c, const files *f, int first,
                          int n, float *probs, cl_mem stats)
{
    size_t image = (size_t)c->C * c->H * c->W;
    dataset d = {.count = n, .rows = (int)c->H, .cols = (int)c->W, .channels = (int)c->C,
                 .classes = (int)c->classes, .pixels = xmalloc((size_t)n * image),
                 .labels = xcalloc((size_t)n, sizeof(uint16_t))};
    char err[MSG_BUF];
    for (int i = 0; i < n; i++)
        if (image_read(f->path[first + i], (int)c->C, (int)c->W, (int)c->H, d.pixels + i * image,
                       err, sizeof err))
            die("%s", err);
    device_data dd;
    batch_upload(rt, &dd, &d, "images");
    dd.map = model_pixel_map(c);
    batch_gather(rt, nt->x, nt->y, &dd, 0, n, 0);
    net_forward(rt, nt, n);
    net_loss(rt, nt, stats, stats, 0, n, 0); /* the softmax (labels are 0: the cost is unused) */
    clrt_download(rt, nt->probs, 0, (size_t)n * c->classes * sizeof(float), probs);
    batch_release(&dd);
    dataset_free(&d);
}

int predict_run(const predict_opts *o)
{
    checkpoint c;
    net nt;
    model_load(o->model, &c, &nt);
    if (o->resize[0] && (o->resize[0] != (int)c.W || o->resize[1] != (int)c.H))
        die_status(EXIT_USAGE, "--resize %dx%d: the model %s takes %ux%u images", o->resize[0],
                   o->resize[1], o->model, c.W, c.H);
    files f = {0};
    for (int i = 0; i < o->npaths; i++)
        collect(&f, o->paths[i], 0);
    if (!f.n)
        die("no images in %s%s", o->paths[0], o->npaths > 1 ? " and the rest" : "");
    check_images(o, &f, &c);
    int batch = o->batch ? o->batch : (int)c.batch;
    batch = batch < f.n ? batch : f.n;
    int k = o->top < (int)c.classes ? o->top : (int)c.classes;
    clrt rt;
    clrt_open(&rt, o->device, o->kernel_dir);
    size_t image = (size_t)c.C * c.H * c.W;
    net_alloc(&rt, &nt, batch, batch_device_bytes(batch, image));
    clrt_upload(&rt, nt.params, 0, c.nparams * sizeof(float), c.params);
    cl_mem stats = clrt_buffer(&rt, 2 * sizeof(float), "statistics");
    float *probs = xmalloc((size_t)batch * c.classes * sizeof(float));
    if (o->json) {
        printf("{\"model\": ");
        json_string(stdout, o->model);
        printf(", \"classes\": %u, \"images\": [", c.classes);
    } else {
        printf("model %s: %s, %u classes, trained %llu steps%s\n", o->model, c.spec, c.classes,
               (unsigned long long)c.step, c.normalized ? ", inputs normalized" : "");
    }
    for (int first = 0; first < f.n; first += batch) {
        stop_poll(o->json ? "during the predictions (the JSON is incomplete)"
                          : "during the predictions");
        int n = f.n - first < batch ? f.n - first : batch;
        predict_batch(&rt, &nt, &c, &f, first, n, probs, stats);
        for (int i = 0; i < n; i++)
            print_image(o, &c, f.path[first + i], probs + (size_t)i * c.classes, k,
                        first + i == 0);
        fflush(stdout);
    }
    if (o->json)
        printf("\n]}\n");
    free(probs);
    clReleaseMemObject(stats);
    net_free(&nt);
    clrt_close(&rt);
    for (int i = 0; i < f.n; i++)
        free(f.path[i]);
    free(f.path);
    ckpt_free(&c);
    return 0;
}
