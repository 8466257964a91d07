/* study.c: clnet study init and clnet study optim (see study.h). */
#define _POSIX_C_SOURCE 200809L
#include "clnet/study.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "clnet/files.h"
#include "clnet/net.h"
#include "clnet/plot.h"
#include "clnet/report.h"
#include "clnet/stop.h"
#include "clnet/util.h"

#define FIG_W 420
#define FIG_H 300
#define LN10 2.302585093
#define NAME_LEN 64

static const rgb FIG_BAR = {70, 110, 180};

/* What the runs of one study share: their settings, results and names. */
typedef struct {
    const study_opts *s;
    int n;
    train_opts o[STUDY_MAX_RUNS];
    train_result r[STUDY_MAX_RUNS];
    char name[STUDY_MAX_RUNS][NAME_LEN];   /* folder and row name */
    char label[STUDY_MAX_RUNS][NAME_LEN];  /* image titles */
    char sub[STUDY_MAX_RUNS][PATH_BUF];    /* each run's folder */
    char *dir;                             /* the study's folder, NULL without output */
    int lock;                              /* its lock (report.h's output_dir) */
} study;

static int has_conv(const char *spec)
{
    return strstr(net_expand(spec), "conv") != NULL;
}

/* The overrides every recipe takes (a --hist-every given, --steps, --batch), and the run's
 * output folder. */
static void finish_opts(study *st, int i)
{
    const study_opts *s = st->s;
    train_opts *o = &st->o[i];
    if (s->base.hist_every >= 0)
        o->hist_every = s->base.hist_every;
    if (s->steps)
        o->steps = s->steps, o->epochs = 0;
    if (s->batch)
        o->batch = s->batch;
    char sub[sizeof st->sub[i]];
    snprintf(sub, sizeof sub, "%s/%s", st->dir ? st->dir : "", st->name[i]);
    memcpy(st->sub[i], sub, sizeof sub);
    o->out_dir = st->dir ? st->sub[i] : NULL;
    o->no_output = st->dir == NULL;
    o->label = st->label[i];
}

/* The recipe's settings for one initialisation. Without conv layers (mlp) normal and scaled
 * use 1e-4, the original's rate for its fully connected net. */
static void init_recipe(study *st, int i)
{
    const study_opts *s = st->s;
    init_kind k = s->inits[i];
    train_opts *o = &st->o[i];
    *o = s->base;
    o->init = k;
    o->shuffle = 0; /* batches in file order, as the original */
    int he = k == INIT_HE || k == INIT_XAVIER;
    double small = has_conv(o->spec) ? 1e-7 : 1e-4;
    if (s->full_recipe) {
        o->batch = 100, o->steps = 5000, o->hist_every = 500, o->log_every = 500;
        o->lr = he ? 1e-3 : small;
    } else {
        o->batch = 32, o->steps = 100, o->hist_every = 50, o->log_every = 25;
        o->lr = he ? 1e-2 : small;
        if (!o->test_images)
            o->test_images = 1000;
    }
    if (s->lr > 0)
        o->lr = s->lr;
    snprintf(st->name[i], NAME_LEN, "%s", init_name(k));
    snprintf(st->label[i], NAME_LEN, "init %s", init_name(k));
    finish_opts(st, i);
}

double study_default_lr(optim_kind k)
{
    return k == OPT_ADAM ? 1e-3 : 1e-2;
}

/* The recipe's settings for one optimizer: quick (batch 32, 100 steps, 1000 test images) or
 * one epoch at batch 100 on every test image. Same seed, so the same shuffled order. */
