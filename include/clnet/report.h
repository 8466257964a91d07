/* report.h: a run's output folder: per-step histogram images and summary sheets, over-time
 * images, metrics.csv and an index.html that shows them all, openable from disk (no server, no
 * network). Also the terminal table of a capture. Every file is written through a temporary file
 * and a rename; after the first failed write nothing more is written and the run goes on. */
#ifndef CLNET_REPORT_H
#define CLNET_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "clnet/plot.h"
#include "clnet/stats.h"
#include "clnet/tfevents.h"

typedef struct {
    long step;
    hist_stats *stats; /* ntensors */
    uint32_t *bins;    /* ntensors * nbins */
} capture_rec;

typedef struct {
    char *dir;             /* NULL: no output */
    int failed;            /* a write failed: say so once, write nothing more */
    char *label;           /* e.g. "init he", in every image title */
    int log_counts;
    int ntensors, nbins;
    char (*names)[32];
    capture_rec *caps;
    int ncaps, caps_room;
    long nsteps;           /* metrics recorded so far: steps 0 .. nsteps-1 */
    long steps_room, steps_per_epoch;
    float *cost, *acc;     /* training batch cost and accuracy (fraction) per step */
    double *ips;           /* images/s of the log interval ending at this step, else NaN */
    long *val_step;        /* validation passes: after which step, cost, accuracy (fraction) */
    float *val_cost, *val_acc;
    int nval, val_room;
    char *settings;        /* "key\tvalue\n" lines (control characters of a value escaped) */
    char *results;         /* the run's outcome, one or more lines */
    char *figures;         /* "file\ttitle\n" lines: report_figure's images, in order */
    int lock;              /* the folder's lock (files.h), -1 without one */
    tfevents tb;           /* the TensorBoard event file (report_tensorboard; tb.open 0: none) */
    int tb_settings;       /* the settings' text summary is written */
    int tb_told;           /* its failure was said */
} report;

/* dir NULL: runs/<date-time> (a new folder); otherwise dir is created if missing and must be
 * empty if it exists, so nothing already there is overwritten. The run holds the folder's lock
 * (dir/.clnet.lock) until report_close: a second run on it is refused naming the first's pid.
 * Returns 0, or -1 with a one-line reason in err. */
int report_open(report *r, const char *dir, char *err, size_t errlen);
/* The pid of another clnet run whose output folder is a folder above path (its name into owner),
 * 0 if there is none: a run writes nothing into another's folder. */
long output_owner(const char *path, char *owner, size_t len);
/* What output_dir would refuse, checked without creating anything (dir NULL: nothing to check):
 * 0, or -1 with a one-line reason in err. */
int output_dir_check(const char *dir, char *err, size_t errlen);
/* The folder part of report_open: creates it (or runs/<date-time>) and takes its lock into
 * *lock_fd; returns its path (caller frees), or NULL with a one-line reason in err. */
char *output_dir(const char *dir, int *lock_fd, char *err, size_t errlen);
/* Gives up the lock output_dir took. */
void output_dir_release(const char *dir, int lock_fd);
void report_close(report *r);
void report_setting(report *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void report_result(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_tensors(report *r, char (*names)[32], int ntensors, int nbins, int log_counts,
                    const char *label);

/* Writes c as name (a PNG in the folder) and shows it, with its title, in index.html. */
void report_figure(report *r, const char *name, const char *title, const canvas *c);
/* Records step's training batch cost and accuracy (ips: NaN unless measured at this step). */
void report_metrics(report *r, long step, float cost, float acc, double ips);
/* Records a validation pass after step (steps in increasing order). */
void report_validation(report *r, long step, float cost, float acc);
/* Keeps a capture and writes its images (one per tensor and a summary sheet). */
void report_capture(report *r, long step, const hist_stats *stats, const uint32_t *bins);
/* Starts the run's TensorBoard event file in its folder; from then on every metric, log line,
 * validation, test result and capture also goes there as it is recorded (scalars train/cost,
 * train/accuracy, train/learning_rate, train/images_per_second, validation/..., test/...;
 * a histogram per capture tensor; the settings as text). A failure is said once on stderr
 * (report_tensorboard_failed then says so) and training goes on. */
void report_tensorboard(report *r);
int report_tensorboard_failed(const report *r);
/* A log line's figures at step: images/s of the interval ending there and the learning rate. */
void report_log(report *r, long step, double ips, double lr);
/* The test pass after step: cost and accuracy (fraction). */
void report_test(report *r, long step, double cost, double acc);
/* Writes the over-time images, metrics.csv and index.html. Returns the index path or NULL. */
const char *report_finish(report *r);

/* The next "key\tvalue\n" line of *p (the settings, the figures): its two parts, *p moved
 * past it; 0 at the end (or at a line that is not one). */
int report_next_pair(const char **p, const char **key, size_t *klen, const char **val,
                     size_t *vlen);
/* report_html.c: index.html of everything recorded, written into f (report_finish stores it). */
void report_html(FILE *f, const report *r);
/* Writes s (or its first n bytes) into f with <, >, & and " escaped. */
void html_escape(FILE *f, const char *s);
void html_escape_n(FILE *f, const char *s, size_t n);

/* The terminal table of one capture, one row per tensor in network order. */
void print_capture_table(FILE *out, char (*names)[32], const hist_stats *s, int n);
/* Writes path (relative to r->dir) through a temporary file; marks r failed on error. */
int report_write(report *r, const char *name, const void *data, size_t len);

#endif
