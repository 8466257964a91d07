/* test_train.c: a short training run on real digits whose cost falls, through the same passes
 * clnet train uses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "clnet/net.h"
#include "clnet/util.h"
#include "ref.h"

START_TEST(short_training_run_cost_falls)
{
    clrt *rt = test_rt();
    dataset d;
    char err[512];
    ck_assert_msg(dataset_load("assets/mnist-sample", "train", &d, err, sizeof err) == 0, "%s", err);
    net nt;
    ck_assert(net_parse("conv8,pool,conv8,pool,fc10", 1, 28, 28, &nt, err, sizeof err) == 0);
    int n = 32, steps = 60;
    net_alloc(rt, &nt, n, 0);
    net_init_params(rt, &nt, INIT_HE, 0, 1);
    cl_mem stats = dev_zeros((size_t)steps * 2), status = dev_zeros(1);
    float *x = xmalloc((size_t)n * 784 * sizeof(float));
    for (int s = 0; s < steps; s++) {
        int first = (s * n) % (d.count - n);
        dataset_to_float(&d, first, n, x);
        dev_write(nt.x, x, (size_t)n * 784);
        clrt_upload(rt, nt.y, 0, (size_t)n, d.labels + first);
        net_forward(rt, &nt, n);
        net_loss(rt, &nt, stats, status, s, n, 1);
        net_backward(rt, &nt, n);
        net_sgd(rt, &nt, status, 0.1f);
    }
    float *h = xmalloc((size_t)steps * 2 * sizeof(float));
    dev_read(stats, h, (size_t)steps * 2);
    double first = 0, last = 0;
    for (int s = 0; s < 5; s++) {
        first += h[2 * s] / 5;
        last += h[2 * (steps - 5 + s)] / 5;
    }
    ck_assert_msg(fabs(first - log(10.0)) < 0.3, "initial cost %g should be near ln 10", first);
    ck_assert_msg(last < 0.6 * first, "cost did not fall: first %g, last %g", first, last);
    int status_h;
    clrt_download(rt, status, 0, sizeof status_h, &status_h);
    ck_assert_int_eq(status_h, 0);
    clReleaseMemObject(stats), clReleaseMemObject(status);
    net_free(&nt);
    dataset_free(&d);
    free(x), free(h);
}
END_TEST

START_TEST(spec_parser)
{
    net nt;
    char err[256];
    ck_assert(net_parse(CLNET_DEFAULT_SPEC, 1, 28, 28, &nt, err, sizeof err) == 0);
    ck_assert_int_eq(nt.nlayers, 7);
    const layer *fc = &nt.layers[6];
    ck_assert_int_eq(fc->fan_in, 6272);
    ck_assert_int_eq(nt.layers[5].out_h, 7);
    ck_assert_int_eq(nt.layers[3].nw + nt.layers[3].nb, 73856);
    ck_assert(!fc->relu && nt.layers[0].relu);
    net_free(&nt);
    const char *bad[] = {"conv64,pool,fc", "conv64,blah,fc10", "fc10,conv8,fc10", "conv8,fc5",
                         "conv0,fc10", "", "conv8,,fc10", "pool,pool,pool,pool,pool,fc10"};
    const char *want[] = {"'fc'", "'blah'", "cannot follow", "last layer", "'conv0'", "''", "''",
                          "at least 2x2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(net_parse(bad[i], 1, 28, 28, &nt, err, sizeof err) == -1, "%s parsed", bad[i]);
        ck_assert_msg(strstr(err, want[i]) != NULL, "'%s': %s", bad[i], err);
    }
}
END_TEST

Suite *suite_train(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("train");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, spec_parser);
    tcase_add_test(tc, short_training_run_cost_falls);
    suite_add_tcase(s, tc);
    return s;
}
