/* plot.c: canvas, text, ticks, histogram panels and the over-time view; PNG output. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clnet/files.h"
#include "clnet/util.h"

#include <zlib.h>

/* zlib (linked anyway, for .gz data) compresses several times faster than stb's own deflate. */
static unsigned char *zlib_deflate(unsigned char *data, int len, int *out_len, int quality)
{
    (void)quality;
    uLongf n = compressBound((uLong)len);
    unsigned char *out = malloc(n);
    if (!out || compress2(out, &n, data, (uLong)len, Z_BEST_SPEED) != Z_OK) {
        free(out);
        return NULL;
    }
    *out_len = (int)n;
    return out;
}

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#define STBIW_ZLIB_COMPRESS zlib_deflate
#include "stb_image_write.h"
#include "stb_easy_font.h"

static const rgb INK = {40, 40, 40}, GRID = {225, 225, 225}, AXIS = {90, 90, 90};

canvas canvas_new(int w, int h)
{
    canvas c = {w, h, xmalloc((size_t)w * h * 3)};
    memset(c.px, 255, (size_t)w * h * 3);
    return c;
}

canvas image_grid(const uint8_t *px, int n, int H, int W, int C, int cols)
{
    int side = H > W ? H : W, z = side >= 48 ? 1 : (48 + side - 1) / side, gap = 4;
    int rows = (n + cols - 1) / cols;
    canvas c = canvas_new(cols * (W * z + gap) + gap, rows * (H * z + gap) + gap);
    for (int i = 0; i < n; i++) {
        int x0 = gap + (i % cols) * (W * z + gap), y0 = gap + (i / cols) * (H * z + gap);
        const uint8_t *img = px + (size_t)i * H * W * C;
        for (int y = 0; y < H * z; y++)
            for (int x = 0; x < W * z; x++) {
                const uint8_t *p = img + ((size_t)(y / z) * W + x / z) * C;
                uint8_t *q = c.px + ((size_t)(y0 + y) * c.w + x0 + x) * 3;
                q[0] = p[0], q[1] = p[C >= 3 ? 1 : 0], q[2] = p[C >= 3 ? 2 : 0];
            }
    }
    return c;
}

void canvas_free(canvas *c)
{
    free(c->px);
    c->px = NULL;
}

void fill_rect(canvas *c, int x, int y, int w, int h, rgb color)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > c->w ? c->w : x + w, y1 = y + h > c->h ? c->h : y + h;
    for (int j = y0; j < y1; j++)
        for (int i = x0; i < x1; i++) {
            uint8_t *p = c->px + ((size_t)j * c->w + i) * 3;
            p[0] = color.r, p[1] = color.g, p[2] = color.b;
        }
}

/* stb_easy_font takes a mutable string; texts here are short. */
static void copy_text(char *buf, size_t len, const char *s)
{
    snprintf(buf, len, "%s", s);
}

void draw_text(canvas *c, int x, int y, const char *s, int scale, rgb color)
{
    char text[512];
    static float quads[40000]; /* 4 vertices of 4 floats per quad; ~270 bytes per character */
    copy_text(text, sizeof text, s);
    int n = stb_easy_font_print(0, 0, text, NULL, quads, sizeof quads);
    for (int q = 0; q < n; q++) {
        const float *v = quads + q * 16; /* vertices 0 and 2 are opposite corners */
        int qx = (int)v[0], qy = (int)v[1], qw = (int)v[8] - qx, qh = (int)v[9] - qy;
        fill_rect(c, x + qx * scale, y + qy * scale, qw * scale, qh * scale, color);
    }
}

int text_width(const char *s, int scale)
{
    char text[512];
    copy_text(text, sizeof text, s);
    return stb_easy_font_width(text) * scale;
}

/* ---- PNG ---- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} membuf;

static void membuf_write(void *ctx, void *data, int size)
{
    membuf *m = ctx;
    if (m->len + (size_t)size > m->cap) {
        size_t cap = (m->cap + (size_t)size) * 2;
        uint8_t *p = realloc(m->data, cap);
        if (!p) {
            m->failed = 1;
            return;
        }
        m->data = p, m->cap = cap;
    }
    memcpy(m->data + m->len, data, (size_t)size);
    m->len += (size_t)size;
}

uint8_t *canvas_png(const canvas *c, size_t *len)
{
    membuf m = {NULL, 0, 0, 0};
    stbi_write_force_png_filter = 1; /* "sub": flat plots need no per-row filter search */
    if (!stbi_write_png_to_func(membuf_write, &m, c->w, c->h, 3, c->px, c->w * 3) || m.failed)
        die("out of host memory encoding a %dx%d PNG", c->w, c->h);
    *len = m.len;
    return m.data;
}

