/* test_hist.c: tensor statistics and histograms on the device against the plain-C reference
 * (counts exactly, for the same bin edges), the shared range, the --check-finite probe, and the
 * plot helpers (ticks, re-binning). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/hist.h"
#include "clnet/plot.h"
#include "clnet/ref.h"
#include "helpers.h"

typedef struct {
    size_t off, n;
} span;

/* A buffer holding several test tensors of different shapes and faults, at odd offsets. */
static float *make_tensors(span *sp, int *count, size_t *total)
{
    static const size_t sizes[] = {100003, 17, 5000, 1000, 100000, 2000, 50000, 1};
    int n = (int)(sizeof sizes / sizeof *sizes);
    size_t off = 37;
    for (int t = 0; t < n; t++) {
        sp[t] = (span){off, sizes[t]};
        off += sizes[t] + 3;
    }
    float *x = calloc(off, sizeof *x);
    fill_random(x, off, 7);
    for (size_t i = 0; i < sp[0].n; i++) /* peaked at 0, heavy tails, |v| <= 3 */
        x[sp[0].off + i] = 3 * x[sp[0].off + i] * x[sp[0].off + i] * x[sp[0].off + i];
    for (size_t i = 0; i < sp[2].n; i++) /* constant: a range of zero width */
        x[sp[2].off + i] = 0.25f;
    x[sp[3].off + 5] = NAN, x[sp[3].off + 500] = INFINITY, x[sp[3].off + 999] = -INFINITY;
    for (size_t i = 0; i < sp[4].n; i++) /* predictions of a network that learned nothing */
        x[sp[4].off + i] = 0.1f + 1e-5f * x[sp[4].off + i];
    for (size_t i = 0; i < sp[5].n; i++)
        x[sp[5].off + i] = NAN;
    for (size_t i = 0; i < sp[6].n; i++) /* N(0,1)-initialised layer 4 */
        x[sp[6].off + i] *= 2e4f;
    x[sp[7].off] = -3;
    *count = n, *total = off;
    return x;
}

static void check_stats(const hist_stats *d, const hist_stats *r, int t)
{
    ck_assert_msg(d->count == r->count && d->le0 == r->le0 && d->nonfinite == r->nonfinite,
                  "tensor %d: counts %llu/%llu/%llu, reference %llu/%llu/%llu", t,
                  (unsigned long long)d->count, (unsigned long long)d->le0,
                  (unsigned long long)d->nonfinite, (unsigned long long)r->count,
                  (unsigned long long)r->le0, (unsigned long long)r->nonfinite);
    ck_assert_msg(d->min == r->min && d->max == r->max, "tensor %d: min/max %g %g, reference %g %g",
                  t, d->min, d->max, r->min, r->max);
    /* measured here: mean within 5e-7, std within 6e-5 (the predictions-like tensor) */
    double tol = 2e-6 * (fabs(r->mean) + r->std) + 1e-30;
    ck_assert_msg(fabs(d->mean - r->mean) <= tol, "tensor %d: mean %.9g, reference %.9g", t,
                  d->mean, r->mean);
    ck_assert_msg(fabs(d->std - r->std) <= 2e-4 * r->std + 1e-30, "tensor %d: std %.9g, "
                  "reference %.9g", t, d->std, r->std);
}

