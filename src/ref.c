/* ref.c: plain-C reference implementations (direct loops, double accumulation) in the layouts
 * of ops.h. The tests and `clnet bench` validate every kernel against these. */
#include "clnet/ref.h"

#include <math.h>

/* Input pixel (c, b, y, x) that filter tap (ky, kx) of output (oy, ox) sees; -1 in the padding. */
static long tap(const conv_geom *g, int n, int c, int b, int oy, int ox, int ky, int kx)
{
    int y = oy * g->stride - g->pad + ky, x = ox * g->stride - g->pad + kx;
    if (y < 0 || y >= g->H || x < 0 || x >= g->W)
        return -1;
    return (((long)c * n + b) * g->H + y) * g->W + x;
}

static size_t widx(const conv_geom *g, int k, int c, int ky, int kx)
{
    return (((size_t)k * g->C + c) * g->KH + ky) * g->KW + kx;
}

static size_t zidx(const conv_geom *g, int n, int k, int b, int oy, int ox)
{
    return (((size_t)k * n + b) * g->OH + oy) * g->OW + ox;
}

double ref_conv_out(const float *x, const float *w, const float *b, const conv_geom *g, int n,
                    int k, int bi, int oy, int ox)
{
    double s = b[k];
    for (int c = 0; c < g->C; c++)
        for (int ky = 0; ky < g->KH; ky++)
            for (int kx = 0; kx < g->KW; kx++) {
                long i = tap(g, n, c, bi, oy, ox, ky, kx);
                if (i >= 0)
                    s += (double)w[widx(g, k, c, ky, kx)] * x[i];
            }
    return s;
}

double ref_conv_dx(const float *dz, const float *w, const conv_geom *g, int n, int c, int bi, int y,
                   int x)
{
    double s = 0;
    for (int k = 0; k < g->K; k++)
        for (int ky = 0; ky < g->KH; ky++)
            for (int kx = 0; kx < g->KW; kx++) {
                int ty = y + g->pad - ky, tx = x + g->pad - kx;
                if (ty < 0 || tx < 0 || ty % g->stride || tx % g->stride)
                    continue;
                int oy = ty / g->stride, ox = tx / g->stride;
                if (oy < g->OH && ox < g->OW)
                    s += (double)w[widx(g, k, c, ky, kx)] * dz[zidx(g, n, k, bi, oy, ox)];
            }
    return s;
}

double ref_conv_dw(const float *dz, const float *x, const conv_geom *g, int n, int k, int c, int ky,
                   int kx)
{
    double s = 0;
    for (int bi = 0; bi < n; bi++)
        for (int oy = 0; oy < g->OH; oy++)
            for (int ox = 0; ox < g->OW; ox++) {
                long i = tap(g, n, c, bi, oy, ox, ky, kx);
                if (i >= 0)
                    s += (double)dz[zidx(g, n, k, bi, oy, ox)] * x[i];
            }
    return s;
}

double ref_conv_db(const float *dz, const conv_geom *g, int n, int k)
{
    double s = 0;
    for (size_t i = 0; i < (size_t)n * g->OH * g->OW; i++)
        s += dz[(size_t)k * n * g->OH * g->OW + i];
    return s;
}

void ref_conv_forward(float *z, const float *x, const float *w, const float *b, const conv_geom *g,
                      int n)
{
    for (int k = 0; k < g->K; k++)
        for (int bi = 0; bi < n; bi++)
            for (int oy = 0; oy < g->OH; oy++)
                for (int ox = 0; ox < g->OW; ox++)
                    z[zidx(g, n, k, bi, oy, ox)] = (float)ref_conv_out(x, w, b, g, n, k, bi, oy, ox);
}

void ref_maxpool_forward(float *out, const float *in, const pool_geom *g, int n)
{
    for (int p = 0; p < g->C * n; p++)
        for (int oy = 0; oy < g->OH; oy++)
            for (int ox = 0; ox < g->OW; ox++) {
                float m = -INFINITY;
                for (int ky = 0; ky < g->size; ky++)
                    for (int kx = 0; kx < g->size; kx++) {
                        float v = in[(p * g->H + oy * g->stride + ky) * g->W + ox * g->stride + kx];
                        m = v > m ? v : m;
                    }
                out[(p * g->OH + oy) * g->OW + ox] = m;
            }
}

void ref_avgpool_forward(float *out, const float *in, const pool_geom *g, int n)
{
    for (int p = 0; p < g->C * n; p++)
        for (int oy = 0; oy < g->OH; oy++)
            for (int ox = 0; ox < g->OW; ox++) {
                double s = 0;
                for (int ky = 0; ky < g->size; ky++)
                    for (int kx = 0; kx < g->size; kx++)
                        s += in[(p * g->H + oy * g->stride + ky) * g->W + ox * g->stride + kx];
                out[(p * g->OH + oy) * g->OW + ox] = (float)(s / (g->size * g->size));
            }
}

void ref_pad_forward(float *out, const float *in, int planes, int H, int W, int OH, int OW,
                     int top, int left)
{
    for (int p = 0; p < planes; p++)
        for (int y = 0; y < OH; y++)
            for (int x = 0; x < OW; x++) {
                int iy = y - top, ix = x - left;
                out[((size_t)p * OH + y) * OW + x] =
                    iy >= 0 && iy < H && ix >= 0 && ix < W ? in[((size_t)p * H + iy) * W + ix] : 0;
            }
}