int canvas_write_png(const canvas *c, const char *path)
{
    size_t len;
    uint8_t *png = canvas_png(c, &len);
    int st = write_file_atomic(path, png, len, 0);
    free(png);
    return st;
}

/* ---- ticks ---- */

double tick_step(double lo, double hi, int want)
{
    double raw = (hi - lo) / (want > 1 ? want : 1);
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

void format_tick(char *buf, size_t len, double v, double step)
{
    if (fabs(v) < step * 1e-6) {
        snprintf(buf, len, "%s", step >= 1 || step < 1e-3 ? "0" : "0.0");
        return;
    }
    double big = fmax(fabs(v), step);
    if (big >= 1e6 || (step < 1e-3 && v != 0)) {
        int digits = (int)fmax(0, floor(log10(big)) - floor(log10(step)));
        snprintf(buf, len, "%.*e", digits > 6 ? 6 : digits, v);
    } else {
        int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        snprintf(buf, len, "%.*f", dec, v);
    }
}

/* ---- histograms ---- */

void rebin(double *out, int nout, double alo, double ahi, const uint32_t *bins, int nbins,
           double lo, double hi)
{
    for (int j = 0; j < nout; j++)
        out[j] = 0;
    if (alo == lo && ahi == hi && nout == nbins) {
        for (int j = 0; j < nout; j++)
            out[j] = bins[j];
        return;
    }
    double bw = (hi - lo) / nbins, ow = (ahi - alo) / nout;
    for (int b = 0; b < nbins; b++) {
        if (!bins[b])
            continue;
        double s0 = lo + b * bw, s1 = s0 + bw;
        int j0 = (int)floor((s0 - alo) / ow), j1 = (int)floor((s1 - alo) / ow);
        j0 = j0 < 0 ? 0 : j0 >= nout ? nout - 1 : j0;
        j1 = j1 < 0 ? 0 : j1 >= nout ? nout - 1 : j1;
        for (int j = j0; j <= j1; j++) {
            double o0 = fmax(s0, alo + j * ow), o1 = fmin(s1, alo + (j + 1) * ow);
            double frac = j0 == j1 ? 1.0 : fmax(0.0, o1 - o0) / bw;
            out[j] += bins[b] * frac;
        }
    }
}

typedef struct {
    int x, y, w, h; /* plot area */
} area;

static int value_x(const area *a, double v, double alo, double ahi)
{
    return a->x + (int)lround((v - alo) / (ahi - alo) * (a->w - 1));
}

/* x ticks with their labels below the area, and a caption naming the range. */
static void draw_x_axis(canvas *c, const area *a, double alo, double ahi, const char *caption)
{
    double step = tick_step(alo, ahi, a->w / 110);
    char buf[64];
    for (double k = ceil(alo / step); k * step <= ahi + step * 1e-9; k += 1) {
        double t = k * step;
        int px = value_x(a, t, alo, ahi);
        fill_rect(c, px, a->y, 1, a->h, GRID);
        fill_rect(c, px, a->y + a->h, 1, 5, AXIS);
        format_tick(buf, sizeof buf, t, step);
        draw_text(c, px - text_width(buf, 1) / 2, a->y + a->h + 8, buf, 1, INK);
    }
    fill_rect(c, a->x, a->y + a->h, a->w, 1, AXIS);
    draw_text(c, a->x + a->w / 2 - text_width(caption, 1) / 2, a->y + a->h + 22, caption, 1, INK);
}

/* y ticks (counts, or log10(1 + count) when log) left of the area, top value ymax. */
static void draw_y_axis(canvas *c, const area *a, double ymax, int log)
{
    char buf[64];
    fill_rect(c, a->x - 1, a->y, 1, a->h + 1, AXIS);
    if (log) {
        for (double k = 0; k <= ymax + 1e-9; k += 1) {
            int py = a->y + a->h - (int)lround(k / ymax * a->h);
            snprintf(buf, sizeof buf, "%.0f", pow(10, k));
            fill_rect(c, a->x, py, a->w, 1, GRID);
            draw_text(c, a->x - 6 - text_width(buf, 1), py - 4, buf, 1, INK);
        }
        return;
    }
    double step = tick_step(0, ymax, a->h / 40);
    for (double k = 0; k * step <= ymax + step * 1e-9; k += 1) {
        double t = k * step;
        int py = a->y + a->h - (int)lround(t / ymax * a->h);
        snprintf(buf, sizeof buf, "%.0f", t);
        fill_rect(c, a->x, py, a->w, 1, GRID);
        draw_text(c, a->x - 6 - text_width(buf, 1), py - 4, buf, 1, INK);
    }
}

void draw_hist_panel(canvas *c, int x, int y, int w, int h, const hist_panel *p)
{
    draw_text(c, x + 8, y + 6, p->title, 2, INK);
    if (p->subtitle)
        draw_text(c, x + 8, y + 28, p->subtitle, 1, INK);
    area a = {x + 70, y + 58, w - 90, h - 58 - 40};
    if (a.w < 20 || a.h < 20)
        return;
    int nout = p->nbins;
    double *v = xmalloc((size_t)nout * sizeof *v), ymax = 0;
    rebin(v, nout, p->axis_lo, p->axis_hi, p->bins, p->nbins, p->lo, p->hi);
    for (int j = 0; j < nout; j++) {
        v[j] = p->log_counts ? log10(1 + v[j]) : v[j];
        ymax = fmax(ymax, v[j]);
    }
    ymax = p->log_counts ? fmax(1, ceil(ymax)) : fmax(1, ymax * 1.05);
    draw_y_axis(c, &a, ymax, p->log_counts);
    char cap[160];
    snprintf(cap, sizeof cap, "value   (histogram range %.4g .. %.4g, %d bins; y: %s)", p->lo, p->hi, p->nbins,
             p->log_counts ? "log count" : "count per bin");
    draw_x_axis(c, &a, p->axis_lo, p->axis_hi, cap);
    for (int j = 0; j < nout; j++) {
        int x0 = a.x + (int)((double)j * a.w / nout), x1 = a.x + (int)((double)(j + 1) * a.w / nout);
        int bh = (int)lround(v[j] / ymax * a.h);
        if (v[j] > 0 && bh < 1)
            bh = 1;
        fill_rect(c, x0, a.y + a.h - bh, x1 - x0 > 2 ? x1 - x0 - 1 : 1, bh, p->color);
    }
    free(v);
}

/* ---- over time ---- */

static rgb slice_color(int i, int n)
{
    double t = n > 1 ? (double)i / (n - 1) : 1; /* 0 oldest .. 1 newest */
    return (rgb){(uint8_t)(250 - 20 * t), (uint8_t)(200 - 110 * t), (uint8_t)(150 - 130 * t)};
}

void draw_ridge(canvas *c, int x, int y, int w, int h, const char *title, const ridge_slice *s,
                int nslices, int nbins, double axis_lo, double axis_hi)
{
    draw_text(c, x + 8, y + 6, title, 2, INK);
    area a = {x + 20, y + 34, w - 110, h - 34 - 40};
    int hs = a.h / 2 < 80 ? a.h / 2 : 80; /* height of one slice's peak */
    double off = nslices > 1 ? (double)(a.h - hs) / (nslices - 1) : 0;
    int label_every = off > 0 ? (int)ceil(12.0 / off) : 1;
    int nout = a.w / 2;
    double *v = xmalloc((size_t)nout * sizeof *v);
    char cap[160];
    snprintf(cap, sizeof cap, "value   (range %.4g .. %.4g over all steps; each slice scaled to "
             "its peak; oldest at the back)", axis_lo, axis_hi);
    draw_x_axis(c, &a, axis_lo, axis_hi, cap);
    for (int i = 0; i < nslices; i++) {
        int base = a.y + hs + (int)lround(i * off);
        rebin(v, nout, axis_lo, axis_hi, s[i].bins, nbins, s[i].lo, s[i].hi);
        double peak = 0;
        for (int j = 0; j < nout; j++)
            peak = fmax(peak, v[j]);
        rgb col = slice_color(i, nslices), edge = {col.r / 2, col.g / 2, col.b / 2};
        for (int j = 0; j < nout; j++) {
            int bh = peak > 0 ? (int)lround(v[j] / peak * hs) : 0;
            int x0 = a.x + (int)((double)j * a.w / nout), x1 = a.x + (int)((double)(j + 1) * a.w / nout);
            fill_rect(c, x0, base - bh, x1 - x0, bh, col);
            fill_rect(c, x0, base - bh - 1, x1 - x0, 1, edge);
        }
        fill_rect(c, a.x, base, a.w, 1, edge);
        if (i % label_every == 0 || i == nslices - 1) {
            char buf[32];
            snprintf(buf, sizeof buf, "step %ld", s[i].step);
            draw_text(c, a.x + a.w + 6, base - 5, buf, 1, INK);
        }
    }
    free(v);
}

/* ---- curves ---- */

static void draw_dot(canvas *c, int x, int y, rgb color)
{
    fill_rect(c, x - 1, y - 1, 2, 2, color);
}

/* A 2-pixel line from (x0, y0) to (x1, y1) (Bresenham). */
static void draw_line(canvas *c, int x0, int y0, int x1, int y1, rgb color)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    for (int e = dx + dy;;) {
        draw_dot(c, x0, y0, color);
        if (x0 == x1 && y0 == y1)
            return;
        int e2 = 2 * e;
        if (e2 >= dy)
            e += dy, x0 += sx;
        if (e2 <= dx)
            e += dx, y0 += sy;
    }
}