static void run_capture(int nbins, int interleaved)
{
    span sp[8];
    int n;
    size_t total;
    float *x = make_tensors(sp, &n, &total);
    cl_mem dx = dev_from(x, total);
    int group[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    hist_dev h;
    hist_alloc(test_rt(), &h, n, nbins, group);
    if (interleaved)
        h.chunked = 0; /* what a GPU runs */
    for (int t = 0; t < n; t++)
        hist_stats_enqueue(test_rt(), &h, t, dx, sp[t].off, sp[t].n);
    hist_range_enqueue(test_rt(), &h);
    for (int t = 0; t < n; t++)
        hist_bins_enqueue(test_rt(), &h, t, dx, sp[t].off, sp[t].n);
    hist_stats s[8];
    uint32_t *bins = malloc((size_t)n * nbins * sizeof *bins), ref[HIST_MAX_BINS];
    hist_read(test_rt(), &h, s, bins);
    for (int t = 0; t < n; t++) {
        hist_stats r;
        ref_hist_stats(&r, x + sp[t].off, sp[t].n);
        check_stats(&s[t], &r, t);
        if (r.count && r.max > r.min)
            ck_assert_msg(s[t].lo == r.min && s[t].hi == r.max, "tensor %d: range %g..%g", t,
                          s[t].lo, s[t].hi);
        ck_assert_msg(s[t].lo <= r.min && s[t].hi >= r.max && s[t].hi > s[t].lo, "tensor %d", t);
        ref_hist_bins(ref, x + sp[t].off, sp[t].n, s[t].lo, s[t].scale, nbins);
        uint64_t sum = 0;
        for (int b = 0; b < nbins; b++) {
            ck_assert_msg(bins[t * nbins + b] == ref[b], "tensor %d bin %d: %u, reference %u", t,
                          b, bins[t * nbins + b], ref[b]);
            sum += ref[b];
        }
        ck_assert_uint_eq(sum, r.count);
    }
    free(bins);
    hist_free(&h);
    clReleaseMemObject(dx);
    free(x);
}

START_TEST(hist_matches_reference)
{
    for (int interleaved = 0; interleaved < 2; interleaved++) {
        run_capture(64, interleaved);
        run_capture(7, interleaved);
        run_capture(HIST_MAX_BINS, interleaved);
    }
}
END_TEST

START_TEST(hist_shared_range)
{
    float x[3000];
    fill_random(x, 3000, 3);
    for (int i = 1000; i < 2000; i++)
        x[i] = 75 * x[i] - 25; /* [-100, 50) */
    for (int i = 2000; i < 3000; i++)
        x[i] = 1000 + x[i];
    cl_mem dx = dev_from(x, 3000);
    int group[3] = {0, 0, -1};
    hist_dev h;
    hist_alloc(test_rt(), &h, 3, 32, group);
    for (int t = 0; t < 3; t++)
        hist_stats_enqueue(test_rt(), &h, t, dx, 1000 * (size_t)t, 1000);
    hist_range_enqueue(test_rt(), &h);
    for (int t = 0; t < 3; t++)
        hist_bins_enqueue(test_rt(), &h, t, dx, 1000 * (size_t)t, 1000);
    hist_stats s[3];
    uint32_t bins[96], ref[32];
    hist_read(test_rt(), &h, s, bins);
    ck_assert(s[0].lo == s[1].lo && s[0].hi == s[1].hi);
    ck_assert(s[0].lo == fmin(s[0].min, s[1].min) && s[0].hi == fmax(s[0].max, s[1].max));
    ck_assert(s[2].lo == s[2].min && s[2].hi == s[2].max);
    for (int t = 0; t < 3; t++) {
        ref_hist_bins(ref, x + 1000 * t, 1000, s[t].lo, s[t].scale, 32);
        ck_assert_msg(memcmp(ref, bins + 32 * t, sizeof ref) == 0, "slot %d bins differ", t);
    }
    hist_free(&h);
    clReleaseMemObject(dx);
}
END_TEST

START_TEST(finite_check_names_first)
{
    float x[300];
    fill_random(x, 300, 5);
    cl_mem dx = dev_from(x, 300), flag = dev_zeros(2), status = dev_zeros(1);
    int none[2] = {INT32_MAX, INT32_MAX}, got[2], st;
    clrt_upload(test_rt(), flag, 0, sizeof none, none);
    for (int t = 0; t < 3; t++) /* step 0: all finite */
        finite_check(test_rt(), flag, status, dx, 100 * (size_t)t, 100, 0, t);
    clrt_download(test_rt(), flag, 0, sizeof got, got);
    ck_assert(got[0] == INT32_MAX && got[1] == INT32_MAX);
    x[150] = NAN, x[299] = INFINITY; /* step 1: tensors 1 and 2 */
    dev_write(dx, x, 300);
    for (int t = 0; t < 3; t++)
        finite_check(test_rt(), flag, status, dx, 100 * (size_t)t, 100, 1, t);
    x[10] = NAN; /* step 2: tensor 0 as well, but step 1 came first */
    dev_write(dx, x, 300);
    for (int t = 0; t < 3; t++)
        finite_check(test_rt(), flag, status, dx, 100 * (size_t)t, 100, 2, t);
    clrt_download(test_rt(), flag, 0, sizeof got, got);
    clrt_download(test_rt(), status, 0, sizeof st, &st);
    ck_assert_msg(got[0] == 1 && got[1] == 1 && st == 1, "flag %d %d status %d", got[0], got[1], st);
    clReleaseMemObject(dx);
    clReleaseMemObject(flag);
    clReleaseMemObject(status);
}
END_TEST

START_TEST(ticks_and_rebin)
{
    ck_assert(fabs(tick_step(0, 1, 5) - 0.2) < 1e-12);
    ck_assert(fabs(tick_step(-20000, 20000, 8) - 5000) < 1e-9);
    char buf[32];
    format_tick(buf, sizeof buf, 0.30000000004, 0.1);
    ck_assert_str_eq(buf, "0.3");
    format_tick(buf, sizeof buf, -15000, 5000);
    ck_assert_str_eq(buf, "-15000");
    format_tick(buf, sizeof buf, 2e-4, 5e-5);
    ck_assert_str_eq(buf, "2.0e-04");
    format_tick(buf, sizeof buf, 1e-17, 0.5);
    ck_assert_str_eq(buf, "0.0");
    uint32_t b[50];
    double out[64], sum = 0, in = 0;
    for (int i = 0; i < 50; i++)
        in += b[i] = (uint32_t)(i * 37 % 11);
    rebin(out, 64, -20000, 20000, b, 50, -0.02, 0.03); /* a narrow histogram on a wide axis */
    int nonzero = 0;
    for (int j = 0; j < 64; j++)
        sum += out[j], nonzero += out[j] > 0;
    ck_assert(fabs(sum - in) < 1e-9 && nonzero <= 2);
    rebin(out, 50, -0.02, 0.03, b, 50, -0.02, 0.03); /* its own range: unchanged */
    for (int j = 0; j < 50; j++)
        ck_assert(out[j] == b[j]);
    rebin(out, 25, -1, 1, b, 50, -1, 1); /* pairs of bins */
    for (int j = 0; j < 25; j++)
        ck_assert(fabs(out[j] - b[2 * j] - b[2 * j + 1]) < 1e-9);
}
END_TEST

Suite *suite_hist(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("hist");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, hist_matches_reference);
    tcase_add_test(tc, hist_shared_range);
    tcase_add_test(tc, finite_check_names_first);
    tcase_add_test(tc, ticks_and_rebin);
    suite_add_tcase(s, tc);
    return s;
}
