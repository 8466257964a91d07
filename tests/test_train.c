/* test_train.c: a short training run on real digits whose cost falls, through the same passes
 * clnet train uses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "clnet/net.h"
#include "clnet/util.h"
#include "helpers.h"

START_TEST(short_training_run_cost_falls)
{
    clrt *rt = test_rt();
    dataset d;
    char err[512];
    ck_assert_msg(dataset_load("assets/mnist-sample", "train", &d, err, sizeof err) == 0, "%s", err);
    net nt;
    ck_assert(net_parse("conv8,pool,conv8,pool,fc10", 1, 28, 28, 10, &nt, err, sizeof err) == 0);
    int n = 32, steps = 60;
    net_alloc(rt, &nt, n, 0);
    net_init_params(rt, &nt, INIT_HE, 0, 1);
    cl_mem stats = dev_zeros((size_t)steps * 2), status = dev_zeros(1);
    float *x = xmalloc((size_t)n * 784 * sizeof(float));
    for (int s = 0; s < steps; s++) {
        int first = (s * n) % (d.count - n);
        dataset_to_float(&d, first, n, x);
        dev_write(nt.x, x, (size_t)n * 784);
        clrt_upload(rt, nt.y, 0, (size_t)n * sizeof *d.labels, d.labels + first);
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

static size_t total_params(const net *nt)
{
    size_t n = 0;
    for (int i = 0; i < nt->nlayers; i++)
        n += nt->layers[i].nw + nt->layers[i].nb;
    return n;
}

START_TEST(spec_parser)
{
    net nt;
    char err[256];
    ck_assert(net_parse(CLNET_DEFAULT_SPEC, 1, 28, 28, 10, &nt, err, sizeof err) == 0);
    ck_assert_int_eq(nt.nlayers, 7);
    const layer *fc = &nt.layers[6];
    ck_assert_int_eq(fc->fan_in, 6272);
    ck_assert_int_eq(nt.layers[5].out_h, 7);
    ck_assert_int_eq(nt.layers[3].nw + nt.layers[3].nb, 73856);
    ck_assert(!fc->relu && nt.layers[0].relu);
    ck_assert_str_eq(nt.spec, "conv64,conv64,pool,conv128,conv128,pool,fc10");
    net_free(&nt);
    /* the classifier follows the data: a preset's and a spec's without one are added */
    ck_assert(net_parse("ltfn", 3, 32, 24, 43, &nt, err, sizeof err) == 0);
    ck_assert_str_eq(nt.spec, "conv64,conv64,pool,conv128,conv128,pool,fc43");
    ck_assert(nt.layers[0].in_c == 3 && nt.layers[6].fan_in == 128 * 8 * 6 && nt.classes == 43);
    net_free(&nt);
    ck_assert(net_parse("conv8,pool", 1, 28, 28, 2, &nt, err, sizeof err) == 0);
    ck_assert_str_eq(nt.spec, "conv8,pool,fc2");
    net_free(&nt);
    ck_assert(net_parse("conv8,pool,fc64,classifier", 1, 8, 8, 7, &nt, err, sizeof err) == 0);
    ck_assert_str_eq(nt.spec, "conv8,pool,fc64,fc7"); /* the word, as the presets show it */
    net_free(&nt);
    ck_assert(net_parse("conv8,fc20", 1, 28, 28, 20, &nt, err, sizeof err) == 0);
    ck_assert_str_eq(nt.spec, "conv8,fc20");
    net_free(&nt);
    ck_assert(net_parse("conv8,fc12", 1, 28, 28, 10, &nt, err, sizeof err) == -1);
    ck_assert_msg(strstr(err, "the last layer fc12 has 12 outputs but the data has 10 classes"),
                  "%s", err);
    ck_assert_str_eq(net_expand("conv8,fc10"), "conv8,fc10");
    /* mlp: 784-500-500-10 */
    ck_assert(net_parse("mlp", 1, 28, 28, 10, &nt, err, sizeof err) == 0);
    ck_assert_int_eq(nt.nlayers, 3);
    ck_assert(nt.layers[0].flatten && !nt.layers[1].flatten && nt.layers[1].relu);
    ck_assert_int_eq(nt.layers[0].fan_in, 784);
    ck_assert_uint_eq(total_params(&nt), 784 * 500 + 500 + 500 * 500 + 500 + 5010);
    net_free(&nt);
    /* vgg: 28x28 padded to 32x32; four pools leave 2x2x512 */
    ck_assert(net_parse("vgg", 1, 28, 28, 10, &nt, err, sizeof err) == 0);
    ck_assert_int_eq(nt.nlayers, 17);
    ck_assert(nt.layers[0].kind == LAYER_PAD && nt.layers[0].out_h == 32);
    ck_assert_int_eq(nt.layers[0].pad_top, 2);
    ck_assert_int_eq(nt.layers[15].fan_in, 2048);
    ck_assert_uint_eq(total_params(&nt), 16067786);
    net_free(&nt);
    /* every option: 28 -> 5x5/2 same 14 -> 3x3 valid 12 -> avg 2x2 6 -> max 3x3/1 4 */
    ck_assert(net_parse("conv6:5x5:s2,conv4:valid,avgpool,pool:3x3:s1,fc7,fc10", 1, 28, 28, 10,
                        &nt, err, sizeof err) == 0);
    int want_h[] = {14, 12, 6, 4, 1, 1};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(nt.layers[i].out_h, want_h[i]);
    ck_assert_int_eq(nt.layers[0].conv.pad, 2);
    ck_assert_int_eq(nt.layers[1].conv.pad, 0);
    ck_assert(nt.layers[2].avg && !nt.layers[3].avg);
    ck_assert_int_eq(nt.layers[0].nw, 6 * 25);
    ck_assert_int_eq(nt.layers[4].fan_in, 64);
    ck_assert_str_eq(nt.layers[3].name, "pool2");
    net_free(&nt);
    const char *bad[] = {
        "conv64,pool,fc", "conv64,blah,fc10", "fc10,conv8,fc10", "conv8,fc5", "conv0,fc10", "",
        "conv8,,fc10", "pool,pool,pool,pool,pool,fc10", "conv8:4x4,fc10", "conv8:5x3,fc10",
        "conv8:s0,fc10", "conv8:bogus,fc10", "pool:valid,fc10", "pad20,fc10", "fc10:x",
        "conv8:29x29:valid,fc10", "vgg,fc10", "conv8:1234567890123456789012345678901234567890"
        "12345678901234567890123,fc10", "fc10,pool,fc10", "pad64:s2,fc10",
        "pad4096,conv65536:99x99,fc10", "pad99,conv64,conv65536:99x99:valid,fc10",
        "conv4096,fc1048576,fc10", "conv8,classifier,fc10"};
    const char *want[] = {
        "layer 3 'fc'", "layer 2 'blah': not a layer", "fully connected layer comes before",
        "last layer", "'conv0'", "layer 1 '': not a layer", "layer 2 ''", "does not fit",
        "odd window", "square", "unknown option 's0'", "unknown option 'bogus'",
        "unknown option 'valid'", "already 28x28", "takes no options", "does not fit",
        "layer 1 'vgg'", "longer than", "layer 2 'pool': needs an image", "padN takes no",
        "output of 4096x4096x65536 per image is too large",
        "layer 3 'conv65536:99x99:valid': 41108373504 weights, more than",
        "layer 2 'fc1048576': 3367254360064 weights",
        "layer 2 'classifier': the classifier goes last"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(net_parse(bad[i], 1, 28, 28, 10, &nt, err, sizeof err) == -1, "%s parsed", bad[i]);
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
