/* helpers.c (tests): what the suites share (helpers.h). */
#include "helpers.h"

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
