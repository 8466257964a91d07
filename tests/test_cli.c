/* test_cli.c: the clnet binary as a user runs it: bad data folders and flags give one line on
 * stderr and a non-zero exit (never a crash), a run is reproducible, divergence exits 3. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clnet/checkpoint.h"
#include "clnet/data.h"
#include "clnet/util.h"
#include "idxfile.h"
#include "stb_image.h"
#include "cli.h"
#include "json.h"
#include "helpers.h"

/* Expects every string of want in text, in that order. */
static void expect_in_order(const char *text, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        text = strstr(text, want[i]);
        ck_assert_msg(text != NULL, "no '%s' in order in: %s", want[i], out);
    }
}

START_TEST(bad_flags)
{
    struct {
        const char *args, *needle;
    } cases[] = {
        {"train --batch abc", "--batch 'abc': not an integer"},
        {"train --batch 0", "--batch 0: must be between 1 and 65536"},
        {"train --batch -5", "--batch -5"},
        {"train --batch 100000", "--batch 100000"},
        {"train --steps 1.5", "--steps '1.5': not an integer"},
        {"train --steps 99999999999999999999", "--steps"},
        {"train --lr nan", "--lr nan"},
        {"train --lr -1", "--lr -1"},
        {"train --lr inf", "--lr inf"},
        {"train --lr 0", "--lr 0"},
        {"train --lr 1e-3x", "--lr '1e-3x': not a number"},
        {"train --init-scale 0", "--init-scale 0"},
        {"train --init bogus", "--init 'bogus'"},
        {"train --seed -1", "--seed '-1'"},
        {"train --log-every 0", "--log-every 0"},
        {"train --steps 5 --epochs 1", "not both"},
        {"train --bogus", "unknown flag '--bogus'"},
        {"train --batch", "--batch needs a value"},
        {"train --hist-range wide", "--hist-range 'wide': expected own or shared"},
        {"train --hist-bins 1", "--hist-bins 1: must be between 2 and 1024"},
        {"train --hist-every -1", "--hist-every -1"},
        {"train --test-images 0", "--test-images 0"},
        {"train --out ''", "--out: empty folder name"},
        {"frobnicate", "unknown command 'frobnicate'"},
        {"train --save-every 0", "--save-every 0"},
        {"train --optimizer rmsprop", "--optimizer 'rmsprop': expected sgd, momentum or adam"},
        {"train --momentum 1", "--momentum 1: must be at least 0 and below 1"},
        {"train --beta2 nan", "--beta2 nan"},
        {"train --eps 0", "--eps 0"},
        {"train --weight-decay -0.1", "--weight-decay -0.1"},
        {"train --lr-schedule linear", "--lr-schedule 'linear'"},
        {"train --lr-decay 2", "--lr-decay 2"},
        {"train --lr-decay-every 0", "--lr-decay-every 0"},
        {"train --save", "--save needs a value"},
        {"eval", "eval needs --model FILE"},
        {"eval --model x --batch 0", "--batch 0"},
        {"eval --bogus", "unknown flag '--bogus' (see clnet eval --help)"},
        {"study", "study needs a kind"},
        {"study bogus", "study needs a kind"},
        {"study optim --optimizers sgd,rmsprop", "'rmsprop' is not sgd, momentum or adam"},
        {"study optim --optimizers adam,adam:0.001", "at the same rate twice"},
        {"study optim --optimizers adam:x", "learning rate 'x': not a number"},
        {"study optim --optimizers ,", "no optimizer given"},
        {"study optim --recipe seed", "--recipe 'seed': expected quick or epoch"},
        {"study init --recipe epoch", "--recipe 'epoch': expected quick or seed"},
        {"study optim --inits he", "unknown flag '--inits' (see clnet study optim --help)"},
        {"study optim --optimizer adam", "unknown flag '--optimizer'"},
        {"study init --optimizers sgd", "unknown flag '--optimizers' (see clnet study init --help)"},
        {"train --arch", "--arch needs a value"},
        {"study init --inits he,bogus", "'bogus' is not normal, scaled, he or xavier"},
        {"study init --inits he,he", "'he' twice"},
        {"study init --recipe long", "--recipe 'long'"},
        {"bench --repeat 0", "--repeat 0: must be between 1 and 100000"},
        {"bench --json - --csv -", "cannot both take stdout"},
        {"bench --bogus", "unknown flag '--bogus' (see clnet bench --help)"},
        {"bench --filter", "--filter needs a value (see clnet bench --help)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_error(cases[i].args, 2, cases[i].needle);
}
END_TEST

START_TEST(bad_data_folders)
{
    char args[8192], path[4096];
    snprintf(args, sizeof args, "train --data %s/none", dir);
    expect_error(args, 1, "none: data folder: No such file or directory");
    write_data_folder(dir, 200, 100, 28, 28, 1);

    snprintf(args, sizeof args, "train --data %s/train-images-idx3-ubyte.gz", dir);
    expect_error(args, 1, "is not a folder");
    snprintf(args, sizeof args, "train --data %s --batch 300", dir);
    expect_error(args, 1, "--batch 300 is larger than the training set (200 images");
    snprintf(args, sizeof args, "train --data %s --arch conv8,pol,fc10", dir);
    expect_error(args, 2, "--arch conv8,pol,fc10: layer 2 'pol': not a layer");
    snprintf(args, sizeof args, "train --data %s --arch conv8:4x4,fc10", dir);
    expect_error(args, 2, "layer 1 'conv8:4x4': same padding needs an odd window");
    snprintf(args, sizeof args, "study optim --data %s --arch pad20,fc10 --out %s/st", dir, dir);
    expect_error(args, 2, "layer 1 'pad20': the input is already 28x28");
    snprintf(path, sizeof path, "%s/st", dir);
    ck_assert_msg(access(path, F_OK) != 0, "a refused study left %s behind", path);

    /* test images of another size */
    write_data_folder(dir, 200, 100, 28, 28, 1);
    uint8_t b[16 + 100 * 400];
    memset(b, 0, sizeof b);
    size_t h = idx_header(b, 0x08, 3, (uint32_t[]){100, 20, 20});
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
    write_file(path, b, h + 100 * 400, 1);
    snprintf(args, sizeof args, "train --data %s", dir);
    expect_error(args, 1, "test images are 20x20 x1 but training images are 28x28 x1");

    /* every file fault, through the binary */
    write_data_folder(dir, 200, 100, 28, 28, 1);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    unlink(path);
    expect_error(args, 1, "missing train-labels-idx1-ubyte[.gz]");
    write_file(path, "", 0, 0);
    expect_error(args, 1, "train-labels-idx1-ubyte.gz: empty file");
    write_file(path, "\x00\x00\x08\x01\x00\x00\x00\xc8", 8, 0);
    expect_error(args, 1, "truncated");
    write_file(path, "\x00\x00\x08\x03\x00\x00\x00\xc8", 8, 0);
    expect_error(args, 1, "IDX rank 3, expected 1");
    write_file(path, "\x1f\x8b\x08\x00garbage-garbage-garbage", 27, 0);
    expect_error(args, 1, "gzip");
    unlink(path);
    mkdir(path, 0700);
    expect_error(args, 1, "is a folder, not a regular file");
}
END_TEST

/* The data's shape and classes come from the data: colour, not square, 300 classes. */
START_TEST(own_shapes_and_classes)
{
    char args[8192], path[4096];
    snprintf(path, sizeof path, "%s/d", dir);
    mkdir(path, 0700);
    write_shaped_folder(path, 320, 40, 12, 16, 3, 300);
    snprintf(args, sizeof args, "train --data %s --arch conv4,pool --batch 8 --steps 3 "
             "--log-every 1 --no-output --save %s/ck", path, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "images of 16x12 x3, 300 classes") &&
                  strstr(out, "network: conv4,pool = conv4,pool,fc300") && strstr(out, "test cost"),
                  "%s", out);
    snprintf(args, sizeof args, "eval --data %s --model %s/ck", path, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "conv4,pool,fc300, trained 3 steps"), "%s%s", out,
                  err);
    snprintf(args, sizeof args, "train --data %s --arch conv4,fc7 --steps 1", path);
    expect_error(args, 2, "the last layer fc7 has 7 outputs but the data has 300 classes");
    snprintf(args, sizeof args, "train --data %s --arch conv4,pool --batch 8 --steps 5 "
             "--no-output --resume %s/ck", path, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "resumed from"), "%s", err);
    /* the same images with 10 classes: the checkpoint does not continue there */
    snprintf(path, sizeof path, "%s/e", dir);
    mkdir(path, 0700);
    write_shaped_folder(path, 96, 40, 12, 16, 3, 10);
    snprintf(args, sizeof args, "train --data %s --arch conv4,pool --batch 8 --steps 5 "
             "--no-output --resume %s/ck", path, dir);
    expect_error(args, 1, "made for 300 classes");
    /* one class: nothing to learn */
    snprintf(path, sizeof path, "%s/f", dir);
    mkdir(path, 0700);
    write_shaped_folder(path, 20, 10, 4, 4, 1, 1);
    snprintf(args, sizeof args, "train --data %s --steps 1", path);
    expect_error(args, 1, "a single class leaves nothing to learn");
}
END_TEST

