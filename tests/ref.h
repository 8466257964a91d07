/* ref.h: plain-C reference implementations (direct loops, double accumulation) in the layouts
 * of ops.h, and helpers shared by the suites. */
#ifndef CLNET_TEST_REF_H
#define CLNET_TEST_REF_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "clnet/clrt.h"
#include "clnet/ops.h"

/* The one OpenCL runtime of the test run (opened on first use). */
clrt *test_rt(void);

/* Direct convolution, channel-major (C, n, H, W) in, (K, n, OH, OW) out, W (K, C, KH, KW). */
void ref_conv_forward(float *z, const float *x, const float *w, const float *b, const conv_geom *g,
                      int n);
void ref_maxpool_forward(float *out, const float *in, const pool_geom *g, int n);
void ref_dense_forward(float *z, const float *x, const float *w, const float *b, int n, int F, int K);
/* Per-example loss and probabilities; returns the mean loss. */
double ref_softmax_xent(float *probs, const float *logits, const uint8_t *labels, int n, int K,
                        int *correct);

/* Random floats in [-1, 1). */
void fill_random(float *v, size_t n, uint64_t seed);
/* max |a-b| / max(1, |b|) */
double max_rel_diff(const float *a, const float *b, size_t n);
/* ||a - b|| / (||a|| + ||b||) over n values (0 when both are 0). */
double norm_rel_error(const double *a, const double *b, size_t n);

/* Device helpers. */
cl_mem dev_from(const float *host, size_t n);
cl_mem dev_zeros(size_t n);
void dev_read(cl_mem m, float *host, size_t n);
void dev_write(cl_mem m, const float *host, size_t n);

Suite *suite_ops(void);
Suite *suite_grad(void);
Suite *suite_data(void);
Suite *suite_init(void);
Suite *suite_train(void);
Suite *suite_cli(void);

#endif