static void optim_recipe(study *st, int i)
{
    const study_opts *s = st->s;
    const study_optim *so = &s->optims[i];
    train_opts *o = &st->o[i];
    *o = s->base;
    o->optim.kind = so->kind;
    o->lr = so->lr;
    if (s->full_recipe) {
        o->batch = 100, o->steps = 0, o->epochs = 1, o->hist_every = 100, o->log_every = 100;
    } else {
        o->batch = 32, o->steps = 100, o->epochs = 0, o->hist_every = 50, o->log_every = 25;
        if (!o->test_images)
            o->test_images = 1000;
    }
    snprintf(st->name[i], NAME_LEN, "%s-%g", optim_name(so->kind), o->lr);
    snprintf(st->label[i], NAME_LEN, "%s lr %g", optim_name(so->kind), o->lr);
    finish_opts(st, i);
}

static void study_free(study *st)
{
    for (int i = 0; i < st->n; i++)
        train_result_free(&st->r[i]);
    if (st->dir)
        output_dir_release(st->dir, st->lock);
    free(st->dir);
    st->dir = NULL;
}

/* Runs every run in turn; returns the study's exit status (an interrupt stops it, and then the
 * results are freed). */
static int run_all(study *st, const char *kind)
{
    int status = 0;
    for (int i = 0; i < st->n; i++) {
        if (i && stop_requested()) {
            fflush(stdout);
            fprintf(stderr, "clnet: %s after run %d of %d of the study: the runs done have "
                    "their reports; the study's table and figure are not written\n",
                    stop_what(stop_requested()), i, st->n);
            st->n = i;
            study_free(st);
            return 128 + stop_requested();
        }
        printf("==== study %s: run %d of %d: %s (%s), lr %g ====\n", kind, i + 1, st->n,
               st->name[i], optim_name(st->o[i].optim.kind), st->o[i].lr);
        fflush(stdout);
        int rc = train_run(&st->o[i], &st->r[i]);
        if (rc != 0 && rc != EXIT_DIVERGED)
            status = rc;
        if (rc > 128) { /* interrupted: no more runs */
            st->n = i + 1;
            study_free(st);
            return rc;
        }
    }
    return status;
}

/* A bad --arch is refused before the study's folder exists. The runs check everything else
 * before they write anything; if the first refuses, the folder, still empty, is removed at exit
 * (files.h). The test set gives the image size and (about) the classes. */
static void check_arch(const study_opts *s)
{
    dataset d;
    net nt;
    char err[MSG_BUF];
    if (dataset_read(s->base.data_dir, "t10k", &s->base.image, &d, err, sizeof err))
        die("%s", err);
    if (net_parse(s->base.spec, d.channels, d.rows, d.cols, d.classes > 2 ? d.classes : 2, &nt,
                  err, sizeof err))
        die_status(EXIT_USAGE, "--arch %s: %s", s->base.spec, err);
    net_free_table(&nt);
    dataset_free(&d);
}

static void open_study(study *st, const study_opts *s, int n)
{
    check_arch(s);
    memset(st, 0, sizeof *st);
    st->s = s, st->n = n, st->lock = -1;
    char err[MSG_BUF];
    if (!s->base.no_output && !(st->dir = output_dir(s->base.out_dir, &st->lock, err, sizeof err)))
        die("%s", err);
}

/* "network ltfn = conv64,...,fc10": the spec given and, where it says less, the layers run. */
static void print_network(FILE *f, const study *st)
{
    const char *given = st->s->base.spec, *full = st->r[0].spec ? st->r[0].spec : given;
    fprintf(f, "network %s%s%s\n", given, strcmp(given, full) ? " = " : "",
            strcmp(given, full) ? full : "");
}

/* The first and the last hidden pre-activation (before "logits"); -1 without two of them. */
static int hidden_span(const train_result *r, int *first, int *last)
{
    *first = 0, *last = -1;
    for (int t = 0; t < r->ntensors; t++)
        if (!strcmp(r->names[t], "logits"))
            *last = t - 1;
    return *last > *first ? 0 : -1;
}

/* "layer4_conv" -> "layer4" */
static void short_name(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s", name);
    char *p = strstr(buf, "_conv");
    if (p)
        *p = '\0';
}

