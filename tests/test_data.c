/* test_data.c: the readers (IDX raw and gzip, CIFAR, image folders) on valid data and on every
 * malformed kind. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "clnet/confusion.h"
#include "clnet/data.h"
#include "clnet/imgcache.h"
#include "clnet/tfevents.h"
#include "tensorboard.pb-c.h"
#include "clnet/util.h"
#include "idxfile.h"
#include "helpers.h"

static char *dir;

static void setup(void)
{
    dir = temp_dir();
}

static void teardown(void)
{
    remove_dir(dir);
    free(dir);
}

START_TEST(valid_folder_raw_and_gzip)
{
    for (int gz = 0; gz <= 1; gz++) {
        char *d = temp_dir();
        write_data_folder(d, 30, 12, 28, 28, gz);
        dataset tr, te;
        char err[512] = "";
        ck_assert_msg(dataset_load(d, "train", &tr, err, sizeof err) == 0, "%s", err);
        ck_assert_msg(dataset_load(d, "t10k", &te, err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(tr.count, 30);
        ck_assert_int_eq(te.count, 12);
        ck_assert_int_eq(tr.rows, 28);
        ck_assert_int_eq(tr.cols, 28);
        float px[784 * 2];
        dataset_to_float(&tr, 1, 2, px);
        for (int i = 0; i < 784 * 2; i++) {
            ck_assert(px[i] >= 0.0f && px[i] <= 1.0f);
            ck_assert_float_eq(px[i], tr.pixels[784 + i] / 255.0f);
        }
        dataset_free(&tr), dataset_free(&te);
        remove_dir(d);
        free(d);
    }
}
END_TEST

START_TEST(shipped_mnist_sample_loads)
{
    dataset tr, te;
    char err[512] = "";
    ck_assert_msg(dataset_load("assets/mnist-sample", "train", &tr, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(dataset_load("assets/mnist-sample", "t10k", &te, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tr.count, 8000);
    ck_assert_int_eq(te.count, 2000);
    ck_assert(tr.classes == 10 && te.classes == 10 && tr.channels == 1);
    int seen[10] = {0};
    for (int i = 0; i < tr.count; i++)
        seen[tr.labels[i]]++;
    for (int k = 0; k < 10; k++)
        ck_assert_msg(seen[k] > 500, "class %d has only %d examples", k, seen[k]);
    dataset_free(&tr), dataset_free(&te);
}
END_TEST

/* Writes bytes as <dir>/f (gzip when gz) and checks idx_read fails naming the file and the
 * problem. */
static void expect_idx_error(const uint8_t *bytes, size_t n, int gz, int rank, const char *want)
{
    char path[4096], err[512] = "";
    snprintf(path, sizeof path, "%s/f", dir);
    write_file(path, bytes, n, gz);
    idx_shape dims;
    uint8_t *data = (uint8_t *)1;
    ck_assert_int_eq(idx_read(path, rank, &dims, &data, err, sizeof err), -1);
    ck_assert_ptr_null(data);
    ck_assert_msg(strstr(err, path) != NULL, "error does not name the file: %s", err);
    ck_assert_msg(strstr(err, want) != NULL, "expected '%s' in: %s", want, err);
    ck_assert_msg(strchr(err, '\n') == NULL, "error is not one line: %s", err);
}

START_TEST(malformed_headers)
{
    uint8_t b[64];
    uint32_t dims[3] = {2, 3, 3};
    for (int gz = 0; gz <= 1; gz++) {
        expect_idx_error(b, 0, gz, 3, "empty file");
        idx_header(b, 0x08, 3, dims);
        expect_idx_error(b, 9, gz, 3, "too short for an IDX header");
        memcpy(b, "\x12\x34\x08\x03", 4);
        expect_idx_error(b, 16, gz, 3, "not an IDX file");
        idx_header(b, 0x0D, 3, dims); /* float data */
        expect_idx_error(b, 16, gz, 3, "unsupported IDX type code 0x0d");
        memset(b, 0, sizeof b);
        idx_header(b, 0x08, 1, dims);
        expect_idx_error(b, 16, gz, 3, "IDX rank 1, expected 3");
        idx_header(b, 0x08, 3, (uint32_t[]){0, 3, 3});
        expect_idx_error(b, 16, gz, 3, "dimension 0 is zero");
        idx_header(b, 0x08, 3, (uint32_t[]){2, 0, 3});
        expect_idx_error(b, 16, gz, 3, "dimension 1 is zero");
        idx_header(b, 0x08, 3, (uint32_t[]){0xffffffffu, 28, 28});
        expect_idx_error(b, 16, gz, 3, "absurd");
        idx_header(b, 0x08, 3, (uint32_t[]){2, 5000, 28});
        expect_idx_error(b, 16, gz, 3, "larger than");
        idx_header(b, 0x08, 3, (uint32_t[]){2000000000u, 1024, 1024});
        expect_idx_error(b, 16, gz, 3, "more than 4 GiB");
    }
}
END_TEST

