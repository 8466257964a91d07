/* study.c: clnet study init (see study.h). */
#define _POSIX_C_SOURCE 200809L
#include "clnet/study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/plot.h"
#include "clnet/report.h"
#include "clnet/util.h"

#define FIG_W 420
#define FIG_H 300
#define LN10 2.302585093

static const rgb FIG_BAR = {70, 110, 180};

/* The recipe's settings for one initialisation. */
static train_opts recipe(const study_opts *s, init_kind k, const char *dir, char *label)
{
    train_opts o = s->base;
    o.init = k;
    o.shuffle = 0; /* batches in file order, as the original */
    long hist = o.hist_every;
    if (s->seed_recipe) {
        o.batch = 100, o.steps = 5000, o.hist_every = 500, o.log_every = 500;
        o.lr = k == INIT_HE || k == INIT_XAVIER ? 1e-3 : 1e-7;
    } else {
        o.batch = 32, o.steps = 100, o.hist_every = 50, o.log_every = 25;
        o.lr = k == INIT_HE || k == INIT_XAVIER ? 1e-2 : 1e-7;
        if (!o.test_images)
            o.test_images = 1000;
    }
    if (hist >= 0)
        o.hist_every = hist;
    if (s->steps)
        o.steps = s->steps;
    if (s->batch)
        o.batch = s->batch;
    if (s->lr > 0)
        o.lr = s->lr;
    o.out_dir = dir;
    o.no_output = dir == NULL;
    snprintf(label, 64, "init %s", init_name(k));
    o.label = label;
    return o;
}

/* The table in the original's form, then each run's step-0 ranges. */
static void print_tables(FILE *f, const study_opts *s, const train_opts *o, const train_result *r)
{
    fprintf(f, "\n%-8s %9s %6s %6s %12s %14s\n", "init", "lr", "steps", "batch", "test cost",
            "test accuracy");
    for (int i = 0; i < s->ninits; i++) {
        fprintf(f, "%-8s %9g %6ld %6d ", init_name(s->inits[i]), o[i].lr, r[i].steps, o[i].batch);
        if (r[i].status == EXIT_DIVERGED)
            fprintf(f, "%12s %14s\n", "diverged", "-");
        else
            fprintf(f, "%12.4f %13.2f%%\n", r[i].test_cost, 100 * r[i].test_acc);
    }
    for (int i = 0; i < s->ninits; i++)
        if (!r[i].stats0)
            return;
    fprintf(f, "\nstep-0 ranges (min .. max over the first batch; ln 10 = %.4f):\n%-14s", LN10, "");
    for (int i = 0; i < s->ninits; i++)
        fprintf(f, " %-25s", init_name(s->inits[i]));
    fputc('\n', f);
    for (int t = 0; t < r[0].ntensors; t++) {
        fprintf(f, "%-14s", r[0].names[t]);
        for (int i = 0; i < s->ninits; i++) {
            char cell[64];
            snprintf(cell, sizeof cell, "%.4g .. %.4g", r[i].stats0[t].min, r[i].stats0[t].max);
            fprintf(f, " %-25s", cell);
        }
        fputc('\n', f);
    }
    fprintf(f, "%-14s", "layer4/layer1");
    for (int i = 0; i < s->ninits; i++) {
        const hist_stats *a = &r[i].stats0[0], *b = &r[i].stats0[3];
        double sa = fmax(fabs(a->min), fabs(a->max)), sb = fmax(fabs(b->min), fabs(b->max));
        fprintf(f, " %-25.3g", sb / sa);
    }
    fprintf(f, "  (largest |value| of layer4_conv over layer1_conv's)\n");
}