static void print_ranges(FILE *f, const study *st)
{
    const train_result *r = st->r;
    fprintf(f, "\nstep-0 ranges (min .. max over the first batch; ln 10 = %.4f):\n%-14s", LN10, "");
    for (int i = 0; i < st->n; i++)
        fprintf(f, " %-25s", st->name[i]);
    fputc('\n', f);
    for (int t = 0; t < r[0].ntensors; t++) {
        fprintf(f, "%-14s", r[0].names[t]);
        for (int i = 0; i < st->n; i++) {
            char cell[64];
            snprintf(cell, sizeof cell, "%.4g .. %.4g", r[i].stats0[t].min, r[i].stats0[t].max);
            fprintf(f, " %-25s", cell);
        }
        fputc('\n', f);
    }
    int a, b;
    if (hidden_span(&r[0], &a, &b))
        return;
    char na[32], nb[32], label[72];
    short_name(na, sizeof na, r[0].names[a]), short_name(nb, sizeof nb, r[0].names[b]);
    snprintf(label, sizeof label, "%s/%s", nb, na);
    fprintf(f, "%-14s", label);
    for (int i = 0; i < st->n; i++) {
        const hist_stats *x = &r[i].stats0[a], *y = &r[i].stats0[b];
        double sa = fmax(fabs(x->min), fabs(x->max)), sb = fmax(fabs(y->min), fabs(y->max));
        fprintf(f, " %-25.3g", sb / sa);
    }
    fprintf(f, "  (largest |value| of %s over %s's)\n", r[0].names[b], r[0].names[a]);
}

/* The table in the original's form, then each run's step-0 ranges. */
static void print_init_tables(FILE *f, const study *st)
{
    fputc('\n', f);
    print_network(f, st);
    fprintf(f, "%-8s %9s %6s %6s %12s %14s\n", "init", "lr", "steps", "batch", "test cost",
            "test accuracy");
    for (int i = 0; i < st->n; i++) {
        const train_result *r = &st->r[i];
        fprintf(f, "%-8s %9g %6ld %6d ", st->name[i], st->o[i].lr, r->steps, st->o[i].batch);
        if (r->status == EXIT_DIVERGED)
            fprintf(f, "%12s %14s\n", "diverged", "-");
        else
            fprintf(f, "%12.4f %13.2f%%\n", r->test_cost, 100 * r->test_acc);
    }
    for (int i = 0; i < st->n; i++)
        if (!st->r[i].stats0)
            return;
    print_ranges(f, st);
}

/* Writes the figure c to path; 0, or -1 after saying why. */
static int write_figure(const canvas *c, const char *path)
{
    if (canvas_write_png(c, path) == 0)
        return 0;
    fflush(stdout);
    fprintf(stderr, "clnet: cannot write %s: %s\n", path, strerror(errno));
    return -1;
}

/* Rows = inits, columns = the step-0 tensors, one x range per column. */
static int init_figure(const study *st, const char *path)
{
    const train_result *r = st->r;
    int cols = r[0].ntensors, rows = st->n;
    canvas c = canvas_new(cols * FIG_W, rows * FIG_H);
    for (int t = 0; t < cols; t++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < rows; i++)
            lo = fmin(lo, r[i].stats0[t].lo), hi = fmax(hi, r[i].stats0[t].hi);
        for (int i = 0; i < rows; i++) {
            const hist_stats *s = &r[i].stats0[t];
            char title[96], sub[160];
            snprintf(title, sizeof title, "%s: %s", st->name[i], r[i].names[t]);
            snprintf(sub, sizeof sub, "step 0  min %.4g  max %.4g\nstd %.4g", s->min, s->max,
                     s->std);
            hist_panel p = {title, sub, r[i].bins0 + (size_t)t * r[i].nbins, r[i].nbins, s->lo,
                            s->hi, lo, hi, 1, FIG_BAR};
            draw_hist_panel(&c, t * FIG_W, i * FIG_H, FIG_W, FIG_H, &p);
        }
    }
    int rc = write_figure(&c, path);
    canvas_free(&c);
    return rc;
}