/* CIFAR-10 and CIFAR-100 files (in the exact formats) train and evaluate; the class names go
 * into the checkpoint. */
START_TEST(cifar_trains_and_evaluates)
{
    char args[8192], path[4096];
    snprintf(path, sizeof path, "%s/c10", dir);
    mkdir(path, 0700);
    write_cifar(path, 10, 2, 40, 20);
    snprintf(args, sizeof args, "train --data %s --arch conv4,pool --batch 8 --steps 4 "
             "--no-output --save %s/ck", path, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "80 training and 20 test images of 32x32 x3, 10 classes") &&
                  strstr(out, "classes: airplane, automobile, bird, cat, deer, dog, frog, horse"),
                  "%s", out);
    snprintf(args, sizeof args, "eval --data %s --model %s/ck", path, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "test cost"), "%s", err);
    checkpoint c;
    char why[512], name[64];
    snprintf(path, sizeof path, "%s/ck", dir);
    ck_assert_msg(ckpt_load(path, &c, why, sizeof why) == 0, "%s", why);
    dataset names = {.classes = 10, .names = c.names, .names_len = c.names_len};
    ck_assert_str_eq(dataset_class_name(&names, 8, name, sizeof name), "ship");
    ckpt_free(&c);
    /* predict: a PNG of the size the CIFAR files hold gets their class names */
    uint8_t px[32 * 32 * 3];
    for (int i = 0; i < 32 * 32 * 3; i++)
        px[i] = (uint8_t)(i * 7);
    snprintf(path, sizeof path, "%s/x.png", dir);
    write_image(path, 32, 32, 3, px);
    snprintf(args, sizeof args, "predict --model %s/ck --top 10 %s", dir, path);
    ck_assert_msg(run(args) == 0 && strstr(out, "x.png: ") && strstr(out, "airplane ") &&
                  strstr(out, "truck "), "%s", out);
    /* another data set's class names: not continued */
    snprintf(path, sizeof path, "%s/c10/batches.meta.txt", dir);
    write_file(path, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", 20, 0);
    snprintf(args, sizeof args, "train --data %s/c10 --arch conv4,pool --batch 8 --steps 6 "
             "--no-output --resume %s/ck", dir, dir);
    expect_error(args, 1, "made with other class names");
    snprintf(path, sizeof path, "%s/c100", dir);
    mkdir(path, 0700);
    write_cifar(path, 100, 1, 200, 30);
    snprintf(args, sizeof args, "train --data %s --arch conv4,pool --batch 10 --steps 2 "
             "--no-output --save %s/ck100", path, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "of 32x32 x3, 100 classes") && strstr(out, "classes: fine 0, fine 1") &&
                  strstr(out, "more\n") && strstr(out, "fc100"), "%s", out);
    snprintf(args, sizeof args, "predict --model %s/ck100 --json %s/x.png", dir, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "\"classes\": 100") &&
                  strstr(out, "{\"class\": \"fine "), "%s", out);
}
END_TEST

/* An image folder trains (the classes from its sub-folders, every image decoded) and the
 * checkpoint evaluates it; a test set of another size needs --resize, and gets it. */
START_TEST(image_folder_trains_and_evaluates)
{
    char args[8192], path[4096];
    snprintf(path, sizeof path, "%s/img", dir);
    mkdir(path, 0700);
    write_image_folder(path, 60, 30, 12, 10, 3, 3);
    snprintf(args, sizeof args, "train --data %s --arch conv8,pool --batch 10 --epochs 4 "
             "--optimizer adam --lr 0.01 --no-output --save %s/ck", path, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "60 training and 30 test images of 12x10 x3, 3 classes") &&
                  strstr(out, "classes: class-00, class-01, class-02") &&
                  strstr(out, "decoded: 90 images in "), "%s", out);
    ck_assert_msg(strstr(out, "test accuracy 100.00%"), "the classes differ plainly: %s", out);
    snprintf(args, sizeof args, "eval --data %s --model %s/ck", path, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "test accuracy 100.00% (30 images"), "%s", out);
    snprintf(args, sizeof args, "eval --data %s --model %s/ck --channels 1", path, dir);
    expect_error(args, 1, "test images are 12x10 x1 but the checkpoint");
    ck_assert_msg(strstr(err, "was made for 12x10 x3 (give --resize 12x10 --channels 3"), "%s",
                  err);
    snprintf(args, sizeof args, "train --data %s --arch conv8,pool --batch 10 --steps 2 "
             "--no-output --resize 20x16 --channels 1", path);
    ck_assert_msg(run(args) == 0 && strstr(out, "images of 20x16 x1"), "%s", err);
    /* a test image of another size: refused, naming it, unless --resize */
    uint8_t px[8 * 8 * 3] = {0};
    snprintf(path, sizeof path, "%s/img/test/class-01/odd.png", dir);
    write_image(path, 8, 8, 3, px);
    snprintf(args, sizeof args, "train --data %s/img --steps 1 --no-output", dir);
    expect_error(args, 1, "odd.png is 8 x 8 but");
    snprintf(args, sizeof args, "eval --data %s/img --model %s/ck --resize 12x10", dir, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "(31 images"), "%s", err);
    /* a folder of other classes (here renamed): eval refuses to name them wrongly */
    char from[4096], to[4096];
    snprintf(path, sizeof path, "%s/img2", dir);
    mkdir(path, 0700);
    write_image_folder(path, 6, 6, 12, 10, 3, 3);
    for (int s = 0; s < 2; s++) {
        snprintf(from, sizeof from, "%s/img2/%s/class-00", dir, s ? "test" : "train");
        snprintf(to, sizeof to, "%s/img2/%s/zebra", dir, s ? "test" : "train");
        ck_assert(rename(from, to) == 0);
    }
    snprintf(args, sizeof args, "eval --data %s/img2 --model %s/ck", dir, dir);
    expect_error(args, 1, "its class names are not those of the checkpoint");
    /* --format forces a reader: the right one reads it, another says what it missed */
    snprintf(args, sizeof args, "train --data %s/img --format images --resize 12x10 --steps 1 "
             "--batch 10 --no-output", dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    snprintf(args, sizeof args, "train --data %s/img --format cifar10 --steps 1 --no-output", dir);
    expect_error(args, 1, "img/data_batch_1.bin: cannot open");
    snprintf(args, sizeof args, "train --data %s/img --format idx --steps 1 --no-output", dir);
    expect_error(args, 1, "missing train-images-idx3-ubyte[.gz]");
    snprintf(args, sizeof args, "train --data %s/img --format png --steps 1 --no-output", dir);
    expect_error(args, 2, "--format 'png': expected auto, idx, cifar10, cifar100 or images");
    /* outputs inside train/ or test/ would be read as images next time */
    snprintf(args, sizeof args, "train --data %s/img --steps 1 --save %s/img/train/class-00/ck",
             dir, dir);
    expect_error(args, 1, "/img/train/class-00/ck: inside ");
    snprintf(args, sizeof args, "train --data %s/img --steps 1 --out %s/img/test/r", dir, dir);
    expect_error(args, 1, "the images of --data; write it elsewhere");
}
END_TEST

/* --normalize and --augment: the header says what the net is fed, the checkpoint keeps the
 * normalization (eval gives the run's test cost), the report shows the augmented batch, and a
 * resume without --normalize or a bad --augment is refused. */
