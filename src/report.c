/* report.c: the run's output folder (images, metrics.csv, index.html) and the capture table. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/report.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clnet/files.h"
#include "clnet/plot.h"
#include "clnet/util.h"

#define PANEL_W 900
#define PANEL_H 470
#define SHEET_COLS 3
#define SHEET_W 620
#define SHEET_H 380
#define RIDGE_MAX 60 /* slices in an over-time image; more captures are thinned evenly */

static const rgb BAR = {70, 110, 180};

/* ---- the folder ---- */

#define LOCK_NAME ".clnet.lock"

/* Whether a folder holds nothing (but its lock, of this run or a killed one). */
static int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, LOCK_NAME);
    closedir(d);
    return empty;
}

/* runs/<date-time>, or with -2, -3 ... when a run of the same second has it. */
static char *fresh_run_dir(char *err, size_t errlen)
{
    char stamp[32], path[64];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    if (mkdir_p("runs")) {
        snprintf(err, errlen, "--out: cannot create folder runs: %s", strerror(errno));
        return NULL;
    }
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(path, sizeof path, "runs/%s", stamp);
        else
            snprintf(path, sizeof path, "runs/%s-%d", stamp, k);
        if (mkdir_new(path) == 0)
            return xstrdup(path);
        if (errno != EEXIST) {
            snprintf(err, errlen, "--out: cannot create folder %s: %s", path, strerror(errno));
            return NULL;
        }
    }
    snprintf(err, errlen, "--out: runs/%s-* all exist", stamp);
    return NULL;
}