/* DIR/index.html: the table, the figure (img NULL: it could not be written) and a link to every
 * run's report. 0, or -1 after saying why. */
static int write_index(const study *st, const char *title, const char *table, const char *img,
                       const char *caption)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        die("out of host memory writing the study report");
    fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>"
            "<style>body{font-family:sans-serif;margin:24px}pre{background:#f6f6f6;padding:8px}"
            "img{max-width:100%%;border:1px solid #ddd}</style></head><body>\n"
            "<h1>%s</h1>\n<pre>", title, title);
    html_escape(f, table);
    if (img)
        fprintf(f, "</pre>\n<h2>%s</h2>\n<img src=\"%s\" alt=\"study figure\">\n", caption, img);
    else
        fprintf(f, "</pre>\n<h2>%s</h2>\n<p>The figure could not be written.</p>\n", caption);
    fputs("<h2>Runs</h2>\n<ul>\n", f);
    for (int i = 0; i < st->n; i++)
        if (st->r[i].report)
            fprintf(f, "<li><a href=\"%s/index.html\">%s</a></li>\n", st->name[i], st->label[i]);
    fputs("</ul>\n</body></html>\n", f);
    fclose(f);
    char path[PATH_BUF];
    snprintf(path, sizeof path, "%s/index.html", st->dir);
    int rc = write_file_atomic(path, buf, len, 0);
    if (rc) {
        fflush(stdout);
        fprintf(stderr, "clnet: cannot write %s: %s\n", path, strerror(errno));
    } else {
        printf("report: %s\n", path);
    }
    free(buf);
    return rc;
}

/* Prints the table print writes, and returns it (caller frees). */
static char *table_text(const study *st, void (*print)(FILE *, const study *))
{
    char *table;
    size_t len;
    FILE *f = open_memstream(&table, &len);
    if (!f)
        die("out of host memory writing the study table");
    print(f, st);
    fclose(f);
    fputs(table, stdout);
    return table;
}

int study_init_run(const study_opts *s)
{
    study st;
    open_study(&st, s, s->ninits);
    for (int i = 0; i < st.n; i++)
        init_recipe(&st, i);
    int status = run_all(&st, "init");
    if (status > 128)
        return status;
    char *table = table_text(&st, print_init_tables);
    int all = 1;
    for (int i = 0; i < st.n; i++)
        all = all && st.r[i].stats0;
    if (st.dir && all) {
        char path[PATH_BUF];
        snprintf(path, sizeof path, "%s/study-init.png", st.dir);
        int fig = init_figure(&st, path);
        if (write_index(&st, "clnet study init", table, fig ? NULL : "study-init.png",
                        "Step 0, one x range per column (log counts)") || fig)
            status = status ? status : EXIT_INPUT;
    }
    free(table);
    study_free(&st);
    return status;
}

/* ---- study optim ---- */

/* Mean training cost of the last tenth of the run's steps (at least one). */
static double final_cost(const train_result *r)
{
    long n = r->ncost, k = n / 10 > 0 ? n / 10 : 1, used = 0;
    double sum = 0;
    for (long j = n - k; j >= 0 && j < n; j++)
        if (isfinite(r->cost[j]))
            sum += r->cost[j], used++;
    return used ? sum / used : NAN;
}