START_TEST(normalize_and_augment)
{
    char args[8192], path[4096], want[64];
    snprintf(path, sizeof path, "%s/img", dir);
    mkdir(path, 0700);
    write_image_folder(path, 60, 30, 12, 10, 3, 3);
    snprintf(args, sizeof args, "train --data %s --arch conv8,pool --batch 10 --epochs 3 "
             "--optimizer adam --lr 0.01 --normalize --augment flip,crop:2 --out %s/run --save "
             "%s/ck", path, dir, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "input: pixels / 255, normalized per channel (mean 0.") &&
                  strstr(out, "; augmented on the device: flip, crop:2 (zero padding)"), "%s", out);
    const char *t = strstr(out, "test cost");
    ck_assert(t != NULL);
    snprintf(want, sizeof want, "%.30s", t);
    snprintf(args, sizeof args, "%s/run/augmented-batch.png", dir);
    int w, h, c;
    char why[512] = "";
    ck_assert_msg(image_info(args, &w, &h, &c, why, sizeof why) == 0 && w > 4 * 48 && h > 48,
                  "%s", why);
    snprintf(args, sizeof args, "%s/run/index.html", dir);
    static char html[1 << 18];
    slurp(args, html, sizeof html);
    ck_assert_msg(strstr(html, "src=\"augmented-batch.png\"") &&
                  strstr(html, "The first training batch as augmented (10 of 10 images"), "%s",
                  html);
    snprintf(args, sizeof args, "eval --data %s --model %s/ck", path, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "inputs normalized") && strstr(out, want),
                  "eval: %s, the run: %s", out, want);
    snprintf(args, sizeof args, "train --data %s --arch conv8,pool --batch 10 --epochs 4 "
             "--optimizer adam --lr 0.01 --no-output --resume %s/ck", path, dir);
    expect_error(args, 1, "made with --normalize; give the same to continue it");
    snprintf(args, sizeof args, "train --data %s --arch conv8,pool --batch 10 --epochs 4 "
             "--optimizer adam --lr 0.01 --normalize --augment flip --no-output --resume %s/ck",
             path, dir);
    expect_error(args, 1, "made with --augment flip,crop:2; give the same to continue it");
    snprintf(args, sizeof args, "train --data %s --batch 10 --augment crop:6 --no-output", path);
    expect_error(args, 2, "more than half the side of the 12x10 images");
    const char *bad[] = {"flop", "flip,flip", "crop:0", "crop:65", "crop:", "flip,", ",flip"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(args, sizeof args, "train --data %s --augment %s --no-output", path, bad[i]);
        expect_error(args, 2, "--augment '");
    }
}
END_TEST

/* The number of JSON "file" entries of out whose top class is the folder the file is in. */
static int top1_in_own_folder(int *images)
{
    int right = 0;
    *images = 0;
    for (const char *p = strstr(out, "{\"file\": \""); p; p = strstr(p + 1, "{\"file\": \"")) {
        const char *f = p + 10, *q = strchr(f, '"'), *slash = q;
        while (slash > f && *--slash != '/')
            ;
        const char *cls = slash;
        while (cls > f && cls[-1] != '/')
            cls--;
        const char *c = strstr(q, "\"class\": \"");
        ck_assert(c != NULL);
        c += 10;
        (*images)++;
        right += strncmp(c, cls, (size_t)(slash - cls)) == 0 && c[slash - cls] == '"';
    }
    return right;
}

/* clnet predict: the top classes of the test images agree with clnet eval's accuracy (at any
 * batch), text and JSON, and every bad input is refused naming it. */
