/* report_html.c: a run's index.html rendered into a FILE (report.c owns the file): settings,
 * results, the metrics as inline SVG plots, every image with its statistics. Plain HTML and
 * relative paths: opens from disk, needs no network. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/report.h"
#include "clnet/util.h"

#define PLOT_W 640
#define PLOT_H 220
#define PLOT_POINTS 1500

void html_escape_n(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        switch (s[i]) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(s[i], f);
        }
    }
}

void html_escape(FILE *f, const char *s)
{
    html_escape_n(f, s, strlen(s));
}

static const char *STYLE =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1900px}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:right;font-family:monospace}th{background:#f3f3f3}td.l,th.l{text-align:left}"
    "img{border:1px solid #ddd;margin:4px}img.thumb{width:300px}img.full{max-width:100%}"
    "pre{background:#f6f6f6;padding:8px}svg{background:#fff;border:1px solid #ddd;margin:4px}";

static void settings_table(FILE *f, const report *r)
{
    fputs("<table>\n", f);
    const char *p = r->settings ? r->settings : "", *key, *val;
    for (size_t kn, vn; report_next_pair(&p, &key, &kn, &val, &vn);) {
        fputs("<tr><th class=l>", f);
        html_escape_n(f, key, kn);
        fputs("</th><td class=l>", f);
        html_escape_n(f, val, vn);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* A line plot of v[0..n) (NaN and infinities skipped) against the step, as inline SVG; sparse:
 * every finite value is a point (else at most PLOT_POINTS of them are drawn). */
static void svg_plot(FILE *f, const char *title, const float *v, long n, double scale, int sparse)
{
    double lo = INFINITY, hi = -INFINITY;
    for (long i = 0; i < n; i++)
        if (isfinite(v[i]))
            lo = fmin(lo, v[i] * scale), hi = fmax(hi, v[i] * scale);
    fprintf(f, "<svg width=%d height=%d><text x=8 y=16 font-size=13>", PLOT_W, PLOT_H);
    html_escape(f, title);
    fputs("</text>\n", f);
    if (!(lo <= hi) || n < 1) {
        fputs("<text x=60 y=100 font-size=12>no finite values</text></svg>\n", f);
        return;
    }
    if (hi == lo)
        hi = lo + 1;
    int x0 = 60, y0 = 24, w = PLOT_W - 80, h = PLOT_H - 54;
    fprintf(f, "<rect x=%d y=%d width=%d height=%d fill=none stroke=#999 />\n", x0, y0, w, h);
    fprintf(f, "<text x=%d y=%d font-size=11 text-anchor=end>%.4g</text>\n", x0 - 4, y0 + 8, hi);
    fprintf(f, "<text x=%d y=%d font-size=11 text-anchor=end>%.4g</text>\n", x0 - 4, y0 + h, lo);
    fprintf(f, "<text x=%d y=%d font-size=11>0</text>", x0, y0 + h + 16);
    fprintf(f, "<text x=%d y=%d font-size=11 text-anchor=end>step %ld</text>\n", x0 + w,
            y0 + h + 16, n - 1);
    long every = n > PLOT_POINTS && !sparse ? (n + PLOT_POINTS - 1) / PLOT_POINTS : 1;
    fputs("<polyline fill=none stroke=#3d6eb4 stroke-width=1.5 points=\"", f);
    for (long i = 0; i < n; i += every) {
        if (!isfinite(v[i]))
            continue;
        double px = x0 + (n > 1 ? (double)i / (double)(n - 1) : 0) * w;
        double py = y0 + h - (v[i] * scale - lo) / (hi - lo) * h;
        fprintf(f, "%.1f,%.1f ", px, py);
    }
    fputs("\"/></svg>\n", f);
}