static void print_optim_table(FILE *f, const study *st)
{
    const train_opts *o = &st->o[0];
    fputc('\n', f);
    print_network(f, st);
    fprintf(f, "init %s, seed %llu, batch %d, %s batch order for every run\n", init_name(o->init),
            (unsigned long long)o->seed, o->batch, o->shuffle ? "the same shuffled" : "file");
    fprintf(f, "%-14s %9s %6s %12s %12s %14s %9s\n", "optimizer", "lr", "steps", "final cost",
            "test cost", "test accuracy", "images/s");
    for (int i = 0; i < st->n; i++) {
        const train_result *r = &st->r[i];
        fprintf(f, "%-14s %9g %6ld %12.4f ", optim_name(st->o[i].optim.kind), st->o[i].lr,
                r->steps, final_cost(r));
        if (r->status == EXIT_DIVERGED)
            fprintf(f, "%12s %14s %9s\n", "diverged", "-", "-");
        else
            fprintf(f, "%12.4f %13.2f%% %9.1f\n", r->test_cost, 100 * r->test_acc,
                    r->images_per_s);
    }
    fprintf(f, "final cost: mean training cost of the last tenth of the steps\n");
}

/* The training cost of every run, each a moving mean over *window steps, run i's at
 * [i * *n, (i + 1) * *n) with *n the longest run's steps (caller frees). */
static float *smoothed(const study *st, long *window, long *len)
{
    long n = 1;
    for (int i = 0; i < st->n; i++)
        n = st->r[i].ncost > n ? st->r[i].ncost : n;
    *len = n;
    *window = n / 50 > 1 ? n / 50 : 1;
    float *y = xmalloc((size_t)st->n * n * sizeof *y);
    for (int i = 0; i < st->n; i++) {
        const train_result *r = &st->r[i];
        for (long j = 0; j < n; j++) {
            double sum = 0;
            long used = 0;
            for (long k = j - *window + 1; k <= j; k++)
                if (k >= 0 && k < r->ncost && isfinite(r->cost[k]))
                    sum += r->cost[k], used++;
            y[(size_t)i * n + j] = j < r->ncost && used ? (float)(sum / used) : NAN;
        }
    }
    return y;
}

static int optim_figure(const study *st, const char *path)
{
    static const rgb colors[] = {{200, 60, 50}, {60, 110, 190}, {50, 150, 70}, {150, 80, 170},
                                 {220, 140, 30}, {40, 160, 170}, {120, 120, 120}, {0, 0, 0}};
    long window, n;
    float *y = smoothed(st, &window, &n);
    curve cv[STUDY_MAX_RUNS];
    float lo = INFINITY, hi = 0;
    for (int i = 0; i < st->n; i++) {
        cv[i] = (curve){st->label[i], y + (size_t)i * n, st->r[i].ncost, colors[i]};
        for (long j = 0; j < cv[i].n; j++)
            if (isfinite(cv[i].y[j]))
                lo = fminf(lo, cv[i].y[j]), hi = fmaxf(hi, cv[i].y[j]);
    }
    char title[128], cap[128];
    snprintf(title, sizeof title, "training cost (%s)", st->s->base.spec);
    if (window > 1)
        snprintf(cap, sizeof cap, "step   (each point: mean batch cost of the last %ld steps)",
                 window);
    else
        snprintf(cap, sizeof cap, "step   (each point: that step's batch cost)");
    canvas c = canvas_new(900, 480);
    draw_curves(&c, 0, 0, 900, 480, title, cap, cv, st->n, lo > 0 && hi / lo > 30);
    int rc = write_figure(&c, path);
    canvas_free(&c);
    free(y);
    return rc;
}

int study_optim_run(const study_opts *s)
{
    study st;
    open_study(&st, s, s->noptims);
    for (int i = 0; i < st.n; i++)
        optim_recipe(&st, i);
    int status = run_all(&st, "optim");
    if (status > 128)
        return status;
    char *table = table_text(&st, print_optim_table);
    if (st.dir) {
        char path[PATH_BUF];
        snprintf(path, sizeof path, "%s/study-optim.png", st.dir);
        int fig = optim_figure(&st, path);
        if (write_index(&st, "clnet study optim", table, fig ? NULL : "study-optim.png",
                        "Training cost over steps") || fig)
            status = status ? status : EXIT_INPUT;
    }
    free(table);
    study_free(&st);
    return status;
}