START_TEST(predict_agrees_with_eval)
{
    char args[8192], path[4096];
    snprintf(path, sizeof path, "%s/img", dir);
    mkdir(path, 0700);
    write_image_folder(path, 60, 30, 12, 10, 3, 3);
    /* one small step: a model that is right on some images and wrong on others */
    snprintf(args, sizeof args, "train --data %s --arch conv8,pool --batch 10 --steps 1 "
             "--lr 0.0001 --normalize --no-output --save %s/ck", path, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    snprintf(args, sizeof args, "eval --data %s --model %s/ck", path, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    const char *acc = strstr(out, "test accuracy ");
    ck_assert(acc != NULL);
    double want = strtod(acc + 14, NULL);
    ck_assert_msg(want > 0 && want < 100, "eval: %s (a test that cannot tell right from wrong)",
                  out);
    for (int batch = 1; batch <= 64; batch *= 8) {
        snprintf(args, sizeof args, "predict --model %s/ck --json --top 2 --batch %d %s/test",
                 dir, batch, path);
        ck_assert_msg(run(args) == 0, "%s", err);
        int n, right = top1_in_own_folder(&n);
        ck_assert_int_eq(n, 30);
        ck_assert_msg(fabs(100.0 * right / n - want) < 0.005, "predict: %d of %d right, eval %.2f%%",
                      right, n, want);
    }
    snprintf(args, sizeof args, "predict --model %s/ck %s/test/class-01/img00001.png", dir, path);
    ck_assert_msg(run(args) == 0 && strstr(out, "3 classes") &&
                  strstr(out, "class-01/img00001.png: class-0") && strstr(out, "%, class-0"), "%s", out);
    /* bad input, each refused naming what is wrong */
    snprintf(args, sizeof args, "predict %s/test", path);
    expect_error(args, 2, "predict needs --model FILE");
    snprintf(args, sizeof args, "predict --model %s/ck", dir);
    expect_error(args, 2, "needs images or folders of images");
    snprintf(args, sizeof args, "predict --model %s/ck --resize 8x8 %s/test", dir, path);
    expect_error(args, 2, "--resize 8x8: the model");
    snprintf(args, sizeof args, "%s/other", dir);
    mkdir(args, 0700);
    snprintf(args, sizeof args, "predict --model %s/ck %s/other", dir, dir);
    expect_error(args, 1, "no images in");
    uint8_t px[8 * 8 * 3] = {0};
    snprintf(args, sizeof args, "%s/other/small.png", dir);
    write_image(args, 8, 8, 3, px);
    snprintf(args, sizeof args, "predict --model %s/ck %s/other", dir, dir);
    expect_error(args, 1, "small.png: 8 x 8 but the model");
    snprintf(args, sizeof args, "predict --model %s/ck --resize 12x10 %s/other", dir, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "small.png: class-0"), "%s", err);
    snprintf(args, sizeof args, "%s/other/notes.txt", dir);
    write_file(args, (const uint8_t *)"not an image\n", 13, 0);
    snprintf(args, sizeof args, "predict --model %s/ck --resize 12x10 %s/other", dir, dir);
    expect_error(args, 1, "notes.txt: ");
    snprintf(args, sizeof args, "%s/other/notes.txt", dir);
    remove(args);
    snprintf(args, sizeof args, "%s/other/empty.png", dir);
    write_file(args, (const uint8_t *)"", 0, 0);
    snprintf(args, sizeof args, "predict --model %s/ck --resize 12x10 %s/other", dir, dir);
    expect_error(args, 1, "empty.png: ");
    snprintf(args, sizeof args, "%s/other/empty.png", dir);
    remove(args);
    snprintf(args, sizeof args, "%s/other/fifo", dir);
    ck_assert(mkfifo(args, 0600) == 0);
    snprintf(args, sizeof args, "predict --model %s/ck --resize 12x10 %s/other/fifo", dir, dir);
    ck_assert_int_eq(run_limited(60, args), 1);
    ck_assert_msg(strstr(err, "fifo: is not a regular file or a folder"), "%s", err);
    snprintf(args, sizeof args, "predict --model %s/nothing %s/test", dir, path);
    expect_error(args, 1, "nothing: cannot open");
    snprintf(args, sizeof args, "predict --model %s/ck %s/missing.png", dir, dir);
    expect_error(args, 1, "missing.png: cannot open");
}
END_TEST

/* clnet export: a model file written atomically, never over an existing one without --force,
 * and every bad checkpoint or output path refused naming it (ONNX Runtime's side of the
 * export is tests/onnx_check.py, run by make check). */
START_TEST(export_writes_and_refuses)
{
    char args[8192], path[4096], buf[64];
    snprintf(path, sizeof path, "%s/img", dir);
    mkdir(path, 0700);
    write_image_folder(path, 30, 30, 12, 10, 3, 3);
    snprintf(args, sizeof args, "train --data %s --arch conv4,pool --batch 10 --steps 1 "
             "--no-output --save %s/ck", path, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    snprintf(args, sizeof args, "export --model %s/ck --onnx %s/m.onnx", dir, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "ONNX model (opset 13)"), "%s", err);
    snprintf(path, sizeof path, "%s/m.onnx", dir);
    struct stat st;
    ck_assert(stat(path, &st) == 0 && st.st_size > 100);
    /* an ONNX model starts with its IR version (field 1, varint 7) */
    slurp(path, buf, sizeof buf);
    ck_assert_int_eq(buf[0], 0x08);
    ck_assert_int_eq(buf[1], 7);
    /* an existing model is kept unless --force, and replaced with it */
    expect_error(args, 2, "exists (give --force to replace it)");
    snprintf(args, sizeof args, "export --model %s/ck --onnx %s/m.onnx --force", dir, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert(stat(path, &st) == 0 && st.st_size > 100);
    /* --force replaces an empty file or a model, never another kind of file */
    write_file(path, (const uint8_t *)"keep me\n", 8, 0);
    expect_error(args, 1, "is not a model in the ONNX format; clnet replaces only its own files");
    slurp(path, buf, sizeof buf);
    ck_assert_str_eq(buf, "keep me\n");
    write_file(path, (const uint8_t *)"", 0, 0);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert(stat(path, &st) == 0 && st.st_size > 100);
    /* bad checkpoints */
    snprintf(args, sizeof args, "export --model %s/nothing --onnx %s/n.onnx", dir, dir);
    expect_error(args, 1, "nothing: cannot open");
    snprintf(path, sizeof path, "%s/foreign", dir);
    const char *foreign = "\x89PNG, not a checkpoint at all";
    write_file(path, (const uint8_t *)foreign, strlen(foreign), 0);
    snprintf(args, sizeof args, "export --model %s/foreign --onnx %s/n.onnx", dir, dir);
    expect_error(args, 1, "foreign");
    snprintf(path, sizeof path, "%s/ck", dir);
    char *ck = xmalloc(1 << 20);
    FILE *f = fopen(path, "rb");
    size_t n = fread(ck, 1, 1 << 20, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/cut", dir);
    write_file(path, (const uint8_t *)ck, n / 2, 0);
    free(ck);
    snprintf(args, sizeof args, "export --model %s/cut --onnx %s/n.onnx", dir, dir);
    expect_error(args, 1, "cut");
    snprintf(path, sizeof path, "%s/n.onnx", dir);
    ck_assert_int_ne(stat(path, &st), 0); /* nothing written for a bad checkpoint */
    /* bad outputs */
    snprintf(args, sizeof args, "export --model %s/ck --onnx /nonexistent/folder/m.onnx", dir);
    expect_error(args, 1, "/nonexistent/folder/m.onnx");
    snprintf(args, sizeof args, "export --model %s/ck --onnx %s --force", dir, dir);
    expect_error(args, 1, "--onnx");
    snprintf(args, sizeof args, "export --model %s/ck --onnx %s/ck --force", dir, dir);
    expect_error(args, 2, "is the checkpoint --model itself");
    snprintf(args, sizeof args, "export --onnx %s/m.onnx", dir);
    expect_error(args, 2, "export needs --model FILE");
    snprintf(args, sizeof args, "export --model %s/ck", dir);
    expect_error(args, 2, "export needs --onnx FILE");
}
END_TEST

/* Class names with spaces, unicode and HTML: printed as they are, escaped in index.html, valid
 * in predict's JSON; per-class results and the confusion matrix in train and eval. */
START_TEST(class_names_and_per_class_results)
{
    const char *names[] = {"a b", "caf\xc3\xa9", "<i>x&y \"q\""};
    char args[8192], path[4096];
    uint8_t px[6 * 6];
    for (int s = 0; s < 2; s++) {
        snprintf(path, sizeof path, "%s/%s", dir, s ? "test" : "train");
        mkdir(path, 0700);
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s/%s", dir, s ? "test" : "train", names[k]);
            mkdir(path, 0700);
            for (int i = 0; i < (s ? 4 : 12); i++) {
                image_pattern(px, 6, 6, 1, k);
                px[i % 36] ^= 0x20; /* each image a little different */
                snprintf(path, sizeof path, "%s/%s/%s/%02d.png", dir, s ? "test" : "train",
                         names[k], i);
                write_image(path, 6, 6, 1, px);
            }
        }
    }
    snprintf(args, sizeof args, "train --data %s --arch fc16,classifier --batch 6 --epochs 20 --optimizer "
             "adam --lr 0.01 --out %s/run --save %s/ck", dir, dir, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    /* byte order: '<' before 'a' before 'c' */
    ck_assert_msg(strstr(out, "classes: <i>x&y \"q\", a b, caf\xc3\xa9\n") &&
                  strstr(out, "test accuracy per class:\n      0  <i>x&y \"q\"     ") &&
                  strstr(out, "      1  a b     ") &&
                  strstr(out, "confusion matrix (rows: the true class, columns: the predicted "
                              "class):\n"), "%s", out);
    static char html[1 << 18];
    snprintf(path, sizeof path, "%s/run/index.html", dir);
    slurp(path, html, sizeof html);
    ck_assert_msg(strstr(html, "&lt;i&gt;x&amp;y &quot;q&quot;") && !strstr(html, "<i>x") &&
                  strstr(html, "src=\"confusion.png\""), "%s", html);
    snprintf(args, sizeof args, "eval --data %s --model %s/ck", dir, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "      2  caf\xc3\xa9 ") &&
                  strstr(out, "confusion matrix"), "%s", out);
    snprintf(args, sizeof args, "predict --model %s/ck --json %s/test", dir, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(json_valid(out) && strstr(out, "\"class\": \"<i>x&y \\\"q\\\"\""), "%s", out);
}
END_TEST

/* --val-split and --val: held-out images validated each epoch (and every --val-every steps) in
 * the log, metrics.csv and the report; an image folder without test/ tests on them; bad values
 * refused. */
START_TEST(validation_split)
{
    char args[8192], path[4096];
    snprintf(path, sizeof path, "%s/img", dir);
    mkdir(path, 0700);
    write_image_folder(path, 80, 20, 8, 8, 1, 2);
    snprintf(args, sizeof args, "train --data %s --arch fc8,classifier --batch 10 --epochs 2 "
             "--val-split 0.25 --val-every 4 --out %s/run", path, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "60 training and 20 test images") &&
                  strstr(out, "validation: 20 images held out of the training set") &&
                  strstr(out, "validation after step 3 (epoch 0.67): cost ") &&
                  strstr(out, "validation after step 5 (epoch 1.00): cost ") &&
                  strstr(out, "validation after step 11 (epoch 2.00): cost ") &&
                  !strstr(out, "the test pass is on them"), "%s", out);
    static char text[1 << 18];
    snprintf(args, sizeof args, "%s/run/metrics.csv", dir);
    slurp(args, text, sizeof text);
    ck_assert_msg(strstr(text, "step,epoch,cost,accuracy,images_per_s,val_cost,val_accuracy\n") &&
                  strstr(text, "\n1,1,") && strstr(text, ",,\n") , "%s", text);
    int passes = 0; /* rows with validation values: after steps 3, 5, 7, 11 */
    for (const char *p = text; (p = strchr(p, '\n')) && p[1]; p++) {
        const char *e = strchr(p + 1, '\n');
        passes += e && e[-1] != ',';
    }
    ck_assert_msg(passes == 4, "%d validation rows: %s", passes, text);
    snprintf(args, sizeof args, "%s/run/index.html", dir);
    slurp(args, text, sizeof text);
    ck_assert_msg(strstr(text, "Validation cost and accuracy") &&
                  strstr(text, "accuracy % (validation images)"), "%s", text);
    /* no test/: the validation images are the test set; without --val that is an error */
    snprintf(args, sizeof args, "%s/img/test", dir);
    remove_dir(args);
    snprintf(args, sizeof args, "train --data %s --arch fc8,classifier --batch 10 --steps 3 "
             "--no-output", path);
    expect_error(args, 1, "or give --val-split F to test on held-out training images");
    snprintf(args, sizeof args, "train --data %s --arch fc8,classifier --batch 10 --steps 3 "
             "--val 30 --no-output", path);
    ck_assert_msg(run(args) == 0 && strstr(out, "50 training and 30 test images") &&
                  strstr(out, "the folder has no test/: the test pass is on them") &&
                  strstr(out, "(30 images)\n"), "%s", out);
    const char *bad[][2] = {{"--val 75", "leave 5 to train on, fewer than --batch 10"},
                            {"--val-split 0", "must be above 0 and below 1"},
                            {"--val-split 1", "must be at least 0 and below 1"},
                            {"--val-split 0.5 --val 3", "give --val-split or --val, not both"},
                            {"--val-every 3", "--val-every needs --val-split F or --val N"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(args, sizeof args, "train --data %s --batch 10 --no-output %s", path, bad[i][0]);
        expect_error(args, i ? 2 : 1, bad[i][1]);
    }
}
END_TEST

/* The lines of a run that must not depend on where the data is: the log without images/s, the
 * validation and the test results. */
static void results_of(const char *text, char *dst, size_t len)
{
    dst[0] = '\0';
    for (const char *l = text; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (!strncmp(l, "step ", 5) || !strncmp(l, "validation after", 16) ||
            !strncmp(l, "test ", 5) || !strncmp(l, "      ", 6)) {
            const char *cut = strstr(l, "images/s");
            size_t keep = cut && cut < l + n ? (size_t)(cut - l) - 12 : n;
            if (strlen(dst) + keep + 2 < len) {
                strncat(dst, l, keep);
                strcat(dst, "\n");
            }
        }
        l += n + (e != NULL);
    }
}

/* A data set that does not fit beside the network (CLNET_DEVICE_MEMORY) is streamed from the
 * host a batch at a time: the same costs, validation and test results as on the device, in
 * train and eval. */
START_TEST(streamed_data_matches_resident)
{
    write_data_folder(dir, 2000, 1500, 28, 28, 0); /* 2.6 MiB of images */
    char args[8192], resident[1 << 14], streamed[1 << 14];
    snprintf(args, sizeof args, "train --data %s --arch fc16,classifier --batch 50 --epochs 2 "
             "--log-every 1 --val 100 --normalize --augment flip,crop:2 --no-output --save %s/ck",
             dir, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(!strstr(out, "streamed"), "%s", out);
    results_of(out, resident, sizeof resident);
    setenv("CLNET_DEVICE_MEMORY", "2", 1);
    snprintf(args, sizeof args, "train --data %s --arch fc16,classifier --batch 50 --epochs 2 "
             "--log-every 1 --val 100 --normalize --augment flip,crop:2 --no-output", dir);
    int st = run(args);
    unsetenv("CLNET_DEVICE_MEMORY");
    ck_assert_msg(st == 0, "%s", err);
    ck_assert_msg(strstr(out, "data: streamed from host memory a batch at a time"), "%s", out);
    results_of(out, streamed, sizeof streamed);
    ck_assert_msg(strlen(resident) > 2000 && !strcmp(resident, streamed),
                  "resident:\n%s\nstreamed:\n%s", resident, streamed);
    const char *t = strstr(resident, "test cost");
    ck_assert(t != NULL);
    char want[32];
    snprintf(want, sizeof want, "%.28s", t);
    setenv("CLNET_DEVICE_MEMORY", "1", 1); /* the 1.1 MiB of test images do not fit */
    snprintf(args, sizeof args, "eval --data %s --model %s/ck --batch 7", dir, dir);
    st = run(args);
    unsetenv("CLNET_DEVICE_MEMORY");
    ck_assert_msg(st == 0 && strstr(out, "streamed") && strstr(out, want), "%s / %s", out, want);
    setenv("CLNET_DEVICE_MEMORY", "lots", 1);
    snprintf(args, sizeof args, "eval --data %s --model %s/ck", dir, dir);
    st = run(args);
    unsetenv("CLNET_DEVICE_MEMORY");
    ck_assert_msg(st == 1 && strstr(err, "CLNET_DEVICE_MEMORY=lots: not a number of MiB"), "%s",
                  err);
}
END_TEST

/* The decoded cache (CLNET_IMAGE_CACHE=always here; auto writes one after a long decode): the
 * second run reads it and trains the same; a changed image or a corrupt cache rebuilds it. */
START_TEST(decoded_cache_is_used_and_rebuilt)
{
    char args[8192], path[4096], first[64];
    snprintf(path, sizeof path, "%s/img", dir);
    mkdir(path, 0700);
    write_image_folder(path, 40, 20, 8, 8, 3, 2);
    snprintf(path, sizeof path, "%s/cache", dir);
    setenv("CLNET_CACHE_DIR", path, 1);
    setenv("CLNET_IMAGE_CACHE", "always", 1);
    snprintf(args, sizeof args, "train --data %s/img --arch fc8,classifier --batch 10 --steps 3 "
             "--no-output", dir);
    int st = run(args);
    ck_assert_msg(st == 0 && strstr(out, "; kept in the decoded cache ") &&
                  strstr(out, " for next time"), "%s", out);
    snprintf(first, sizeof first, "%.30s", strstr(out, "test cost"));
    st = run(args);
    ck_assert_msg(st == 0 && strstr(out, "decoded: 60 images read from the decoded cache in") &&
                  strstr(out, first), "%s", out);
    /* a changed image: its size and time differ, so the cache is rebuilt */
    uint8_t px[8 * 8 * 3] = {0};
    snprintf(path, sizeof path, "%s/img/train/class-00/img00000.png", dir);
    write_image(path, 8, 8, 3, px);
    st = run(args);
    ck_assert_msg(st == 0 && strstr(out, "; kept in the decoded cache "), "%s", out);
    /* a corrupt cache file: rebuilt, and the run is the same as from the images */
    snprintf(path, sizeof path, "%s/cache", dir);
    DIR *d = opendir(path);
    int corrupted = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') {
            char file[8192];
            snprintf(file, sizeof file, "%s/%s", path, e->d_name);
            FILE *f = fopen(file, "r+b");
            fseek(f, 100, SEEK_SET);
            fputc(0x55, f);
            fclose(f);
            corrupted++;
        }
    if (d)
        closedir(d);
    ck_assert_int_eq(corrupted, 2); /* train/ and test/ */
    st = run(args);
    char rebuilt[64];
    snprintf(rebuilt, sizeof rebuilt, "%.30s", strstr(out, "test cost"));
    ck_assert_msg(st == 0 && strstr(out, "; kept in the decoded cache "), "%s", out);
    setenv("CLNET_IMAGE_CACHE", "off", 1);
    st = run(args);
    ck_assert_msg(st == 0 && !strstr(out, "cache") && strstr(out, rebuilt), "%s", out);
    /* a file that is not a cache where one would go: left as it is, and the run says so */
    snprintf(path, sizeof path, "%s/cache", dir);
    d = opendir(path);
    int foreign = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') {
            char file[8192];
            snprintf(file, sizeof file, "%s/%s", path, e->d_name);
            write_file(file, "mine\n", 5, 0);
            foreign++;
        }
    if (d)
        closedir(d);
    ck_assert_int_eq(foreign, 2);
    setenv("CLNET_IMAGE_CACHE", "always", 1);
    st = run(args);
    ck_assert_msg(st == 0 && strstr(out, "; the decoded cache could not be written: ") &&
                  strstr(out, rebuilt), "%s", out);
    d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') {
            char file[8192], text[64];
            snprintf(file, sizeof file, "%s/%s", path, e->d_name);
            slurp(file, text, sizeof text);
            ck_assert_msg(!strcmp(text, "mine\n"), "%s was written over", file);
        }
    if (d)
        closedir(d);
    setenv("CLNET_IMAGE_CACHE", "sometimes", 1);
    st = run(args);
    unsetenv("CLNET_IMAGE_CACHE");
    unsetenv("CLNET_CACHE_DIR");
    ck_assert_msg(st == 1 && strstr(err, "CLNET_IMAGE_CACHE=sometimes: expected auto, always or off"),
                  "%s", err);
}
END_TEST

START_TEST(batch_beyond_device_memory)
{
    /* At batch 65536 the im2col workspace alone has 2^34.8 floats: beyond every device (and
     * beyond int indexing), so this is refused before any allocation everywhere. */
    write_data_folder(dir, 65536, 10, 28, 28, 0);
    char args[8192];
    snprintf(args, sizeof args, "train --data %s --batch 65536", dir);
    expect_error(args, 1, "the largest batch that fits is");
    ck_assert_msg(strstr(err, "--batch 65536 needs"), "%s", err);
}
END_TEST

/* A stand-in for clblast_tuner_xgemm in the test folder: writes two result files (the second
 * slower) or, with how = "fail" / "none", exits 3 / writes nothing. */
static void fake_tuner(const char *how)
{
    char path[4096], text[2048];
    const char *p = "GEMMK=0 KREG=1 KWG=16 KWI=2 MDIMA=8 MDIMC=8 MWG=32 NDIMB=8 NDIMC=8 NWG=32 "
                    "PRECISION=32 SA=0 SB=0 STRM=0 STRN=0 VWM=2 VWN=2";
    if (!strcmp(how, "fail"))
        snprintf(text, sizeof text, "#!/bin/sh\nexit 3\n");
    else if (!strcmp(how, "none"))
        snprintf(text, sizeof text, "#!/bin/sh\necho tuning $*\n");
    else
        snprintf(text, sizeof text,
                 "#!/bin/sh\necho tuning $*\n"
                 "printf '{\\n  \"best_time\": \"2.50\",\\n  \"best_parameters\": \"%s\"\\n}\\n'"
                 " > clblast_xgemm_1_32.json\n"
                 "printf '{ \"best_time\": \"9.00\", \"best_parameters\": \"%s\" }' | sed s/KWG=16/KWG=32/"
                 " > clblast_xgemm_2_32.json\n", p, p);
    snprintf(path, sizeof path, "%s/clblast_tuner_xgemm", dir);
    write_file(path, text, strlen(text), 0);
    ck_assert_int_eq(chmod(path, 0755), 0);
}

/* A failed tune keeps its work folder for the log it names; the test removes it. */
static void remove_tune_work(void)
{
    const char *at = strstr(err, "its output: ");
    if (!at)
        return;
    char work[4096];
    snprintf(work, sizeof work, "%.*s", (int)strcspn(at + 12, "\n"), at + 12);
    char *slash = strrchr(work, '/');
    if (slash && strstr(work, "/clnet-tune-")) {
        *slash = '\0';
        remove_dir(work);
    }
}

START_TEST(tune_stores_applies_and_checks_parameters)
{
    char args[8192], path[4096], text[4096], *old_path = xstrdup(getenv("PATH"));
    char *old_cache = xstrdup(getenv("CLNET_CACHE_DIR") ? getenv("CLNET_CACHE_DIR") : "");
    snprintf(text, sizeof text, "%s:%s", dir, old_path);
    setenv("PATH", text, 1);
    setenv("CLNET_CACHE_DIR", dir, 1);
    write_data_folder(dir, 200, 100, 28, 28, 1);
    fake_tuner("ok");
    ck_assert_msg(run("tune --size 64") == 0, "%s %s", out, err);
    ck_assert_msg(strstr(out, "2.500 ms, 0.2 GFLOP/s") && strstr(out, "KWG=16"), "%s", out);
    ck_assert_int_eq(run("tune --path"), 0);
    snprintf(path, sizeof path, "%.*s", (int)strcspn(out, "\n"), out);
    ck_assert_msg(strncmp(path, dir, strlen(dir)) == 0, "%s", path);
    slurp(path, text, sizeof text);
    ck_assert_msg(text[0] == '#' && strstr(text, "KWG=16 KWI=2"), "%s", text);
    setenv("CLNET_CONV", "clblast", 1); /* the parameters apply to CLBlast's GEMM */
    snprintf(args, sizeof args, "train --data %s --steps 2 --batch 8 --no-output", dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "parameters of clnet tune: ") && strstr(out, "test cost"), "%s", out);
    unsetenv("CLNET_CONV");
    const char *bad[][2] = {{"# clnet tune\nKWG=16 oops\n", "'oops' is not NAME=VALUE"},
                            {"# clnet tune\nGEMMK=0\n", "KREG is missing"},
                            {"# clnet tune\nKWG=1e3\n", "'KWG=1e3': the value is not a whole number"}};
    for (int i = 0; i < 3; i++) {
        write_file(path, bad[i][0], strlen(bad[i][0]), 0);
        expect_error(args, 1, bad[i][1]);
        ck_assert_msg(strstr(err, path) && strstr(err, "run clnet tune again"), "%s", err);
    }
    /* a file clnet tune did not write: named when it is damaged, never replaced */
    write_file(path, "KWG=16\n", 7, 0);
    expect_error(args, 1, "it was not written by clnet tune: delete it");
    const char *mine = "GEMMK=0 KREG=1 KWG=16 KWI=2 MDIMA=8 MDIMC=8 MWG=32 NDIMB=8 NDIMC=8 "
                       "NWG=32 SA=0 SB=0 STRM=0 STRN=0 VWM=2 VWN=2\n";
    write_file(path, mine, strlen(mine), 0);
    expect_error("tune --size 64", 1, "is not a file of clnet tune; clnet replaces only its own");
    slurp(path, text, sizeof text);
    ck_assert_str_eq(text, mine);
    char *big = xmalloc(100000); /* not read whole into memory, whatever its size */
    memset(big, '#', 100000);
    write_file(path, big, 100000, 0);
    free(big);
    expect_error(args, 1, "File too large");
    unlink(path);
    fake_tuner("fail");
    expect_error("tune", 1, "failed (status 3)");
    remove_tune_work();
    fake_tuner("none");
    expect_error("tune", 1, "wrote no usable result");
    remove_tune_work();
    setenv("PATH", "/nonexistent", 1);
    expect_error("tune", 1, "install Debian's clblast-utils");
    expect_error("tune --size 8", 2, "--size 8");
    remove_tune_work();
    setenv("PATH", old_path, 1);
    setenv("CLNET_CACHE_DIR", old_cache, 1);
    free(old_path), free(old_cache);
}
END_TEST