static void capture_section(FILE *f, const report *r, const capture_rec *c)
{
    fprintf(f, "<h3 id=step%ld>Step %ld</h3>\n<table><tr><th class=l>tensor</th><th>count</th>"
            "<th>min</th><th>max</th><th>mean</th><th>std</th><th>&lt;=0</th>"
            "<th>non-finite</th></tr>\n", c->step, c->step);
    for (int t = 0; t < r->ntensors; t++) {
        const hist_stats *s = &c->stats[t];
        fprintf(f, "<tr><td class=l>%s</td><td>%llu</td><td>%.4g</td><td>%.4g</td><td>%.4g</td>"
                "<td>%.4g</td><td>%.1f%%</td><td>%llu</td></tr>\n", r->names[t],
                (unsigned long long)s->count, s->min, s->max, s->mean, s->std,
                hist_le0_percent(s),
                (unsigned long long)s->nonfinite);
    }
    fprintf(f, "</table>\n<img class=full src=\"hist/step%06ld-sheet.png\" alt=\"summary of "
            "step %ld\"><br>\n", c->step, c->step);
    for (int t = 0; t < r->ntensors; t++)
        fprintf(f, "<a href=\"hist/step%06ld-%s.png\"><img class=thumb src=\"hist/step%06ld-%s.png\" "
                "alt=\"%s step %ld\"></a>\n", c->step, r->names[t], c->step, r->names[t],
                r->names[t], c->step);
}

void report_html(FILE *f, const report *r)
{
    fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>clnet run ");
    html_escape(f, r->dir);
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>clnet run ", STYLE);
    html_escape(f, r->dir);
    fputs("</h1>\n<h2>Settings</h2>\n", f);
    settings_table(f, r);
    fputs("<h2>Results</h2>\n<pre>", f);
    html_escape(f, r->results ? r->results : "");
    fputs("</pre>\n<h2>Training batch cost and accuracy per step</h2>\n", f);
    svg_plot(f, "cost (training batch)", r->cost, r->nsteps, 1, 0);
    svg_plot(f, "accuracy % (training batch)", r->acc, r->nsteps, 100, 0);
    if (r->nval && r->nsteps) {
        float *vc = xmalloc((size_t)r->nsteps * sizeof *vc), *va = xmalloc((size_t)r->nsteps * sizeof *va);
        for (long s = 0; s < r->nsteps; s++)
            vc[s] = va[s] = NAN;
        for (int i = 0; i < r->nval; i++)
            if (r->val_step[i] < r->nsteps)
                vc[r->val_step[i]] = r->val_cost[i], va[r->val_step[i]] = r->val_acc[i];
        fputs("<h2>Validation cost and accuracy</h2>\n", f);
        svg_plot(f, "cost (validation images)", vc, r->nsteps, 1, 1);
        svg_plot(f, "accuracy % (validation images)", va, r->nsteps, 100, 1);
        free(vc);
        free(va);
    }
    fputs("<p>Every step's numbers are in <a href=\"metrics.csv\">metrics.csv</a>.</p>\n", f);
    const char *fig = r->figures ? r->figures : "", *file, *title;
    for (size_t fn, tn; report_next_pair(&fig, &file, &fn, &title, &tn);) {
        fputs("<h2>", f);
        html_escape_n(f, title, tn);
        fputs("</h2>\n<img class=full src=\"", f);
        html_escape_n(f, file, fn);
        fputs("\" alt=\"", f);
        html_escape_n(f, title, tn);
        fputs("\">\n", f);
    }
    if (r->ncaps) {
        fputs("<h2>Histograms over time</h2>\n<p>", f);
        for (int i = 0; i < r->ncaps; i++)
            fprintf(f, "<a href=\"#step%ld\">step %ld</a> ", r->caps[i].step, r->caps[i].step);
        fputs("</p>\n", f);
        for (int t = 0; t < r->ntensors; t++)
            fprintf(f, "<img src=\"time/%s.png\" alt=\"%s over time\">\n", r->names[t],
                    r->names[t]);
        fputs("<h2>Captured steps</h2>\n", f);
        for (int i = 0; i < r->ncaps; i++)
            capture_section(f, r, &r->caps[i]);
    }
    fputs("</body></html>\n", f);
}