/* The y range of the finite values (of log10 values when log_y); 0 when there are none. */
static int curve_range(const curve *s, int ns, int log_y, double *lo, double *hi, long *n)
{
    *lo = INFINITY, *hi = -INFINITY, *n = 1;
    for (int i = 0; i < ns; i++)
        for (long j = 0; j < s[i].n; j++) {
            double v = s[i].y[j];
            if (log_y)
                v = v > 0 ? log10(v) : NAN;
            if (!isfinite(v))
                continue;
            *lo = fmin(*lo, v), *hi = fmax(*hi, v);
            *n = j + 1 > *n ? j + 1 : *n;
        }
    if (!(*lo <= *hi))
        return 0;
    if (*hi - *lo < 1e-12)
        *lo -= 0.5, *hi += 0.5;
    return 1;
}

static void draw_value_axis(canvas *c, const area *a, double lo, double hi, int log_y)
{
    char buf[64];
    fill_rect(c, a->x - 1, a->y, 1, a->h + 1, AXIS);
    double step = log_y ? fmax(1, tick_step(lo, hi, a->h / 40)) : tick_step(lo, hi, a->h / 40);
    for (double k = ceil(lo / step); k * step <= hi + step * 1e-9; k += 1) {
        double t = k * step;
        int py = a->y + a->h - (int)lround((t - lo) / (hi - lo) * a->h);
        if (log_y)
            snprintf(buf, sizeof buf, "%g", pow(10, t));
        else
            format_tick(buf, sizeof buf, t, step);
        fill_rect(c, a->x, py, a->w, 1, GRID);
        draw_text(c, a->x - 6 - text_width(buf, 1), py - 4, buf, 1, INK);
    }
}