/* Any network: every layer kind gets its rows, each validated against the plain-C reference. */
START_TEST(bench_any_network)
{
    int code = run("bench --arch pad32,conv8:5x5:s2,avgpool,conv4:valid,pool:3x3:s1,fc20,fc10 "
                   "--repeat 1 --batch 3");
    ck_assert_msg(code == 0 && !strstr(out, "FAILED"), "exit %d\n%s%s", code, out, err);
    const char *rows[] = {"\npad1.fwd ", "\nconv2.bwd-data ", "im2col_t+tiled", "\npool1.bwd ",
                          "avgpool_backward", "\npool2.bwd ", "maxpool_backward", "\nfc1.bwd ",
                          "\nrelu-fc1.fwd ", "\nfc2.fwd ", "histogram capture (5 tensors)"};
    /* nothing below the first conv layer has weights: no gradient of its input, and no pad row */
    ck_assert_msg(!strstr(out, "\nconv1.bwd-data ") && !strstr(out, "\npad1.bwd "), "%s", out);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        ck_assert_msg(strstr(out, rows[i]), "no '%s' in\n%s", rows[i], out);
    expect_error("bench --arch conv8,pol,fc10", 2, "--arch conv8,pol,fc10: layer 2 'pol'");
    /* a filter that matches nothing is refused at once, before the device's limits are measured */
    expect_error("bench --filter nosuchop", 2, "--filter 'nosuchop' matches no op");
    ck_assert_msg(!strstr(err, "measuring"), "%s", err);
    /* any data set's shapes: colour, non-square, another number of classes */
    code = run("bench --arch conv4,pool,classifier --input 12x8x3 --classes 7 --repeat 1 "
               "--batch 2");
    ck_assert_msg(code == 0 && !strstr(out, "FAILED") && strstr(out, "\nconv1.fwd ") &&
                  strstr(out, "\nfc1.fwd "), "exit %d\n%s%s", code, out, err);
    expect_error("bench --input 12x8", 2, "--input '12x8': not WIDTHxHEIGHTxCHANNELS");
    expect_error("bench --classes 1", 2, "--classes 1: must be between 2 and 65535");
}
END_TEST