/* Rows = inits, columns = the step-0 tensors, one x range per column. */
static void write_figure(const study_opts *s, const train_result *r, const char *dir)
{
    int cols = r[0].ntensors, rows = s->ninits;
    canvas c = canvas_new(cols * FIG_W, rows * FIG_H);
    for (int t = 0; t < cols; t++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < rows; i++)
            lo = fmin(lo, r[i].stats0[t].lo), hi = fmax(hi, r[i].stats0[t].hi);
        for (int i = 0; i < rows; i++) {
            const hist_stats *st = &r[i].stats0[t];
            char title[96], sub[160];
            snprintf(title, sizeof title, "%s: %s", init_name(s->inits[i]), r[i].names[t]);
            snprintf(sub, sizeof sub, "step 0  min %.4g  max %.4g\nstd %.4g", st->min, st->max,
                     st->std);
            hist_panel p = {title, sub, r[i].bins0 + (size_t)t * r[i].nbins, r[i].nbins, st->lo,
                            st->hi, lo, hi, 1, FIG_BAR};
            draw_hist_panel(&c, t * FIG_W, i * FIG_H, FIG_W, FIG_H, &p);
        }
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/study-init.png", dir);
    if (canvas_write_png(&c, path))
        fprintf(stderr, "clnet: cannot write %s\n", path);
    canvas_free(&c);
}

static void write_index(const study_opts *s, const train_result *r, const char *table,
                        const char *dir)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        die("out of host memory writing the study report");
    fputs("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>clnet study init</title>"
          "<style>body{font-family:sans-serif;margin:24px}pre{background:#f6f6f6;padding:8px}"
          "img{max-width:100%;border:1px solid #ddd}</style></head><body>\n"
          "<h1>clnet study init</h1>\n<pre>", f);
    html_escape(f, table);
    fputs("</pre>\n<h2>Step 0, one x range per column (log counts)</h2>\n"
          "<img src=\"study-init.png\" alt=\"study figure\">\n<h2>Runs</h2>\n<ul>\n", f);
    for (int i = 0; i < s->ninits; i++)
        if (r[i].report)
            fprintf(f, "<li><a href=\"%s/index.html\">%s</a></li>\n", init_name(s->inits[i]),
                    init_name(s->inits[i]));
    fputs("</ul>\n</body></html>\n", f);
    fclose(f);
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", dir);
    if (write_file_atomic(path, buf, len, 0))
        fprintf(stderr, "clnet: cannot write %s\n", path);
    else
        printf("report: %s\n", path);
    free(buf);
}

int study_init_run(const study_opts *s)
{
    char err[4200], *dir = NULL;
    if (!s->base.no_output && !(dir = output_dir(s->base.out_dir, err, sizeof err)))
        die("%s", err);
    train_opts o[STUDY_MAX_INITS];
    train_result r[STUDY_MAX_INITS];
    char labels[STUDY_MAX_INITS][64], sub[STUDY_MAX_INITS][4200];
    int status = 0;
    for (int i = 0; i < s->ninits; i++) {
        snprintf(sub[i], sizeof sub[i], "%s/%s", dir ? dir : "", init_name(s->inits[i]));
        o[i] = recipe(s, s->inits[i], dir ? sub[i] : NULL, labels[i]);
        printf("==== study init: run %d of %d: %s, lr %g ====\n", i + 1, s->ninits,
               init_name(s->inits[i]), o[i].lr);
        fflush(stdout);
        int st = train_run(&o[i], &r[i]);
        if (st != 0 && st != EXIT_DIVERGED)
            status = st;
        if (st > 128) { /* interrupted: no more runs */
            for (int k = 0; k <= i; k++)
                train_result_free(&r[k]);
            free(dir);
            return st;
        }
    }
    char *table;
    size_t len;
    FILE *f = open_memstream(&table, &len);
    print_tables(f, s, o, r);
    fclose(f);
    fputs(table, stdout);
    int all = 1;
    for (int i = 0; i < s->ninits; i++)
        all = all && r[i].stats0;
    if (dir && all) {
        write_figure(s, r, dir);
        write_index(s, r, table, dir);
    }
    free(table);
    for (int i = 0; i < s->ninits; i++)
        train_result_free(&r[i]);
    free(dir);
    return status;
}