START_TEST(malformed_payloads)
{
    uint8_t b[16 + 18 + 5] = {0};
    uint32_t dims[3] = {2, 3, 3};
    size_t h = idx_header(b, 0x08, 3, dims);
    for (int gz = 0; gz <= 1; gz++) {
        expect_idx_error(b, h + 17, gz, 3, "truncated: the header promises 18 bytes of data, the file has 17");
        expect_idx_error(b, h + 20, gz, 3, "has data after the 18 bytes");
    }
}
END_TEST

START_TEST(corrupt_and_truncated_gzip)
{
    char path[4096];
    uint8_t b[16 + 2 * 28 * 28];
    size_t h = idx_header(b, 0x08, 3, (uint32_t[]){2, 28, 28});
    for (size_t i = h; i < sizeof b; i++)
        b[i] = (uint8_t)(i * 31);
    snprintf(path, sizeof path, "%s/good.gz", dir);
    write_file(path, b, sizeof b, 1);
    FILE *f = fopen(path, "rb");
    uint8_t z[4096];
    size_t n = fread(z, 1, sizeof z, f);
    fclose(f);
    ck_assert(n > 40);
    expect_idx_error(z, n - 12, 0, 3, "gzip"); /* cut inside the stream */
    z[n - 6] ^= 0xff;                         /* wrong CRC / length trailer */
    expect_idx_error(z, n, 0, 3, "gzip");
    z[n - 6] ^= 0xff;
    z[n / 2] ^= 0x55; /* damage inside the deflate data */
    expect_idx_error(z, n, 0, 3, "");
}
END_TEST

START_TEST(missing_files_and_directories)
{
    char path[4096], err[512];
    idx_shape dims;
    uint8_t *data;
    snprintf(path, sizeof path, "%s/nothing-here", dir);
    ck_assert_int_eq(idx_read(path, IDX_IMAGES, &dims, &data, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "cannot open") != NULL, "%s", err);
    ck_assert_int_eq(idx_read(dir, IDX_IMAGES, &dims, &data, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "is a folder, not a regular file") != NULL, "%s", err);

    dataset d;
    ck_assert_int_eq(dataset_load(path, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "missing train-images-idx3-ubyte[.gz]") != NULL, "%s", err);
    write_data_folder(dir, 4, 4, 5, 5, 0);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    unlink(path);
    mkdir(path, 0700); /* a directory where a file should be */
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "is a folder, not a regular file") != NULL, "%s", err);
}
END_TEST

START_TEST(labels_out_of_range_and_disagreeing_counts)
{
    char path[4096], err[512];
    dataset d;
    write_data_folder(dir, 6, 4, 5, 5, 1);
    uint8_t lab[8 + 6 * 4];
    /* labels of ints (0x0C, big-endian): the classes are 1 + the largest, up to 65535 */
    size_t h = idx_header(lab, 0x0C, 1, (uint32_t[]){6});
    memset(lab + h, 0, 6 * 4);
    lab[h + 4 * 4 + 2] = 0x12, lab[h + 4 * 4 + 3] = 0x34; /* label 4 is 4660 */
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    write_file(path, lab, h + 6 * 4, 1);
    ck_assert_msg(dataset_load(dir, "train", &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.classes == 4661 && d.labels[4] == 4660 && d.labels[5] == 0);
    dataset_free(&d);
    lab[h + 4 * 4 + 1] = 0x01; /* 70196 */
    write_file(path, lab, h + 6 * 4, 1);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "label 4 is 70196, outside 0..65534") != NULL, "%s", err);
    h = idx_header(lab, 0x0B, 1, (uint32_t[]){6}); /* shorts: a negative one */
    memset(lab + h, 0xff, 12);
    write_file(path, lab, h + 12, 1);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "label 0 is -1, outside") != NULL, "%s", err);
    h = idx_header(lab, 0x08, 1, (uint32_t[]){5});
    memset(lab + h, 1, 5);
    write_file(path, lab, h + 5, 1);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "has 5 labels but") != NULL && strstr(err, "6 images"), "%s", err);
}
END_TEST