/* The GEMM tiles of AVX2 and SSE devices (this machine's own is AVX-512's): every conv op of both
 * algorithms validated against the plain-C reference by bench. */
START_TEST(bench_validates_every_gemm_tile)
{
    const char *widths[] = {"8", "4"};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(setenv("CLNET_GEMM_VW", widths[i], 1), 0);
        int code = run("bench --filter conv --batch 3 --repeat 1");
        ck_assert_msg(code == 0 && strstr(out, "conv4.bwd-data") && !strstr(out, "FAILED"),
                      "CLNET_GEMM_VW=%s: exit %d\n%s%s", widths[i], code, out, err);
    }
    unsetenv("CLNET_GEMM_VW");
}
END_TEST

START_TEST(device_choice_errors)
{
    expect_error("train --device 99", 1, "--device 99: no such device");
    expect_error("train --device no-such-device-name", 1, "matches no device");
    ck_assert_int_eq(setenv("CLNET_DEVICE", "nomatch", 1), 0);
    expect_error("train", 1, "CLNET_DEVICE 'nomatch' matches no device");
    unsetenv("CLNET_DEVICE");
    ck_assert_int_eq(setenv("CLNET_CONV", "fast", 1), 0);
    expect_error("train", 1, "CLNET_CONV=fast: expected tiled, clblast or auto");
    unsetenv("CLNET_CONV");
    ck_assert_int_eq(setenv("CLNET_GEMM_VW", "32", 1), 0);
    expect_error("train", 1, "CLNET_GEMM_VW=32: expected 4, 8 or 16");
    unsetenv("CLNET_GEMM_VW");
    ck_assert_int_eq(run("devices"), 0);
    ck_assert_msg(strstr(out, "OpenCL C") && strstr(out, "\n0 "), "devices: %s", out);
}
END_TEST

/* Every flag a command's --help lists is one its parser takes (help and parser are one table
 * each: this checks the generator and the parser agree), and the key words are there. */
static void check_help_flags(const char *cmd, int min_flags)
{
    char args[512];
    static char help[sizeof out];
    snprintf(args, sizeof args, "%s --help", cmd);
    ck_assert_int_eq(run(args), 0);
    snprintf(help, sizeof help, "%s", out);
    int n = 0;
    for (const char *l = help; (l = strstr(l, "\n  --")); l++) {
        char name[64];
        const char *p = l + 3;
        size_t len = strcspn(p, " \n");
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        if (!strcmp(name, "--help"))
            continue;
        int takes_value = p[len] == ' ' && p[len + 1] != ' ';
        snprintf(args, sizeof args, "%s %s%s", cmd, name, takes_value ? "" : " --no-such-flag");
        int code = run(args);
        ck_assert_msg(code == 2 && strstr(err, takes_value ? "needs a value"
                                                          : "unknown flag '--no-such-flag'"),
                      "'%s' of %s --help: the parser does not take it as shown: %s", name, cmd,
                      err);
        n++;
    }
    ck_assert_msg(n >= min_flags, "%s --help lists %d flags", cmd, n);
}

