/* init.h: a portable seeded RNG (xoshiro256**, seeded by splitmix64) and the weight
 * initialisations. Weights are drawn on the host, so one seed gives bit-identical weights on
 * every device. */
#ifndef CLNET_INIT_H
#define CLNET_INIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng_t;

void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
double rng_uniform(rng_t *r);          /* [0, 1) with 53 random bits */
double rng_normal(rng_t *r);           /* N(0, 1), Box-Muller */
uint64_t rng_below(rng_t *r, uint64_t n); /* uniform in [0, n), unbiased */
void rng_permute(rng_t *r, int *a, int n); /* Fisher-Yates */

typedef enum { INIT_HE, INIT_XAVIER, INIT_NORMAL, INIT_SCALED } init_kind;

/* Parses "he", "xavier", "normal", "scaled"; returns -1 for anything else. */
int init_parse(const char *s, init_kind *out);
const char *init_name(init_kind k);

/* Fills w (count floats) for a layer with the given fans (conv: KH*KW*C and KH*KW*K; fc: F and
 * K). he: conv layers He truncated normal (stddev sqrt(1.3*2/fan_in), cut at 2 stddev), fc
 * layers Xavier uniform; xavier: U(-l, l), l = sqrt(6/(fan_in+fan_out)); normal: N(0,1);
 * scaled: N(0,1) * scale. */
void init_weights(float *w, size_t count, int fan_in, int fan_out, int is_conv, init_kind kind,
                  double scale, rng_t *r);

#endif
