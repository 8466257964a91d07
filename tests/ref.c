/* ref.c: plain-C references and helpers for the test suites. */
#include "ref.h"

#include <math.h>
#include <stdlib.h>

#include "clnet/init.h"
#include "clnet/util.h"

static clrt rt_storage;
static int rt_open;

clrt *test_rt(void)
{
    if (!rt_open) {
        clrt_open(&rt_storage, NULL, NULL);
        rt_open = 1;
    }
    return &rt_storage;
}

void ref_conv_forward(float *z, const float *x, const float *w, const float *b, const conv_geom *g,
                      int n)
{
    for (int k = 0; k < g->K; k++)
        for (int bi = 0; bi < n; bi++)
            for (int oy = 0; oy < g->OH; oy++)
                for (int ox = 0; ox < g->OW; ox++) {
                    double s = b[k];
                    for (int c = 0; c < g->C; c++)
                        for (int ky = 0; ky < g->KH; ky++)
                            for (int kx = 0; kx < g->KW; kx++) {
                                int y = oy * g->stride - g->pad + ky;
                                int xx = ox * g->stride - g->pad + kx;
                                if (y < 0 || y >= g->H || xx < 0 || xx >= g->W)
                                    continue;
                                s += (double)w[((k * g->C + c) * g->KH + ky) * g->KW + kx] *
                                     x[((c * n + bi) * g->H + y) * g->W + xx];
                            }
                    z[((k * n + bi) * g->OH + oy) * g->OW + ox] = (float)s;
                }
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

double ref_softmax_xent(float *probs, const float *logits, const uint8_t *labels, int n, int K,
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

void fill_random(float *v, size_t n, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(2.0 * rng_uniform(&r) - 1.0);
}

double max_rel_diff(const float *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / fmax(1.0, fabs(b[i]));
        if (!(d <= worst))
            worst = d; /* NaN counts as worst */
    }
    return worst;
}

double norm_rel_error(const double *a, const double *b, size_t n)
{
    double diff = 0, na = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        diff += (a[i] - b[i]) * (a[i] - b[i]);
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    if (na == 0 && nb == 0)
        return 0;
    return sqrt(diff) / (sqrt(na) + sqrt(nb));
}

cl_mem dev_from(const float *host, size_t n)
{
    cl_mem m = clrt_buffer(test_rt(), n * sizeof(float), "test");
    dev_write(m, host, n);
    return m;
}

cl_mem dev_zeros(size_t n)
{
    cl_mem m = clrt_buffer(test_rt(), n * sizeof(float), "test");
    clrt_fill_zero(test_rt(), m, n * sizeof(float));
    return m;
}

void dev_read(cl_mem m, float *host, size_t n)
{
    clrt_download(test_rt(), m, 0, n * sizeof(float), host);
}

void dev_write(cl_mem m, const float *host, size_t n)
{
    clrt_upload(test_rt(), m, 0, n * sizeof(float), host);
}