START_TEST(cifar_both_versions)
{
    dataset d;
    char err[1024], name[64];
    write_cifar(dir, 10, 3, 7, 5);
    ck_assert_msg(dataset_load(dir, "train", &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.count == 21 && d.rows == 32 && d.cols == 32 && d.channels == 3 && d.classes == 10);
    ck_assert_str_eq(dataset_class_name(&d, 9, name, sizeof name), "truck");
    ck_assert_int_eq(d.labels[7], 1); /* batch 2's first record: (0 + 1) % 10 */
    /* planes R, G, B become interleaved channels */
    ck_assert_int_eq(d.pixels[(7 * 1024 + 5) * 3 + 1], (1 * 37 + 80 + 5 * 1) % 256);
    dataset_free(&d);
    ck_assert_msg(dataset_load(dir, "t10k", &d, err, sizeof err) == 0 && d.count == 5, "%s", err);
    dataset_free(&d);
    remove_dir(dir);
    mkdir(dir, 0700);
    write_cifar(dir, 100, 1, 30, 4);
    ck_assert_msg(dataset_load(dir, "train", &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.count == 30 && d.classes == 100 && d.labels[23] == 23); /* the fine label */
    ck_assert_str_eq(dataset_class_name(&d, 42, name, sizeof name), "fine 42");
    dataset_free(&d);
}
END_TEST

/* Every kind of bad CIFAR file is refused naming the file and the fault. */
START_TEST(cifar_faults)
{
    dataset d;
    char err[1024], path[4096];
    write_cifar(dir, 10, 1, 4, 2);
    snprintf(path, sizeof path, "%s/data_batch_1.bin", dir);
    static uint8_t buf[4 * 3073 + 5];
    memset(buf, 1, sizeof buf);
    write_file(path, buf, 2 * 3073 + 5, 0);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "data_batch_1.bin: 6151 bytes is not a whole number of 3073-byte "
                         "CIFAR-10 records"), "%s", err);
    buf[3073] = 12;
    write_file(path, buf, 2 * 3073, 0);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "record 1 has label 12, outside the 10 classes"), "%s", err);
    write_file(path, "", 0, 0);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "0 bytes is not a whole number"), "%s", err);
    write_cifar(dir, 10, 1, 4, 2);
    snprintf(path, sizeof path, "%s/batches.meta.txt", dir);
    write_file(path, "a\nb\nc\n", 6, 0);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "batches.meta.txt names 3 classes; the format has 10"), "%s", err);
    write_file(path, "a\nb\x01x\n", 7, 0);
    ck_assert_int_eq(dataset_load(dir, "train", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "line 2 has a control character"), "%s", err);
    unlink(path); /* no names: numbers */
    ck_assert_msg(dataset_load(dir, "train", &d, err, sizeof err) == 0 && !d.names, "%s", err);
    dataset_free(&d);
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    unlink(path);
    mkfifo(path, 0600);
    ck_assert_int_eq(dataset_load(dir, "t10k", &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "test_batch.bin: is a FIFO"), "%s", err);
    unlink(path);
}
END_TEST


/* dir/SUB/NAME, made the path of buf. */
static const char *in_dir(char *buf, size_t n, const char *sub, const char *name)
{
    snprintf(buf, n, "%s/%s/%s", dir, sub, name);
    return buf;
}