static int make_subdirs(const char *dir, char *err, size_t errlen)
{
    const char *subs[] = {"hist", "time"};
    for (int i = 0; i < 2; i++) {
        char p[PATH_BUF];
        snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
        if (mkdir_p(p)) {
            snprintf(err, errlen, "--out %s: cannot create %s: %s", dir, p, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* dir/.clnet.lock, the folder's lock file (files.h). */
static void lock_path(const char *dir, char *buf, size_t len)
{
    snprintf(buf, len, "%s/" LOCK_NAME, dir);
}

long output_owner(const char *path, char *owner, size_t len)
{
    char p[PATH_BUF + 256], lock[sizeof p + 16];
    if (abs_path(path, p, sizeof p))
        return 0;
    for (char *slash; (slash = strrchr(p, '/'));) {
        *(slash == p ? slash + 1 : slash) = '\0';
        lock_path(p, lock, sizeof lock);
        long pid = lock_holder(lock);
        if (pid && pid != (long)getpid()) { /* a study holds the folder of its own runs */
            snprintf(owner, len, "%s", p);
            return pid;
        }
        if (slash == p)
            break;
    }
    return 0;
}

int output_dir_check(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    char owner[PATH_BUF + 256];
    long holder = dir ? output_owner(dir, owner, sizeof owner) : 0;
    if (holder)
        return errorf(err, errlen, "--out %s: inside %s, the output folder of another clnet run "
                      "(pid %ld)", dir, owner, holder);
    if (!dir || stat(dir, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return errorf(err, errlen, "--out %s: exists and is not a folder", dir);
    char lock[PATH_BUF];
    lock_path(dir, lock, sizeof lock);
    long pid = lock_holder(lock);
    if (pid > 0)
        return errorf(err, errlen, "--out %s: in use by another clnet run (pid %ld)", dir, pid);
    if (pid < 0)
        return errorf(err, errlen, "--out %s: in use by another process (it holds %s)", dir, lock);
    if (!dir_is_empty(dir))
        return errorf(err, errlen, "--out %s: folder is not empty (clnet does not overwrite "
                      "earlier outputs); choose a new folder", dir);
    return 0;
}

char *output_dir(const char *dir, int *lock_fd, char *err, size_t errlen)
{
    char *path = NULL;
    if (!dir)
        path = fresh_run_dir(err, errlen);
    else if (output_dir_check(dir, err, errlen) == 0) {
        if (mkdir_p(dir))
            snprintf(err, errlen, "--out %s: cannot create folder: %s", dir, strerror(errno));
        else
            path = xstrdup(dir);
    }
    if (!path)
        return NULL;
    char lock[PATH_BUF], why[MSG_BUF];
    lock_path(path, lock, sizeof lock);
    /* the lock, then the check again: of two runs racing for one folder, one gets it */
    if ((*lock_fd = lock_take(lock, why, sizeof why)) < 0 || !dir_is_empty(path)) {
        if (*lock_fd < 0)
            snprintf(err, errlen, "--out %s: %s", path, why);
        else
            output_dir_check(path, err, errlen), lock_drop(*lock_fd, lock);
        free(path);
        return NULL;
    }
    return path;
}

int report_open(report *r, const char *dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->lock = -1;
    if (!(r->dir = output_dir(dir, &r->lock, err, errlen)))
        return -1;
    if (make_subdirs(r->dir, err, errlen))
        return -1;
    char path[PATH_BUF];
    snprintf(path, sizeof path, "%s/.write-test", r->dir);
    if (write_file_atomic(path, "clnet\n", 6, 0)) {
        snprintf(err, errlen, "--out %s: cannot write there: %s", r->dir, strerror(errno));
        return -1;
    }
    remove(path);
    return 0;
}

/* The folder's lock, given up when the run is over. */
void output_dir_release(const char *dir, int lock_fd)
{
    char lock[PATH_BUF];
    lock_path(dir, lock, sizeof lock);
    lock_drop(lock_fd, lock);
}

void report_close(report *r)
{
    tfevents_close(&r->tb);
    for (int i = 0; i < r->ncaps; i++) {
        free(r->caps[i].stats);
        free(r->caps[i].bins);
    }
    free(r->caps);
    free(r->names);
    free(r->label);
    free(r->cost);
    free(r->acc);
    free(r->ips);
    free(r->settings);
    free(r->results);
    free(r->figures);
    free(r->val_step);
    free(r->val_cost);
    free(r->val_acc);
    if (r->dir)
        output_dir_release(r->dir, r->lock);
    free(r->dir);
    memset(r, 0, sizeof *r);
    r->lock = -1;
}

int report_write(report *r, const char *name, const void *data, size_t len)
{
    if (!r->dir || r->failed)
        return -1;
    char path[PATH_BUF];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    if (write_file_atomic(path, data, len, 0) == 0)
        return 0;
    fflush(stdout);
    fprintf(stderr, "clnet: cannot write %s: %s; no more output files are written\n", path,
            strerror(errno));
    r->failed = 1;
    return -1;
}

static void write_png(report *r, const char *name, const canvas *c)
{
    if (!r->dir || r->failed)
        return;
    size_t len;
    uint8_t *png = canvas_png(c, &len);
    report_write(r, name, png, len);
    free(png);
}

/* ---- settings, tensors, metrics ---- */

/* Appends printf output to the growing string *s. */
static void appendv(char **s, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    size_t old = *s ? strlen(*s) : 0;
    char *p = realloc(*s, old + (size_t)(n > 0 ? n : 0) + 1);
    if (!p)
        die("out of host memory for the report");
    p[old] = '\0';
    if (n > 0)
        vsnprintf(p + old, (size_t)n + 1, fmt, ap);
    *s = p;
}

static void append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    appendv(s, fmt, ap);
    va_end(ap);
}

/* The next "key\tvalue\n" line of *p (settings, figures): its two parts, *p moved past it; 0 at
 * the end (or at a line that is not one). */
int report_next_pair(const char **p, const char **key, size_t *klen, const char **val,
                     size_t *vlen)
{
    const char *tab = strchr(*p, '\t'), *nl = strchr(*p, '\n');
    if (!**p || !tab || !nl || tab > nl)
        return 0;
    *key = *p, *klen = (size_t)(tab - *p);
    *val = tab + 1, *vlen = (size_t)(nl - tab - 1);
    *p = nl + 1;
    return 1;
}

/* ---- TensorBoard ---- */

/* Says the first failure of the event file (training goes on without it). */
static void tb_said(report *r, int rc)
{
    if (rc == 0 || r->tb_told)
        return;
    fflush(stdout);
    fprintf(stderr, "clnet: TensorBoard events: %s; no more are written\n", r->tb.err);
    r->tb_told = 1;
}

void report_tensorboard(report *r)
{
    if (r->dir && !r->failed && tfevents_open(&r->tb, r->dir) != 0)
        tb_said(r, -1);
}

int report_tensorboard_failed(const report *r)
{
    return r->tb.failed;
}

/* The settings as a Markdown table, before the first other record. */
static int tb_ready(report *r)
{
    if (!r->tb.open)
        return 0;
    if (r->tb_settings)
        return 1;
    r->tb_settings = 1;
    char *md = NULL;
    append(&md, "| setting | value |\n|---|---|\n");
    const char *p = r->settings ? r->settings : "", *key, *val;
    for (size_t kn, vn; report_next_pair(&p, &key, &kn, &val, &vn);) {
        append(&md, "| %.*s | ", (int)kn, key);
        for (size_t i = 0, run; i < vn; i += run) { /* a | would end the cell: \| */
            if (val[i] == '|') {
                append(&md, "\\|");
                run = 1;
            } else {
                run = strcspn(val + i, "|\n"); /* the value ends at its line's end */
                append(&md, "%.*s", (int)run, val + i);
            }
        }
        append(&md, " |\n");
    }
    tb_said(r, tfevents_text(&r->tb, 0, "settings", md));
    free(md);
    return r->tb.open;
}

static void tb_scalar(report *r, long step, const char *tag, double v)
{
    if (isfinite(v) && tb_ready(r))
        tb_said(r, tfevents_scalar(&r->tb, step, tag, v));
}

void report_setting(report *r, const char *key, const char *fmt, ...)
{
    char *value = NULL;
    va_list ap;
    va_start(ap, fmt);
    appendv(&value, fmt, ap);
    va_end(ap);
    append(&r->settings, "%s\t", key);
    /* a tab or newline of the value (a folder's name can hold one) would end its row */
    for (const unsigned char *c = (const unsigned char *)value; *c; c++)
        append(&r->settings, *c < 0x20 || *c == 0x7f ? "\\x%02x" : "%c", *c);
    append(&r->settings, "\n");
    free(value);
}

void report_result(report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    appendv(&r->results, fmt, ap);
    va_end(ap);
    append(&r->results, "\n");
}

void report_figure(report *r, const char *name, const char *title, const canvas *c)
{
    if (!r->dir || r->failed)
        return;
    write_png(r, name, c);
    if (!r->failed)
        append(&r->figures, "%s\t%s\n", name, title);
}

void report_tensors(report *r, char (*names)[32], int ntensors, int nbins, int log_counts,
                    const char *label)
{
    r->names = xmalloc((size_t)ntensors * sizeof *names);
    memcpy(r->names, names, (size_t)ntensors * sizeof *names);
    r->ntensors = ntensors;
    r->nbins = nbins;
    r->log_counts = log_counts;
    r->label = xstrdup(label);
}

void report_metrics(report *r, long step, float cost, float acc, double ips)
{
    if (step >= r->steps_room) {
        long room = r->steps_room ? r->steps_room * 2 : 1024;
        while (room <= step)
            room *= 2;
        r->cost = realloc(r->cost, (size_t)room * sizeof *r->cost);
        r->acc = realloc(r->acc, (size_t)room * sizeof *r->acc);
        r->ips = realloc(r->ips, (size_t)room * sizeof *r->ips);
        if (!r->cost || !r->acc || !r->ips)
            die("out of host memory for the metrics of %ld steps", room);
        r->steps_room = room;
    }
    for (long s = r->nsteps; s < step; s++) /* steps never recorded */
        r->cost[s] = r->acc[s] = NAN, r->ips[s] = NAN;
    r->cost[step] = cost, r->acc[step] = acc, r->ips[step] = ips;
    if (step >= r->nsteps)
        r->nsteps = step + 1;
    tb_scalar(r, step, "train/cost", cost);
    tb_scalar(r, step, "train/accuracy", acc);
}

void report_log(report *r, long step, double ips, double lr)
{
    if (step < r->nsteps)
        r->ips[step] = ips;
    tb_scalar(r, step, "train/images_per_second", ips);
    tb_scalar(r, step, "train/learning_rate", lr);
}

void report_test(report *r, long step, double cost, double acc)
{
    tb_scalar(r, step, "test/cost", cost);
    tb_scalar(r, step, "test/accuracy", acc);
}

void report_validation(report *r, long step, float cost, float acc)
{
    if (r->nval == r->val_room) {
        r->val_room = r->val_room ? 2 * r->val_room : 64;
        r->val_step = realloc(r->val_step, (size_t)r->val_room * sizeof *r->val_step);
        r->val_cost = realloc(r->val_cost, (size_t)r->val_room * sizeof *r->val_cost);
        r->val_acc = realloc(r->val_acc, (size_t)r->val_room * sizeof *r->val_acc);
        if (!r->val_step || !r->val_cost || !r->val_acc)
            die("out of host memory for %d validation results", r->val_room);
    }
    r->val_step[r->nval] = step, r->val_cost[r->nval] = cost, r->val_acc[r->nval] = acc;
    r->nval++;
    tb_scalar(r, step, "validation/cost", cost);
    tb_scalar(r, step, "validation/accuracy", acc);
}

/* ---- capture images ---- */

static void stats_line(char *buf, size_t len, const hist_stats *s)
{
    snprintf(buf, len, "count %llu  min %.4g  max %.4g  mean %.4g  std %.4g\n<=0 %.1f%%  "
             "non-finite %llu", (unsigned long long)s->count, s->min, s->max, s->mean, s->std,
             hist_le0_percent(s),
             (unsigned long long)s->nonfinite);
}

static hist_panel panel_of(const report *r, const capture_rec *c, int t, char *title,
                           size_t tlen, char *sub, size_t slen)
{
    const hist_stats *s = &c->stats[t];
    snprintf(title, tlen, "%s  step %ld  %s", r->names[t], c->step, r->label);
    stats_line(sub, slen, s);
    hist_panel p = {title, sub, c->bins + (size_t)t * r->nbins, r->nbins, s->lo, s->hi,
                    s->lo, s->hi, r->log_counts, BAR};
    return p;
}

void report_capture(report *r, long step, const hist_stats *stats, const uint32_t *bins)
{
    if (r->ncaps == r->caps_room) {
        r->caps_room = r->caps_room ? 2 * r->caps_room : 16;
        r->caps = realloc(r->caps, (size_t)r->caps_room * sizeof *r->caps);
        if (!r->caps)
            die("out of host memory for histogram captures");
    }
    capture_rec *c = &r->caps[r->ncaps++];
    c->step = step;
    c->stats = xmalloc((size_t)r->ntensors * sizeof *stats);
    memcpy(c->stats, stats, (size_t)r->ntensors * sizeof *stats);
    c->bins = xmalloc((size_t)r->ntensors * r->nbins * sizeof *bins);
    memcpy(c->bins, bins, (size_t)r->ntensors * r->nbins * sizeof *bins);
    for (int t = 0; t < r->ntensors; t++)
        if (tb_ready(r))
            tb_said(r, tfevents_histogram(&r->tb, step, r->names[t], &stats[t],
                                          bins + (size_t)t * r->nbins, r->nbins));
    if (!r->dir || r->failed)
        return;
    int rows = (r->ntensors + SHEET_COLS - 1) / SHEET_COLS;
    canvas sheet = canvas_new(SHEET_COLS * SHEET_W, rows * SHEET_H);
    char title[128], sub[256], name[128];
    for (int t = 0; t < r->ntensors; t++) {
        hist_panel p = panel_of(r, c, t, title, sizeof title, sub, sizeof sub);
        canvas one = canvas_new(PANEL_W, PANEL_H);
        draw_hist_panel(&one, 0, 0, PANEL_W, PANEL_H, &p);
        snprintf(name, sizeof name, "hist/step%06ld-%s.png", step, r->names[t]);
        write_png(r, name, &one);
        canvas_free(&one);
        draw_hist_panel(&sheet, (t % SHEET_COLS) * SHEET_W, (t / SHEET_COLS) * SHEET_H, SHEET_W,
                        SHEET_H, &p);
    }
    snprintf(name, sizeof name, "hist/step%06ld-sheet.png", step);
    write_png(r, name, &sheet);
    canvas_free(&sheet);
}

/* ---- the end of the run ---- */

static void write_over_time(report *r)
{
    int n = r->ncaps < RIDGE_MAX ? r->ncaps : RIDGE_MAX;
    ridge_slice *s = xmalloc((size_t)(n ? n : 1) * sizeof *s);
    for (int t = 0; t < r->ntensors && n > 0; t++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            const capture_rec *c = &r->caps[n > 1 ? (long)i * (r->ncaps - 1) / (n - 1) : 0];
            const hist_stats *st = &c->stats[t];
            s[i] = (ridge_slice){c->bins + (size_t)t * r->nbins, st->lo, st->hi, c->step};
            lo = fmin(lo, st->lo);
            hi = fmax(hi, st->hi);
        }
        canvas cv = canvas_new(PANEL_W, 200 + 14 * n);
        char title[128], name[128];
        snprintf(title, sizeof title, "%s over %d captured steps  %s", r->names[t], n, r->label);
        draw_ridge(&cv, 0, 0, cv.w, cv.h, title, s, n, r->nbins, lo, hi);
        snprintf(name, sizeof name, "time/%s.png", r->names[t]);
        write_png(r, name, &cv);
        canvas_free(&cv);
    }
    free(s);
}

static void write_metrics_csv(report *r)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        die("out of host memory writing metrics.csv");
    fprintf(f, "step,epoch,cost,accuracy,images_per_s%s\n",
            r->nval ? ",val_cost,val_accuracy" : "");
    int v = 0; /* the next validation pass */
    for (long s = 0; s < r->nsteps; s++) {
        if (isnan(r->cost[s]) && isnan(r->acc[s]))
            continue;
        fprintf(f, "%ld,%ld,%.6g,%.6g,", s, r->steps_per_epoch ? s / r->steps_per_epoch + 1 : 1,
                r->cost[s], r->acc[s]);
        if (!isnan(r->ips[s]))
            fprintf(f, "%.2f", r->ips[s]);
        while (v < r->nval && r->val_step[v] < s)
            v++;
        if (v < r->nval && r->val_step[v] == s)
            fprintf(f, ",%.6g,%.6g", r->val_cost[v], r->val_acc[v]);
        else if (r->nval)
            fputs(",,", f);
        fputc('\n', f);
    }
    fclose(f);
    report_write(r, "metrics.csv", buf, len);
    free(buf);
}

static void write_index(report *r)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        die("out of host memory writing index.html");
    report_html(f, r);
    fclose(f);
    report_write(r, "index.html", buf, len);
    free(buf);
}

const char *report_finish(report *r)
{
    if (!r->dir || r->failed)
        return NULL;
    write_over_time(r);
    write_metrics_csv(r);
    write_index(r);
    static char path[PATH_BUF];
    snprintf(path, sizeof path, "%s/index.html", r->dir);
    return r->failed ? NULL : path;
}

void print_capture_table(FILE *out, char (*names)[32], const hist_stats *s, int n)
{
    fprintf(out, "  %-16s %9s %11s %11s %11s %11s %6s %10s\n", "tensor", "count", "min", "max",
            "mean", "std", "<=0", "non-finite");
    for (int t = 0; t < n; t++)
        fprintf(out, "  %-16s %9llu %11.4g %11.4g %11.4g %11.4g %5.1f%% %10llu\n", names[t],
                (unsigned long long)s[t].count, s[t].min, s[t].max, s[t].mean, s[t].std,
                hist_le0_percent(&s[t]),
                (unsigned long long)s[t].nonfinite);
}