void draw_curves(canvas *c, int x, int y, int w, int h, const char *title, const char *xcaption,
                 const curve *s, int ns, int log_y)
{
    draw_text(c, x + 8, y + 6, title, 2, INK);
    area a = {x + 70, y + 34, w - 90, h - 34 - 40};
    double lo, hi;
    long n;
    if (a.w < 20 || a.h < 20 || !curve_range(s, ns, log_y, &lo, &hi, &n))
        return;
    double pad = (hi - lo) * 0.04;
    lo -= pad, hi += pad;
    draw_value_axis(c, &a, lo, hi, log_y);
    draw_x_axis(c, &a, 0, (double)(n > 1 ? n - 1 : 1), xcaption);
    for (int i = 0; i < ns; i++) {
        int have = 0, px = 0, py = 0;
        for (long j = 0; j < s[i].n; j++) {
            double v = log_y ? (s[i].y[j] > 0 ? log10(s[i].y[j]) : NAN) : s[i].y[j];
            if (!isfinite(v)) {
                have = 0;
                continue;
            }
            int qx = value_x(&a, (double)j, 0, (double)(n > 1 ? n - 1 : 1));
            int qy = a.y + a.h - (int)lround((v - lo) / (hi - lo) * a.h);
            if (have)
                draw_line(c, px, py, qx, qy, s[i].color);
            else
                draw_dot(c, qx, qy, s[i].color);
            have = 1, px = qx, py = qy;
        }
        int ly = a.y + 8 + 14 * i, lx = a.x + a.w - 150;
        fill_rect(c, lx, ly + 3, 18, 3, s[i].color);
        draw_text(c, lx + 24, ly, s[i].name, 1, INK);
    }
}