void ref_avgpool_backward(float *din, const float *dout, const pool_geom *g, int n)
{
    size_t planes = (size_t)g->C * n, in = (size_t)g->H * g->W;
    for (size_t i = 0; i < planes * in; i++)
        din[i] = 0;
    float scale = 1.0f / (float)(g->size * g->size);
    for (size_t p = 0; p < planes; p++)
        for (int oy = 0; oy < g->OH; oy++)
            for (int ox = 0; ox < g->OW; ox++)
                for (int dy = 0; dy < g->size; dy++)
                    for (int dx = 0; dx < g->size; dx++)
                        din[p * in + (size_t)(oy * g->stride + dy) * g->W + ox * g->stride + dx] +=
                            dout[(p * g->OH + oy) * g->OW + ox] * scale;
}

void ref_pad_backward(float *din, const float *dout, int planes, int H, int W, int OH, int OW,
                      int top, int left)
{
    for (int p = 0; p < planes; p++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                din[((size_t)p * H + y) * W + x] =
                    dout[((size_t)p * OH + top + y) * OW + left + x];
}

void ref_dense_forward(float *z, const float *x, const float *w, const float *b, int n, int F, int K)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < K; k++) {
            double s = b[k];
            for (int f = 0; f < F; f++)
                s += (double)x[i * F + f] * w[f * K + k];
            z[i * K + k] = (float)s;
        }
}

void ref_dense_backward(double *dw, double *db, double *dx, const float *x, const float *dz,
                        const float *w, int n, int F, int K)
{
    for (int f = 0; f < F; f++)
        for (int k = 0; k < K; k++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += (double)x[(size_t)i * F + f] * dz[(size_t)i * K + k];
            dw[(size_t)f * K + k] = s;
        }
    for (int k = 0; k < K; k++) {
        double s = 0;
        for (int i = 0; i < n; i++)
            s += dz[(size_t)i * K + k];
        db[k] = s;
    }
    for (int i = 0; i < n; i++)
        for (int f = 0; f < F; f++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)dz[(size_t)i * K + k] * w[(size_t)f * K + k];
            dx[(size_t)i * F + f] = s;
        }
}

void ref_relu_forward(float *a, const float *z, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = z[i] < 0 ? 0 : z[i];
}

void ref_relu_backward(float *d, const float *z, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(z[i] > 0))
            d[i] = 0;
}

void ref_maxpool_backward(float *din, const float *dout, const int *arg, size_t nout, size_t nin)
{
    for (size_t i = 0; i < nin; i++)
        din[i] = 0;
    for (size_t o = 0; o < nout; o++)
        din[arg[o]] += dout[o];
}

void ref_optim_update(double *p, double *m, double *v, const float *g, const float *decay,
                      const optim_hparams *h, double lr, long t, size_t n)
{
    double lr_t = optim_step_lr(h, lr, t);
    for (size_t i = 0; i < n; i++) {
        double gi = g[i] + (double)h->weight_decay * decay[i] * p[i];
        if (h->kind == OPT_SGD) {
            p[i] -= lr * gi;
        } else if (h->kind == OPT_MOMENTUM) {
            m[i] = (double)h->momentum * m[i] + gi;
            p[i] -= lr * m[i];
        } else {
            m[i] = (double)h->beta1 * m[i] + (1 - (double)h->beta1) * gi;
            v[i] = (double)h->beta2 * v[i] + (1 - (double)h->beta2) * gi * gi;
            p[i] -= lr_t * m[i] / (sqrt(v[i]) + h->eps);
        }
    }
}

double ref_softmax_xent(float *probs, const float *logits, const uint16_t *labels, int n, int K,
                        int *correct)
{
    double total = 0;
    *correct = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + i * K;
        double m = z[0], s = 0;
        int arg = 0;
        for (int k = 1; k < K; k++)
            if (z[k] > m)
                m = z[k], arg = k;
        for (int k = 0; k < K; k++)
            s += exp(z[k] - m);
        for (int k = 0; k < K; k++)
            probs[i * K + k] = (float)(exp(z[k] - m) / s);
        total += log(s) - (z[labels[i]] - m);
        *correct += arg == labels[i];
    }
    return total / n;
}

void ref_hist_stats(hist_stats *s, const float *x, size_t n)
{
    double sum = 0, sq = 0;
    s->count = s->le0 = s->nonfinite = 0;
    s->min = INFINITY, s->max = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            s->nonfinite++;
            continue;
        }
        s->count++;
        s->le0 += x[i] <= 0.0f;
        s->min = fmin(s->min, x[i]);
        s->max = fmax(s->max, x[i]);
        sum += x[i];
    }
    s->mean = s->count ? sum / (double)s->count : 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            sq += (x[i] - s->mean) * (x[i] - s->mean);
    s->std = s->count ? sqrt(sq / (double)s->count) : 0;
    if (!s->count)
        s->min = s->max = 0;
}

void ref_hist_bins(uint32_t *bins, const float *x, size_t n, float lo, float scale, int nbins)
{
    for (int b = 0; b < nbins; b++)
        bins[b] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        volatile float f = (x[i] - lo) * scale; /* one float rounding, as on the device */
        int b = !(f > 0.0f) ? 0 : f >= (float)(nbins - 1) ? nbins - 1 : (int)f;
        bins[b]++;
    }
}
