/* idxfile.c: test helpers that write IDX files and data folders. */
#define _POSIX_C_SOURCE 200809L
#include "idxfile.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "stb_image_write.h" /* the implementation is plot.c's (without stdio: the _to_func forms) */

#include "clnet/data.h"
#include "clnet/util.h"

char *temp_dir(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *path = xmalloc(strlen(base) + 32);
    sprintf(path, "%s/clnet-test-XXXXXX", base);
    ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp %s", path);
    return path;
}

void write_file(const char *path, const void *bytes, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        ck_assert_msg(f != NULL, "gzopen %s", path);
        ck_assert(n == 0 || gzwrite(f, bytes, (unsigned)n) == (int)n);
        ck_assert(gzclose(f) == Z_OK);
        return;
    }
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "fopen %s", path);
    ck_assert(fwrite(bytes, 1, n, f) == n);
    ck_assert(fclose(f) == 0);
}

size_t idx_header(uint8_t *out, uint8_t type, uint8_t rank, const uint32_t *dims)
{
    out[0] = 0, out[1] = 0, out[2] = type, out[3] = rank;
    for (int i = 0; i < rank; i++) {
        out[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        out[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        out[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        out[7 + 4 * i] = (uint8_t)dims[i];
    }
    return 4 + 4 * (size_t)rank;
}

static void write_split(const char *dir, const char *split, int count, int rows, int cols, int gz,
                        const dataset *real)
{
    size_t pix = (size_t)rows * cols;
    uint8_t *buf = xmalloc(16 + (size_t)count * pix);
    uint32_t dims[3] = {(uint32_t)count, (uint32_t)rows, (uint32_t)cols};
    size_t h = idx_header(buf, 0x08, 3, dims);
    uint8_t *labels = xmalloc(8 + (size_t)count);
    size_t lh = idx_header(labels, 0x08, 1, dims);
    for (int i = 0; i < count; i++) {
        int from_real = real && i < real->count;
        labels[lh + i] = from_real ? (uint8_t)real->labels[i] : (uint8_t)(i % 10);
        for (size_t p = 0; p < pix; p++)
            buf[h + i * pix + p] = from_real ? real->pixels[i * pix + p]
                                             : (uint8_t)((p * 7 + (size_t)i * 13) % 256);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte%s", dir, split, gz ? ".gz" : "");
    write_file(path, buf, h + (size_t)count * pix, gz);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte%s", dir, split, gz ? ".gz" : "");
    write_file(path, labels, lh + (size_t)count, gz);
    free(buf), free(labels);
}

void write_data_folder(const char *dir, int ntrain, int ntest, int rows, int cols, int gz)
{
    dataset real = {0}, *src = NULL;
    char err[512];
    if (rows == 28 && cols == 28 && dataset_load("assets/mnist-sample", "train", &real, err, sizeof err) == 0)
        src = &real;
    write_split(dir, "train", ntrain, rows, cols, gz, src);
    dataset rest = {0};
    if (src) {
        rest = (dataset){.count = real.count - ntrain, .rows = 28, .cols = 28,
                         .pixels = real.pixels + (size_t)ntrain * 784, .labels = real.labels + ntrain};
        src = &rest;
    }
    write_split(dir, "t10k", ntest, rows, cols, gz, src);
    if (src)
        dataset_free(&real);
}

void write_shaped_folder(const char *dir, int ntrain, int ntest, int rows, int cols, int channels,
                         int classes)
{
    const char *split[] = {"train", "t10k"};
    int count[] = {ntrain, ntest};
    int wide = classes > 256; /* labels as shorts (0x0B) */
    for (int s = 0; s < 2; s++) {
        int n = count[s];
        size_t image = (size_t)rows * cols * channels;
        uint8_t *px = xmalloc(20 + (size_t)n * image), *lab = xmalloc(8 + (size_t)n * 2);
        uint32_t dims[4] = {(uint32_t)n, (uint32_t)rows, (uint32_t)cols, (uint32_t)channels};
        size_t h = idx_header(px, 0x08, 4, dims), lh = idx_header(lab, wide ? 0x0B : 0x08, 1, dims);
        for (int i = 0; i < n; i++) {
            int k = (i + s) % classes; /* every class, when n >= classes; it shows in the pixels */
            for (size_t p = 0; p < image; p++)
                px[h + (size_t)i * image + p] = (uint8_t)((k * 53 + (int)(p % channels) * 90 +
                                                           (int)(p / channels) * (k % 5)) % 256);
            if (wide)
                lab[lh + 2 * i] = (uint8_t)(k >> 8), lab[lh + 2 * i + 1] = (uint8_t)k;
            else
                lab[lh + i] = (uint8_t)k;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s-images-idx4-ubyte.gz", dir, split[s]);
        write_file(path, px, h + (size_t)n * image, 1);
        snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, split[s]);
        write_file(path, lab, lh + (size_t)n * (wide ? 2 : 1), 1);
        free(px), free(lab);
    }
}

/* One CIFAR record: label byte(s), then three 32x32 planes that show the class. */
static void cifar_record(uint8_t *r, int version, int label, int coarse)
{
    int lb = version == 100 ? 2 : 1;
    if (version == 100)
        r[0] = (uint8_t)coarse;
    r[lb - 1] = (uint8_t)label;
    for (int c = 0; c < 3; c++)
        for (int p = 0; p < 1024; p++)
            r[lb + c * 1024 + p] = (uint8_t)((label * 37 + c * 80 + (p % 32) * (label % 3)) % 256);
}

void write_cifar(const char *dir, int version, int nbatches, int per_batch, int ntest)
{
    int lb = version == 100 ? 2 : 1, classes = version == 100 ? 100 : 10;
    size_t rec = (size_t)lb + 3072;
    char path[4096];
    for (int b = 0; b <= nbatches; b++) { /* b == nbatches: the test set */
        int n = b == nbatches ? ntest : per_batch;
        uint8_t *buf = xmalloc((size_t)n * rec);
        for (int i = 0; i < n; i++)
            cifar_record(buf + (size_t)i * rec, version, (i + b) % classes, (i + b) % 20);
        if (version == 100)
            snprintf(path, sizeof path, "%s/%s.bin", dir, b == nbatches ? "test" : "train");
        else if (b == nbatches)
            snprintf(path, sizeof path, "%s/test_batch.bin", dir);
        else
            snprintf(path, sizeof path, "%s/data_batch_%d.bin", dir, b + 1);
        write_file(path, buf, (size_t)n * rec, 0);
        free(buf);
        if (version == 100 && b == 0) /* CIFAR-100: one training file */
            b = nbatches - 1;
    }
    char names[4096] = "";
    for (int k = 0; k < classes; k++) {
        size_t at = strlen(names);
        if (version == 10)
            snprintf(names + at, sizeof names - at, "%s\n", (const char *[]){"airplane",
                     "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                     "truck"}[k]);
        else
            snprintf(names + at, sizeof names - at, "fine %d\r\n", k); /* blanks, CR, as shipped */
    }
    strcat(names, "\n\n");
    snprintf(path, sizeof path, "%s/%s", dir, version == 100 ? "fine_label_names.txt"
                                                               : "batches.meta.txt");
    write_file(path, names, strlen(names), 0);
}

void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            remove_dir(path), rmdir(path);
    }
    closedir(d);
    rmdir(dir);
}

static void to_file(void *f, void *data, int n)
{
    ck_assert(fwrite(data, 1, (size_t)n, f) == (size_t)n);
}

void write_image(const char *path, int w, int h, int channels, const uint8_t *px)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "fopen %s", path);
    const char *ext = strrchr(path, '.');
    int ok = !strcmp(ext, ".bmp") ? stbi_write_bmp_to_func(to_file, f, w, h, channels, px)
             : stbi_write_png_to_func(to_file, f, w, h, channels, px, w * channels);
    ck_assert_msg(ok && fclose(f) == 0, "writing %s", path);
}

void image_pattern(uint8_t *px, int w, int h, int channels, int k)
{
    for (int p = 0; p < w * h; p++)
        for (int c = 0; c < channels; c++)
            px[p * channels + c] = (uint8_t)((k * 53 + c * 90 + p * (k % 5 + 1)) % 256);
}

void write_image_folder(const char *dir, int ntrain, int ntest, int w, int h, int channels,
                        int classes)
{
    const char *split[] = {"train", "test"};
    int count[] = {ntrain, ntest};
    uint8_t *px = xmalloc((size_t)w * h * channels);
    char path[4096];
    for (int s = 0; s < 2; s++) {
        snprintf(path, sizeof path, "%s/%s", dir, split[s]);
        mkdir(path, 0700);
        for (int i = 0; i < count[s]; i++) {
            int k = i % classes;
            snprintf(path, sizeof path, "%s/%s/class-%02d", dir, split[s], k);
            mkdir(path, 0700);
            image_pattern(px, w, h, channels, k);
            snprintf(path, sizeof path, "%s/%s/class-%02d/img%05d.png", dir, split[s], k, i);
            write_image(path, w, h, channels, px);
        }
    }
    free(px);
}
