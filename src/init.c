/* init.c: portable RNG and weight initialisation (formulas in ../shared/docs/SEED.md). */
#include "clnet/init.h"

#include <math.h>
#include <string.h>

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rng_seed(rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(rng_t *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

double rng_normal(rng_t *r)
{
    double u1 = 1.0 - rng_uniform(r); /* (0, 1] */
    double u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t rng_below(rng_t *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
    do
        x = rng_next(r);
    while (x >= limit);
    return x % n;
}

void rng_permute(rng_t *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint64_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static const char *const init_names[] = {"he", "xavier", "normal", "scaled"};

int init_parse(const char *s, init_kind *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, init_names[i]) == 0) {
            *out = (init_kind)i;
            return 0;
        }
    return -1;
}

const char *init_name(init_kind k)
{
    return init_names[k];
}

void init_weights(float *w, size_t count, int fan_in, int fan_out, int is_conv, init_kind kind,
                  double scale, rng_t *r)
{
    if (kind == INIT_HE && !is_conv)
        kind = INIT_XAVIER; /* TF 1.x recipe: He for ReLU convs, Xavier for the final layer */
    double sd = sqrt(1.3 * 2.0 / fan_in), limit = sqrt(6.0 / (fan_in + fan_out));
    for (size_t i = 0; i < count; i++) {
        double v;
        switch (kind) {
        case INIT_HE:
            do
                v = rng_normal(r);
            while (fabs(v) > 2.0);
            v *= sd;
            break;
        case INIT_XAVIER:
            v = (2.0 * rng_uniform(r) - 1.0) * limit;
            break;
        case INIT_NORMAL:
            v = rng_normal(r);
            break;
        default:
            v = rng_normal(r) * scale;
            break;
        }
        w[i] = (float)v;
    }
}