START_TEST(image_folder_loads)
{
    dataset d;
    char err[2048], path[4096], name[64];
    write_image_folder(dir, 12, 5, 9, 7, 3, 4);
    ck_assert_msg(dataset_read(dir, "train", NULL, &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.count == 12 && d.cols == 9 && d.rows == 7 && d.channels == 3 && d.classes == 4);
    ck_assert_str_eq(dataset_class_name(&d, 3, name, sizeof name), "class-03");
    /* class by class, files sorted: class-00 holds img00000, img00004, img00008 */
    ck_assert(d.labels[0] == 0 && d.labels[2] == 0 && d.labels[3] == 1 && d.labels[11] == 3);
    static uint8_t want[9 * 7 * 3];
    image_pattern(want, 9, 7, 3, 1);
    ck_assert(!memcmp(d.pixels + 3 * sizeof want, want, sizeof want)); /* PNG is exact */
    ck_assert(d.decode_threads >= 1);
    dataset_free(&d);
    ck_assert_msg(dataset_read(dir, "t10k", NULL, &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.count == 5 && d.classes == 4); /* the classes of train/ */
    dataset_free(&d);
    /* grey by luma, and resized */
    image_opts io = {1, 4, 5, FORMAT_AUTO};
    ck_assert_msg(dataset_read(dir, "train", &io, &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.channels == 1 && d.cols == 4 && d.rows == 5 && d.count == 12);
    dataset_free(&d);
    /* grey images stay grey unless one has colour; JPEG and BMP are read; dotfiles skipped */
    remove_dir(dir), mkdir(dir, 0700);
    write_image_folder(dir, 4, 2, 6, 6, 1, 2);
    ck_assert_msg(dataset_read(dir, "train", NULL, &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.channels == 1 && d.classes == 2);
    dataset_free(&d);
    uint8_t px[6 * 6 * 3];
    image_pattern(px, 6, 6, 3, 0);
    static char jpeg[4096];
    FILE *f = fopen("tests/images/colour-6x6.jpg", "rb");
    ck_assert(f != NULL);
    size_t n = fread(jpeg, 1, sizeof jpeg, f);
    fclose(f);
    write_file(in_dir(path, sizeof path, "train/class-01", "b.jpg"), jpeg, n, 0);
    write_image(in_dir(path, sizeof path, "train/class-01", "c.bmp"), 6, 6, 3, px);
    write_file(in_dir(path, sizeof path, "train/class-01", ".DS_Store"), "x", 1, 0);
    ck_assert_msg(dataset_read(dir, "train", NULL, &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.channels == 3 && d.count == 6);
    ck_assert(!memcmp(d.pixels + 3 * sizeof px, px, sizeof px)); /* c.bmp (sorted 4th): exact */
    dataset_free(&d);
    /* IDX images get --channels and --resize too */
    io = (image_opts){3, 14, 14, FORMAT_AUTO};
    ck_assert_msg(dataset_read("assets/mnist-sample", "t10k", &io, &d, err, sizeof err) == 0,
                  "%s", err);
    ck_assert(d.channels == 3 && d.cols == 14 && d.rows == 14 && d.count == 2000);
    dataset_free(&d);
}
END_TEST

/* A PNG of its chunks as written by hand: the 8-byte signature, then IHDR (w x h, depth bits,
 * colour type), PLTE when palette, and IDAT of the raw rows (filter byte 0 each). */
static void write_raw_png(const char *path, int w, int h, int depth, int colour,
                          const uint8_t *rows, size_t nrows, const uint8_t *plte, size_t nplte)
{
    uint8_t png[4096], z[2048];
    size_t n = 0;
    memcpy(png, "\x89PNG\r\n\x1a\n", 8), n = 8;
    uint8_t ihdr[13] = {0, 0, 0, (uint8_t)w, 0, 0, 0, (uint8_t)h, (uint8_t)depth,
                        (uint8_t)colour, 0, 0, 0};
    uLongf zn = sizeof z;
    ck_assert(compress(z, &zn, rows, nrows) == Z_OK);
    const char *type[] = {"IHDR", "PLTE", "IDAT", "IEND"};
    const uint8_t *data[] = {ihdr, plte, z, NULL};
    size_t len[] = {13, nplte, zn, 0};
    for (int c = 0; c < 4; c++) {
        if (c == 1 && !plte)
            continue;
        uint8_t *at = png + n;
        at[0] = (uint8_t)(len[c] >> 24), at[1] = (uint8_t)(len[c] >> 16);
        at[2] = (uint8_t)(len[c] >> 8), at[3] = (uint8_t)len[c];
        memcpy(at + 4, type[c], 4);
        if (len[c])
            memcpy(at + 8, data[c], len[c]);
        uLong crc = crc32(crc32(0, NULL, 0), at + 4, (uInt)(4 + len[c]));
        uint8_t *e = at + 8 + len[c];
        e[0] = (uint8_t)(crc >> 24), e[1] = (uint8_t)(crc >> 16), e[2] = (uint8_t)(crc >> 8);
        e[3] = (uint8_t)crc;
        n += 12 + len[c];
    }
    write_file(path, png, n, 0);
}

/* 16-bit and palette PNGs become 8-bit pixels: the high byte, the palette's colours. */
START_TEST(image_folder_deep_and_palette_png)
{
    char path[4096], err[2048];
    write_image_folder(dir, 2, 2, 2, 2, 1, 2);
    /* 2 x 2 grey of 16 bits: 0x1234 0xff00 / 0x0001 0x8080 */
    const uint8_t deep[] = {0, 0x12, 0x34, 0xff, 0x00, 0, 0x00, 0x01, 0x80, 0x80};
    write_raw_png(in_dir(path, sizeof path, "train/class-00", "deep.png"), 2, 2, 16, 0, deep,
                  sizeof deep, NULL, 0);
    dataset d;
    ck_assert_msg(dataset_read(dir, "train", NULL, &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.channels == 1 && d.count == 3 && d.labels[0] == 0);
    const uint8_t want[] = {0x12, 0xff, 0x00, 0x80};
    ck_assert_msg(!memcmp(d.pixels, want, 4), "%d %d %d %d", d.pixels[0], d.pixels[1],
                  d.pixels[2], d.pixels[3]);
    dataset_free(&d);
    /* a 2 x 2 palette PNG of 8-bit indices 0 1 / 1 0 into red and blue: colour */
    const uint8_t idx[] = {0, 0, 1, 0, 1, 0}, plte[] = {255, 0, 0, 0, 0, 255};
    write_raw_png(in_dir(path, sizeof path, "train/class-01", "pal.png"), 2, 2, 8, 3, idx,
                  sizeof idx, plte, sizeof plte);
    ck_assert_msg(dataset_read(dir, "train", NULL, &d, err, sizeof err) == 0, "%s", err);
    ck_assert(d.channels == 3 && d.count == 4);
    const uint8_t *p = d.pixels + 3 * 12; /* class-01 sorts img00001.png before pal.png */
    ck_assert_msg(p[0] == 255 && p[2] == 0 && p[3] == 0 && p[5] == 255, "%d %d %d %d", p[0], p[2],
                  p[3], p[5]);
    dataset_free(&d);
}
END_TEST

/* dataset_read of dir's split fails with a reason holding want. */
static void refused(const char *split, const image_opts *io, const char *want)
{
    dataset d;
    char err[2048];
    ck_assert_int_eq(dataset_read(dir, split, io, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, want) != NULL, "wanted '%s' in: %s", want, err);
    ck_assert(d.pixels == NULL && d.names == NULL);
}

/* Every kind of bad image folder is refused naming the file and the fault. */
START_TEST(image_folder_faults)
{
    char path[4096], other[4096];
    write_image_folder(dir, 6, 3, 8, 8, 3, 2);
    in_dir(path, sizeof path, "train/class-01", "img00003.png");
    FILE *f = fopen(path, "r+b");
    ck_assert(f && ftruncate(fileno(f), 60) == 0 && fclose(f) == 0);
    refused("train", NULL, "img00003.png: cannot decode it: stb_image: ");
    write_file(path, "", 0, 0);
    refused("train", NULL, "img00003.png: an empty file, not an image");
    write_file(path, "hello\n", 6, 0);
    refused("train", NULL, "img00003.png: not an image clnet reads (PNG, JPEG, BMP, GIF, TGA, PNM)");
    unlink(path), mkfifo(path, 0600);
    refused("train", NULL, "img00003.png: is a FIFO, not a regular file");
    unlink(path), mkdir(path, 0700);
    refused("train", NULL, "img00003.png: is a folder, not a regular file");
    rmdir(path);
    /* PNG headers of 9000 x 9000 and 100000 x 100000: refused from the header, nothing decoded */
    uint8_t huge[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                      0, 0, 0x23, 0x28, 0, 0, 0x23, 0x28, 8, 2, 0, 0, 0, 0, 0, 0, 0};
    write_file(path, huge, sizeof huge, 0);
    refused("train", NULL, "img00003.png: 9000 x 9000 pixels; at most 67108864");
    huge[17] = huge[21] = 1, huge[18] = huge[22] = 0x86, huge[19] = huge[23] = 0xa0;
    write_file(path, huge, sizeof huge, 0);
    refused("train", NULL, "img00003.png: a PNG file whose header is corrupt or too large to "
            "decode");
    uint8_t px[8 * 8 * 3] = {0}; /* 8 x 8 and 5 x 8 images from it */
    write_image(path, 5, 8, 3, px);
    refused("train", NULL, "img00003.png is 5 x 8 but");
    refused("train", NULL, "img00000.png is 8 x 8: give --resize WxH");
    dataset d;
    char err[2048];
    image_opts io = {0, 8, 8, FORMAT_AUTO};
    ck_assert_msg(dataset_read(dir, "train", &io, &d, err, sizeof err) == 0, "%s", err);
    dataset_free(&d);
    unlink(path);
    mkdir(in_dir(path, sizeof path, "train", "empty"), 0700);
    refused("train", NULL, "train/empty: an empty class folder");
    rmdir(path);
    mkdir(in_dir(path, sizeof path, "test", "class-07"), 0700);
    write_image(in_dir(other, sizeof other, "test/class-07", "a.png"), 8, 8, 3, px);
    refused("t10k", NULL, "test/class-07: a class that train/ lacks");
    unlink(other), rmdir(path);
    write_file(in_dir(path, sizeof path, "train", "README"), "x", 1, 0);
    refused("train", NULL, "train/README: not a class folder (train/ holds one folder per class)");
    unlink(path);
    mkdir(in_dir(path, sizeof path, "train", "a\nb"), 0700);
    refused("train", NULL, "train: a class folder whose name has a control character");
    rmdir(path);
    remove_dir(in_dir(path, sizeof path, "test", ""));
    refused("t10k", NULL, "/test: No such file or directory (an image folder holds train/ and "
            "test/, a folder of images per class in each)");
}
END_TEST

/* Per-class counts, the matrix, the confusions most frequent first, and what is printed at
 * each size: the whole matrix up to 20 classes, the top confusions beyond, the worst classes
 * beyond 100. */
START_TEST(confusion_counts_and_prints)
{
    uint16_t labels[] = {0, 0, 0, 1, 1, 2, 2, 2, 2};
    int pred[] = {0, 1, 1, 1, 0, 2, 2, 1, 2};
    confusion c;
    confusion_count(&c, labels, pred, 9, 3);
    ck_assert(c.total[0] == 3 && c.total[1] == 2 && c.total[2] == 4);
    ck_assert(c.right[0] == 1 && c.right[1] == 1 && c.right[2] == 3 && c.right_total == 5);
    ck_assert(c.matrix[0 * 3 + 1] == 2 && c.matrix[1 * 3 + 0] == 1 && c.matrix[2 * 3 + 1] == 1);
    ck_assert_int_eq(c.npairs, 3);
    ck_assert(c.pairs[0].truth == 0 && c.pairs[0].pred == 1 && c.pairs[0].n == 2);
    ck_assert(c.pairs[1].truth == 1 && c.pairs[1].pred == 0 && c.pairs[1].n == 1);
    char *text;
    size_t len;
    dataset named = {.classes = 3, .names = "cat\0dog <b>\0caf\xc3\xa9\0", .names_len = 18};
    FILE *f = open_memstream(&text, &len);
    confusion_print(f, &c, &named);
    fclose(f);
    ck_assert_msg(strstr(text, "      0  cat                    33.33%  1 of 3\n") &&
                  strstr(text, "      1  dog <b>                50.00%  1 of 2\n") &&
                  strstr(text, "caf\xc3\xa9") && strstr(text, "confusion matrix (rows") &&
                  strstr(text, "    2      0     1     3\n"), "%s", text);
    free(text);
    canvas cv = confusion_canvas(&c, &named);
    ck_assert(cv.w >= 440 && cv.h > 3 * 8);
    canvas_free(&cv);
    confusion_free(&c);
    /* 30 classes: the confusions listed instead of the matrix; 300: the worst classes */
    enum { N = 600 };
    uint16_t lab[N];
    int pr[N];
    for (int k = 30; k <= 300; k *= 10) {
        for (int i = 0; i < N; i++)
            lab[i] = (uint16_t)(i % k), pr[i] = i % 7 == 0 ? (i + 1) % k : i % k;
        confusion_count(&c, lab, pr, N, k);
        f = open_memstream(&text, &len);
        confusion_print(f, &c, &(dataset){0});
        fclose(f);
        ck_assert_msg(!strstr(text, "confusion matrix") &&
                      strstr(text, "most frequent confusions (true class -> predicted: images):\n"),
                      "%s", text);
        ck_assert_msg(k == 30 ? c.matrix != NULL && strstr(text, "     29  29 ")
                              : c.matrix == NULL && strstr(text, "the 10 worst of the 300 with test images (300 classes):"), "%s",
                      text);
        free(text);
        confusion_free(&c);
    }
}
END_TEST

/* The decoded cache: a round trip, and every fault of a cache file refused with a reason (a
 * refused cache is rebuilt, never trusted). */
START_TEST(image_cache_round_trip_and_faults)
{
    dataset d = {.count = 3, .rows = 2, .cols = 4, .channels = 3, .classes = 2,
                 .pixels = xmalloc(3 * 24), .labels = xmalloc(3 * sizeof(uint16_t)),
                 .names = xmalloc(4), .names_len = 4};
    memcpy(d.names, "a\0b", 4);
    for (int i = 0; i < 72; i++)
        d.pixels[i] = (uint8_t)(i * 7);
    d.labels[0] = 0, d.labels[1] = 1, d.labels[2] = 1;
    char path[4096], why[512];
    snprintf(path, sizeof path, "%s/sub/c.bin", dir);
    ck_assert(imgcache_save(path, 42, &d) == 0);
    dataset e;
    ck_assert_msg(imgcache_load(path, 42, &e, why, sizeof why) == 0, "%s", why);
    ck_assert(e.count == 3 && e.rows == 2 && e.cols == 4 && e.channels == 3 && e.classes == 2);
    ck_assert(!memcmp(e.pixels, d.pixels, 72) && e.labels[1] == 1 && e.names_len == 4 &&
              !memcmp(e.names, d.names, 4));
    dataset_free(&e);
    ck_assert(imgcache_load(path, 43, &e, why, sizeof why) == -1 && strstr(why, "other files"));
    /* every truncation, and a flipped byte anywhere, is refused */
    FILE *f = fopen(path, "rb");
    static uint8_t buf[4096], b[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t cut = 0; cut < n; cut++)
        ck_assert_msg(imgcache_parse(buf, cut, 42, &e, why, sizeof why) == -1, "cut %zu", cut);
    for (size_t i = 0; i < n; i++) {
        memcpy(b, buf, n);
        b[i] ^= 0x10;
        ck_assert_msg(imgcache_parse(b, n, 42, &e, why, sizeof why) == -1, "byte %zu", i);
    }
    ck_assert(imgcache_load(dir, 42, &e, why, sizeof why) == -1 && strstr(why, "folder"));
    dataset_free(&d);
}
END_TEST

/* CRC-32C's standard check values (RFC 3720 B.4 and the "123456789" check), the TFRecord
 * framing, and an event file's records: whole, each a valid frame; a folder that cannot take
 * the file fails with its path. */
START_TEST(crc32c_and_event_file)
{
    uint8_t b[48];
    ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xE3069283u);
    memset(b, 0, 32);
    ck_assert_uint_eq(crc32c(0, b, 32), 0x8A9136AAu);
    memset(b, 0xff, 32);
    ck_assert_uint_eq(crc32c(0, b, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    ck_assert_uint_eq(crc32c(0, b, 32), 0x46DD794Eu);
    ck_assert_uint_eq(crc32c(crc32c(0, b, 10), b + 10, 22), 0x46DD794Eu); /* continued */
    uint8_t rec[12 + 3 + 4] = {0};
    memcpy(rec + 12, "abc", 3);
    tfrecord_frame(rec, 3);
    ck_assert_uint_eq(rec[0], 3);
    for (int i = 1; i < 8; i++)
        ck_assert_uint_eq(rec[i], 0);
    tfevents w;
    ck_assert_int_eq(tfevents_open(&w, dir), 0);
    hist_stats st = {.count = 4, .min = -1, .max = 2, .mean = 0.5, .std = 1, .lo = -1,
                     .hi = 2, .scale = 1};
    uint32_t bins[3] = {1, 2, 1};
    ck_assert_int_eq(tfevents_scalar(&w, 3, "train/cost", 0.0), 0);
    ck_assert_int_eq(tfevents_histogram(&w, 3, "layer1_conv", &st, bins, 3), 0);
    ck_assert_int_eq(tfevents_text(&w, 0, "settings", "| a | b |"), 0);
    char path[512];
    snprintf(path, sizeof path, "%s", w.path);
    tfevents_close(&w);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f), at = 0;
    fclose(f);
    int count = 0;
    while (at < n) { /* each record: its length, and both masked CRCs as tfrecord_frame makes */
        ck_assert_uint_ge(n - at, 16);
        uint64_t len = 0;
        for (int i = 0; i < 8; i++)
            len |= (uint64_t)buf[at + i] << (8 * i);
        ck_assert_uint_le(at + 16 + len, n);
        static uint8_t again[4096];
        memcpy(again + 12, buf + at + 12, len);
        tfrecord_frame(again, len);
        ck_assert_int_eq(memcmp(again, buf + at, 16 + len), 0);
        at += 16 + len, count++;
    }
    ck_assert_int_eq(count, 4); /* the version record and three summaries */
    /* a shared range's empty bins beyond min and max are left out; edges rise from min to max */
    char sub[512];
    snprintf(sub, sizeof sub, "%s/h", dir);
    mkdir(sub, 0700);
    ck_assert_int_eq(tfevents_open(&w, sub), 0);
    hist_stats sh = {.count = 4, .min = 0.5, .max = 2.5, .mean = 1, .std = 1, .lo = -1, .hi = 4,
                     .scale = 1};
    uint32_t sparse[5] = {0, 3, 0, 1, 0};
    ck_assert_int_eq(tfevents_histogram(&w, 7, "t", &sh, sparse, 5), 0);
    snprintf(path, sizeof path, "%s", w.path);
    tfevents_close(&w);
    f = fopen(path, "rb");
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t first = 12 + (size_t)buf[0] + 4; /* past the version record */
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++)
        hl |= (uint64_t)buf[first + i] << (8 * i);
    ck_assert_uint_eq(first + 16 + hl, n);
    ClnetTb__Event *ev = clnet_tb__event__unpack(NULL, hl, buf + first + 12);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->step, 7);
    ck_assert_int_eq(ev->what_case, CLNET_TB__EVENT__WHAT_SUMMARY);
    ClnetTb__HistogramProto *h = ev->summary->value[0]->histo;
    ck_assert_uint_eq(h->n_bucket, 3);
    double want_limit[3] = {1, 2, 2.5}, want_count[3] = {3, 0, 1};
    for (int i = 0; i < 3; i++) {
        ck_assert_double_eq(h->bucket_limit[i], want_limit[i]);
        ck_assert_double_eq(h->bucket[i], want_count[i]);
    }
    ck_assert(h->min == 0.5 && h->max == 2.5 && h->num == 4 && h->sum == 4 && h->sum_squares == 8);
    clnet_tb__event__free_unpacked(ev, NULL);
    ck_assert_int_eq(tfevents_open(&w, "/nonexistent/folder"), -1);
    ck_assert(w.failed && strstr(w.err, "/nonexistent/folder/events.out.tfevents."));
    ck_assert_int_eq(tfevents_scalar(&w, 0, "x", 1.0), -1); /* failed: -1, nothing written */
    tfevents_close(&w);
    tfevents never = {0};
    ck_assert_int_eq(tfevents_scalar(&never, 0, "x", 1.0), 0); /* never opened: no-op */
}
END_TEST

Suite *suite_data(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("idx");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, valid_folder_raw_and_gzip);
    tcase_add_test(tc, shipped_mnist_sample_loads);
    tcase_add_test(tc, malformed_headers);
    tcase_add_test(tc, malformed_payloads);
    tcase_add_test(tc, corrupt_and_truncated_gzip);
    tcase_add_test(tc, missing_files_and_directories);
    tcase_add_test(tc, labels_out_of_range_and_disagreeing_counts);
    tcase_add_test(tc, cifar_both_versions);
    tcase_add_test(tc, cifar_faults);
    tcase_add_test(tc, image_folder_loads);
    tcase_add_test(tc, image_folder_faults);
    tcase_add_test(tc, image_folder_deep_and_palette_png);
    tcase_add_test(tc, confusion_counts_and_prints);
    tcase_add_test(tc, image_cache_round_trip_and_faults);
    tcase_add_test(tc, crc32c_and_event_file);
    suite_add_tcase(s, tc);
    return s;
}