START_TEST(help_lists_every_flag)
{
    check_help_flags("train", 35);
    check_help_flags("eval", 6);
    check_help_flags("bench", 8);
    check_help_flags("tune", 4);
    check_help_flags("study init", 20);
    check_help_flags("study optim", 27);
    ck_assert_int_eq(run("train --help"), 0);
    const char *words[] = {"--data", "--steps", "--epochs", "--batch", "--lr", "--init ",
                           "--init-scale", "--seed", "--no-shuffle", "--log-every", "--device",
                           "--kernels", "--out", "--no-output", "--hist-every", "--hist-range",
                           "--hist-bins", "--hist-log", "--hist-grads", "--check-finite",
                           "--test-images", "--save", "--save-every", "--resume", "--mpi-timeout",
                           "--optimizer", "--momentum", "--beta1", "--beta2", "--eps",
                           "--weight-decay", "--lr-schedule", "--lr-decay", "--lr-decay-every",
                           "--arch", "ltfn", "mlp", "vgg", "avgpool", ":valid", "padN", "[100]",
                           "[0.01]", "[/usr/share/datasets/fashion-mnist]", "Exit status"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        ck_assert_msg(strstr(out, words[i]) != NULL, "train --help does not mention %s", words[i]);
    ck_assert_int_eq(run("help"), 0);
    ck_assert(strstr(out, "devices") != NULL && strstr(out, "bench") != NULL);
}
END_TEST

/* The log lines without their images/s column. */
static void costs_only(const char *text, char *dst, size_t len)
{
    dst[0] = '\0';
    for (const char *l = text; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (strncmp(l, "step ", 5) == 0 || strncmp(l, "test cost", 9) == 0) {
            const char *cut = strstr(l, "%  ");
            size_t keep = cut && cut < l + n ? (size_t)(cut - l) : n;
            strncat(dst, l, keep < len - strlen(dst) - 2 ? keep : 0);
            strcat(dst, "\n");
        }
        l += n + (e != NULL);
    }
}

START_TEST(same_seed_same_costs)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], first[4096], second[4096];
    snprintf(args, sizeof args, "train --data %s --batch 50 --steps 4 --log-every 1 --lr 0.05 "
             "--no-output", dir);
    ck_assert_msg(run(args) == 0, "run failed: %s", err);
    ck_assert_msg(strstr(out, "step      3") && strstr(out, "test cost"), "output: %s", out);
    ck_assert_msg(strstr(out, "layer4") && strstr(out, "device:"), "no network summary: %s", out);
    costs_only(out, first, sizeof first);
    ck_assert_msg(run(args) == 0, "run failed: %s", err);
    costs_only(out, second, sizeof second);
    ck_assert_msg(strlen(first) > 100, "too little output: %s", first);
    ck_assert_str_eq(first, second);
}
END_TEST

START_TEST(divergence_exits_3)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192];
    snprintf(args, sizeof args, "train --data %s --batch 50 --steps 4 --log-every 10 --init normal "
             "--lr 1000 --hist-every 0 --out %s/out", dir, dir);
    expect_error(args, 3, "training stopped");
    ck_assert_msg(strstr(err, ": step ") && strstr(err, "the cost is"), "err: %s", err);
    ck_assert_msg(strstr(out, "test cost") == NULL, "must stop before the test pass: %s", out);
    /* the diagnosis names a tensor, and the histograms of that step are written */
    ck_assert_msg(strstr(err, "first non-finite values in "), "err: %s", err);
    long step = strtol(strstr(err, ": step ") + 7, NULL, 10);
    char path[4096];
    snprintf(path, sizeof path, "%s/out/hist/step%06ld-layer1_conv.png", dir, step);
    ck_assert_msg(access(path, R_OK) == 0, "no %s", path);
    snprintf(path, sizeof path, "%s/out/index.html", dir);
    ck_assert_msg(access(path, R_OK) == 0, "no %s", path);

    /* --check-finite stops at the first tensor, which it names */
    snprintf(args, sizeof args, "train --data %s --batch 50 --steps 4 --log-every 10 --init normal "
             "--lr 1000 --check-finite --no-output", dir);
    expect_error(args, 3, "first non-finite values in ");
}
END_TEST

/* Every <img src="..."> of an index.html: exists and decodes as a PNG with something drawn. */
static int check_report_images(const char *folder, const char *html)
{
    int n = 0;
    for (const char *p = strstr(html, "<img"); p; p = strstr(p + 1, "<img")) {
        const char *src = strstr(p, "src=\"");
        ck_assert_msg(src != NULL, "img without src");
        src += 5;
        char rel[512], path[8192];
        snprintf(rel, sizeof rel, "%.*s", (int)(strchr(src, '"') - src), src);
        snprintf(path, sizeof path, "%s/%s", folder, rel);
        int w, h, c;
        unsigned char *px = stbi_load(path, &w, &h, &c, 3);
        ck_assert_msg(px != NULL, "%s does not decode: %s", path, stbi_failure_reason());
        ck_assert_msg(w >= 400 && h >= 200, "%s is %dx%d", path, w, h);
        long dark = 0;
        for (long i = 0; i < (long)w * h * 3; i++)
            dark += px[i] < 128;
        ck_assert_msg(dark > 500, "%s is almost blank", path);
        stbi_image_free(px);
        n++;
    }
    return n;
}

START_TEST(report_shows_every_image)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], path[8192], folder[4096];
    static char html[1 << 20];
    snprintf(folder, sizeof folder, "%s/run", dir);
    snprintf(args, sizeof args, "train --data %s --batch 20 --steps 3 --log-every 1 --hist-every 2 "
             "--hist-range shared --out %s", dir, folder);
    ck_assert_msg(run(args) == 0, "run failed: %s", err);
    /* the table at each capture, in network order */
    const char *rows[] = {"histograms at step 0:", "layer1_conv", "layer4_conv", "logits",
                          "predictions", "histograms at step 2:"};
    const char *p = out;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        p = strstr(p, rows[i]);
        ck_assert_msg(p != NULL, "no '%s' in order in: %s", rows[i], out);
    }
    ck_assert_msg(strstr(out, "report: ") && strstr(out, "/run/index.html"), "%s", out);
    snprintf(path, sizeof path, "%s/index.html", folder);
    slurp(path, html, sizeof html);
    ck_assert_msg(strstr(html, "</html>") && strstr(html, "<svg"), "index.html: %.300s", html);
    /* 2 captures x (6 tensors + 1 sheet) + 6 over-time images + the confusion matrix */
    ck_assert_int_eq(check_report_images(folder, html), 21);
    snprintf(path, sizeof path, "%s/metrics.csv", folder);
    slurp(path, html, sizeof html);
    ck_assert_msg(strncmp(html, "step,epoch,cost,accuracy,images_per_s\n0,1,", 42) == 0, "%s", html);
    ck_assert_msg(strstr(html, "\n2,1,") != NULL, "metrics.csv: %s", html);
    /* an existing non-empty folder is refused, and left as it was */
    expect_error(args, 1, "folder is not empty");
    ck_assert(access(path, R_OK) == 0);
}
END_TEST

START_TEST(study_init_table_and_figure)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], path[8192];
    static char html[1 << 16];
    snprintf(args, sizeof args, "study init --data %s --steps 2 --batch 10 --out %s/study", dir, dir);
    ck_assert_msg(run(args) == 0, "study failed: %s", err);
    /* the original's table, then the step-0 ranges with the three inits side by side */
    const char *want[] = {"init", "test cost", "normal", "1e-07", "scaled", "he", "0.01",
                          "step-0 ranges", "layer1_conv", "layer4_conv", "logits", "predictions",
                          "layer4/layer1", "report: "};
    const char *p = strstr(out, "\ninit ");
    ck_assert_msg(p != NULL, "no table: %s", out);
    expect_in_order(p, want, sizeof want / sizeof *want);
    snprintf(path, sizeof path, "%s/study/index.html", dir);
    slurp(path, html, sizeof html);
    snprintf(path, sizeof path, "%s/study", dir);
    ck_assert_int_eq(check_report_images(path, html), 1);
    const char *runs[] = {"normal", "scaled", "he"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/study/%s/index.html", dir, runs[i]);
        ck_assert_msg(access(path, R_OK) == 0, "no %s", path);
    }
}
END_TEST

START_TEST(study_init_mlp_row)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192];
    snprintf(args, sizeof args, "study init --data %s --arch mlp --inits normal,he --steps 2 "
             "--batch 10 --no-output", dir);
    ck_assert_msg(run(args) == 0, "study failed: %s", err);
    const char *want[] = {"network mlp = fc500,fc500,fc10", "normal", "0.0001", "he", "0.01",
                          "step-0 ranges", "fc1", "fc2", "logits", "fc2/fc1"};
    const char *p = strstr(out, "\nnetwork mlp");
    ck_assert_msg(p != NULL, "no table: %s", out);
    expect_in_order(p, want, sizeof want / sizeof *want);
}
END_TEST

START_TEST(study_optim_table_and_plot)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], path[8192];
    static char html[1 << 16];
    snprintf(args, sizeof args, "study optim --data %s --arch conv4,avgpool,fc10 --steps 3 "
             "--batch 10 --out %s/study", dir, dir);
    ck_assert_msg(run(args) == 0, "study failed: %s", err);
    const char *want[] = {"network conv4,avgpool,fc10", "optimizer", "final cost", "test cost",
                          "sgd", "0.01", "momentum", "0.01", "adam", "0.001", "report: "};
    const char *p = strstr(out, "\nnetwork ");
    ck_assert_msg(p != NULL, "no table: %s", out);
    expect_in_order(p, want, sizeof want / sizeof *want);
    snprintf(path, sizeof path, "%s/study/index.html", dir);
    slurp(path, html, sizeof html);
    ck_assert_msg(strstr(html, "study-optim.png") != NULL, "no plot in %s", path);
    snprintf(path, sizeof path, "%s/study", dir);
    ck_assert_int_eq(check_report_images(path, html), 1);
    const char *runs[] = {"sgd-0.01", "momentum-0.01", "adam-0.001"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/study/%s/index.html", dir, runs[i]);
        ck_assert_msg(access(path, R_OK) == 0, "no %s", path);
    }
}
END_TEST

