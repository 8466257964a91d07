/* helpers.h (tests): what the suites share (the runtime, random data, comparisons, device
 * buffers, the suites); the plain-C references are clnet/ref.h. */
#ifndef CLNET_TEST_HELPERS_H
#define CLNET_TEST_HELPERS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "clnet/clrt.h"
#include "clnet/ops.h"
#include "clnet/ref.h"

/* The one OpenCL runtime of the test run (opened on first use). */
clrt *test_rt(void);

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
Suite *suite_hist(void);
Suite *suite_ckpt(void);
Suite *suite_faults(void);

#endif
