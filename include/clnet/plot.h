/* plot.h: small raster plots for people to read: an RGB canvas, text in stb_easy_font's built-in
 * bitmap font, "nice" axis ticks, histogram panels and a stacked over-time (ridge) view, written
 * as PNG through stb_image_write. No device code here. */
#ifndef CLNET_PLOT_H
#define CLNET_PLOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t r, g, b;
} rgb;

typedef struct {
    int w, h;
    uint8_t *px; /* (h, w, 3) */
} canvas;

canvas canvas_new(int w, int h); /* white */
void canvas_free(canvas *c);
void fill_rect(canvas *c, int x, int y, int w, int h, rgb color);
/* Text with its top-left corner at (x, y); scale multiplies the ~6x9-pixel font. */
void draw_text(canvas *c, int x, int y, const char *s, int scale, rgb color);
int text_width(const char *s, int scale);
/* The canvas encoded as PNG (caller frees; *len bytes). */
uint8_t *canvas_png(const canvas *c, size_t *len);
/* Writes the canvas as a PNG: a temporary file in the same folder, renamed over path, so a
 * reader never sees half an image. Returns 0, or -1 with errno set. */
int canvas_write_png(const canvas *c, const char *path);
/* n images of H x W pixels of C interleaved bytes (1 grey, 3 RGB, 4 RGBA: alpha ignored) in a
 * grid of cols columns, each scaled up by a whole factor to at least 48 pixels a side. */
canvas image_grid(const uint8_t *px, int n, int H, int W, int C, int cols);

/* Formats an axis value so that neighbouring ticks `step` apart are distinguishable. */
void format_tick(char *buf, size_t len, double v, double step);
/* Nice tick step (1, 2 or 5 times a power of ten) for about `want` ticks over [lo, hi]. */
double tick_step(double lo, double hi, int want);

/* One histogram: counts of nbins equal bins over [lo, hi], drawn on the x axis [axis_lo, axis_hi]
 * (bins are re-binned when the axis is not their own range). */
typedef struct {
    const char *title;    /* first line */
    const char *subtitle; /* second line (statistics), may be NULL */
    const uint32_t *bins;
    int nbins;
    double lo, hi;
    double axis_lo, axis_hi;
    int log_counts;       /* y = log10(1 + count) */
    rgb color;
} hist_panel;

void draw_hist_panel(canvas *c, int x, int y, int w, int h, const hist_panel *p);

/* Over-time view: one slice per captured step, oldest at the back (top), each scaled to its own
 * peak, all on the x axis [axis_lo, axis_hi]. */
typedef struct {
    const uint32_t *bins;
    double lo, hi;
    long step;
} ridge_slice;

void draw_ridge(canvas *c, int x, int y, int w, int h, const char *title, const ridge_slice *s,
                int nslices, int nbins, double axis_lo, double axis_hi);

/* Curves over steps 0..n-1 (NaN: a gap), one colour each, with a legend; log_y: log10 axis
 * (values <= 0 left out). */
typedef struct {
    const char *name;
    const float *y;
    long n;
    rgb color;
} curve;

void draw_curves(canvas *c, int x, int y, int w, int h, const char *title, const char *xcaption,
                 const curve *s, int ns, int log_y);

/* Re-bins counts of nbins bins over [lo, hi] into nout bins over [alo, ahi], splitting each bin
 * in proportion to its overlap. */
void rebin(double *out, int nout, double alo, double ahi, const uint32_t *bins, int nbins,
           double lo, double hi);

#endif