START_TEST(output_and_platform_faults)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], path[4096];
    snprintf(path, sizeof path, "%s/afile", dir);
    write_file(path, "x", 1, 0);
    snprintf(args, sizeof args, "train --data %s --steps 1 --out %s", dir, path);
    expect_error(args, 1, "exists and is not a folder");
    snprintf(args, sizeof args, "train --data %s --steps 1 --out %s/sub", dir, path);
    expect_error(args, 1, "cannot create folder");
    snprintf(args, sizeof args, "train --data %s --steps 1 --no-output --save %s/no/such/ck", dir, dir);
    expect_error(args, 1, "/no/such/ck: cannot write there: No such file or directory");
    snprintf(args, sizeof args, "train --data %s --steps 1 --resume %s/none", dir, dir);
    expect_error(args, 1, "none: cannot open");
    /* no OpenCL platform at all: say which package to install */
    snprintf(args, sizeof args, "%s/no-icd", dir);
    mkdir(args, 0700);
    ck_assert_int_eq(setenv("OCL_ICD_VENDORS", args, 1), 0);
    int code = run("devices");
    unsetenv("OCL_ICD_VENDORS");
    ck_assert_msg(code == 1 && strstr(err, "pocl-opencl-icd"), "exit %d: %s", code, err);
}
END_TEST

START_TEST(kernel_build_failure_prints_log)
{
    char args[8192], path[4096];
    snprintf(args, sizeof args, "cp kernels/*.cl %s/", dir);
    ck_assert_int_eq(system(args), 0);
    snprintf(path, sizeof path, "%s/relu.cl", dir);
    FILE *f = fopen(path, "a");
    fputs("\n__kernel void broken(__global float *x) { x[0] = undeclared_name; }\n", f);
    fclose(f);
    snprintf(args, sizeof args, "train --kernels %s --data assets/mnist-sample", dir);
    int code = run(args);
    ck_assert_int_eq(code, 1);
    ck_assert_msg(strstr(err, "build log of kernels/relu.cl") && strstr(err, "undeclared_name"),
                  "no build log: %s", err);
    ck_assert_msg(strstr(err, "CL_BUILD_PROGRAM_FAILURE"), "%s", err);
}
END_TEST

START_TEST(json_checker_is_strict)
{
    ck_assert(json_valid("{\"a\": [1, -2.5e3, true, null, \"x\\n\"], \"b\": {}}"));
    const char *bad[] = {"{", "{\"a\": nan}", "[1,]", "{\"a\" 1}", "01", "[inf]", "\"\t\"", "{} x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!json_valid(bad[i]), "accepted %s", bad[i]);
}
END_TEST

/* The number after `"key": ` in the JSON object that has `"op": "<op>"`. */
static double json_field(const char *json, const char *op, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"op\": \"%s\"", op);
    const char *o = strstr(json, pat);
    ck_assert_msg(o != NULL, "no %s in the JSON", op);
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *k = strstr(o, pat);
    ck_assert_msg(k != NULL && k < strchr(o, '}'), "no %s for %s", key, op);
    return strtod(k + strlen(pat), NULL);
}

/* Column `col` (0 = min ms) of the table row of op. */
static double table_field(const char *table, const char *op, int col)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s ", op);
    const char *l = strstr(table, pat);
    ck_assert_msg(l != NULL, "no %s in the table: %s", op, table);
    const char *p = l + 1 + 18 + 1 + 30 + 1; /* past the op and variant columns */
    double v = 0;
    for (int i = 0; i <= col; i++)
        v = strtod(p, (char **)&p);
    return v;
}

START_TEST(bench_json_csv_and_table_agree)
{
    char args[8192], path[4096];
    static char json[1 << 16], csv[1 << 14];
    snprintf(args, sizeof args, "bench --filter relu1 --repeat 2 --batch 20 --json %s/b.json --csv %s/b.csv",
             dir, dir);
    ck_assert_msg(run(args) == 0, "bench failed: %s", err);
    snprintf(path, sizeof path, "%s/b.json", dir);
    slurp(path, json, sizeof json);
    snprintf(path, sizeof path, "%s/b.csv", dir);
    slurp(path, csv, sizeof csv);
    ck_assert_msg(json_valid(json), "bench JSON does not parse: %s", json);
    ck_assert_msg(strstr(out, "peak") && strstr(out, "FMA") && strstr(out, "CLBlast"), "%s", out);
    const char *ops[] = {"relu1.fwd", "relu1.bwd"};
    for (int i = 0; i < 2; i++) {
        double jmin = json_field(json, ops[i], "min_ms"), tmin = table_field(out, ops[i], 0);
        double jmed = json_field(json, ops[i], "med_ms"), tmed = table_field(out, ops[i], 1);
        ck_assert_msg(jmin > 0 && fabs(jmin - tmin) < 6e-4, "%s min: json %g table %g", ops[i], jmin, tmin);
        ck_assert_msg(fabs(jmed - tmed) < 6e-4, "%s med: json %g table %g", ops[i], jmed, tmed);
        char line[128];
        snprintf(line, sizeof line, "\n%s,", ops[i]);
        ck_assert_msg(strstr(csv, line) != NULL, "csv: %s", csv);
    }
    ck_assert_msg(strncmp(csv, "op,variant,used,status", 22) == 0, "csv header: %s", csv);
    ck_assert_msg(strstr(json, "\"status\": \"FAILED\"") == NULL, "%s", json);
}
END_TEST

START_TEST(bench_reports_a_broken_kernel_as_failed)
{
    char args[8192];
    snprintf(args, sizeof args,
             "cp kernels/*.cl %s/ && sed -i 's/a\\[i\\] = v < 0.0f ? 0.0f : v;/a[i] = v < 0.0f ? 0.0f : 1.001f * v;/' %s/relu.cl && grep -q 1.001f %s/relu.cl",
             dir, dir, dir);
    ck_assert_int_eq(system(args), 0);
    snprintf(args, sizeof args, "bench --kernels %s --filter relu --repeat 1 --batch 10", dir);
    int code = run(args);
    ck_assert_msg(code == 1, "exit %d: %s %s", code, out, err);
    ck_assert_msg(strstr(out, "relu1.fwd") && strstr(out, "FAILED"), "%s", out);
    ck_assert_msg(strstr(strstr(out, "relu1.bwd"), "ok ("), "the intact kernel must pass: %s", out);
    ck_assert_msg(strstr(err, "FAILED validation"), "%s", err);
}
END_TEST

Suite *suite_cli(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 900);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bad_flags);
    tcase_add_test(tc, bad_data_folders);
    tcase_add_test(tc, device_choice_errors);
    tcase_add_test(tc, batch_beyond_device_memory);
    tcase_add_test(tc, own_shapes_and_classes);
    tcase_add_test(tc, cifar_trains_and_evaluates);
    tcase_add_test(tc, image_folder_trains_and_evaluates);
    tcase_add_test(tc, normalize_and_augment);
    tcase_add_test(tc, predict_agrees_with_eval);
    tcase_add_test(tc, class_names_and_per_class_results);
    tcase_add_test(tc, validation_split);
    tcase_add_test(tc, streamed_data_matches_resident);
    tcase_add_test(tc, decoded_cache_is_used_and_rebuilt);
    tcase_add_test(tc, help_lists_every_flag);
    tcase_add_test(tc, same_seed_same_costs);
    tcase_add_test(tc, divergence_exits_3);
    tcase_add_test(tc, report_shows_every_image);
    tcase_add_test(tc, study_init_table_and_figure);
    tcase_add_test(tc, study_init_mlp_row);
    tcase_add_test(tc, study_optim_table_and_plot);
    tcase_add_test(tc, output_and_platform_faults);
    tcase_add_test(tc, kernel_build_failure_prints_log);
    tcase_add_test(tc, json_checker_is_strict);
    tcase_add_test(tc, bench_json_csv_and_table_agree);
    tcase_add_test(tc, bench_reports_a_broken_kernel_as_failed);
    tcase_add_test(tc, tune_stores_applies_and_checks_parameters);
    tcase_add_test(tc, bench_validates_every_gemm_tile);
    tcase_add_test(tc, bench_any_network);
    tcase_add_test(tc, export_writes_and_refuses);
    suite_add_tcase(s, tc);
    return s;
}
