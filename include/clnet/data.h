/* data.h: IDX files (MNIST layout), raw or gzip, fully validated before use. */
#ifndef CLNET_DATA_H
#define CLNET_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/util.h"

#define CLNET_MAX_CLASSES 65535 /* labels are 0 .. 65534 */
#define CLNET_MAX_SIDE 1024     /* largest image side accepted */

typedef struct {
    int count, rows, cols, channels;
    int classes;       /* 1 + the largest label */
    uint8_t *pixels;   /* count images of rows x cols pixels of channels bytes: (row, col, chan) */
    uint16_t *labels;  /* count, each < classes */
    char *names;       /* the class names, each ended by a NUL, or NULL: classes are numbers */
    size_t names_len;
    char images_path[PATH_BUF], labels_path[PATH_BUF]; /* the files read (dataset_load) */
    double decode_seconds; /* image folders: the time to list, check and decode them */
    int image_folder;      /* read from an image folder (imgdir_load) */
    int decode_threads;    /* and on how many threads it was decoded (0: from the cache) */
    int cached;            /* image folders: 1 read from the decoded cache, 2 written to it, -1
                              it could not be written, 0 neither */
    char cache_path[PATH_BUF];
} dataset;

/* --format: what a --data folder holds (auto: found from its files). */
enum { FORMAT_AUTO, FORMAT_IDX, FORMAT_CIFAR10, FORMAT_CIFAR100, FORMAT_IMAGES };

/* How a data set is read (--format) and what its images become (--channels, --resize): 0
 * keeps what the data has. */
typedef struct {
    int channels; /* 1 grey, 3 RGB, 4 RGBA */
    int w, h;
    int format;   /* FORMAT_* */
} image_opts;
#define IMAGE_MAX_PIXELS (1 << 26) /* a larger image file is refused from its header */
#define IMAGE_DECODE_VERSION 1     /* bump when image.c decodes or converts differently: the
                                      decoded caches are then rebuilt */

/* What an IDX file holds, from its header. */
typedef struct {
    int rank;          /* 1 (count), 3 (count, rows, columns), 4 (and channels, 1 to 4) */
    uint32_t dims[4];
    int elem;          /* bytes a value: 1 (0x08 unsigned byte), 2 (0x0B short), 4 (0x0C int) */
} idx_shape;
enum { IDX_LABELS = 1, IDX_IMAGES = 3 };

/* Reads an IDX file of the given kind (IDX_IMAGES: rank 3 or 4 of unsigned bytes; IDX_LABELS:
 * rank 1 of bytes, shorts or ints, big-endian as IDX stores them): its shape, and *data the
 * payload (caller frees). Returns 0, or -1 with a one-line reason "PATH: problem" in err. */
int idx_read(const char *path, int kind, idx_shape *shape, uint8_t **data, char *err,
             size_t errlen);

/* Loads <dir>/<split>-images-idx3-ubyte[.gz] (or -idx4-ubyte: with channels) and
 * <dir>/<split>-labels-idx1-ubyte[.gz] (split: "train" or "t10k"; a file in two forms is refused
 * as ambiguous), checking that they agree (both headers before either payload) and every label.
 * Returns 0, or -1 with a one-line reason in err. */
int dataset_load(const char *dir, const char *split, dataset *out, char *err, size_t errlen);
/* The same, of one format (FORMAT_AUTO: IDX, else CIFAR when its files are there; FORMAT_IDX,
 * FORMAT_CIFAR10, FORMAT_CIFAR100: that one only). */
int dataset_load_format(const char *dir, const char *split, int format, dataset *out, char *err,
                        size_t errlen);
void dataset_free(dataset *d);
/* The data set file of dir that path is (the same file by any name, or any of the eight names
 * in dir, raw or .gz, present or not), or NULL. */
const char *dataset_file_of(const char *dir, const char *path);
/* CRC-32 of the pixels and of the labels: checkpoints store them to know their data set. */
void dataset_checksums(const dataset *d, uint32_t *pixels, uint32_t *labels);

/* CIFAR-10 (version 10: data_batch_1.bin .. data_batch_N.bin, test_batch.bin, class names in
 * batches.meta.txt) or CIFAR-100 (100: train.bin, test.bin, the fine labels, fine_label_names.txt)
 * in dir, split "train" or "t10k" (the test set). 0, or -1 with a one-line reason in err. */
int cifar_load(const char *dir, int version, const char *split, dataset *out, char *err,
               size_t errlen);
/* Appends the n bytes of CIFAR records of buf (path names them in a reason) to d, labels checked
 * against classes (the fuzzing entry point). 0, or -1. */
int cifar_records(const uint8_t *buf, size_t n, int version, int classes, const char *path,
                  dataset *d, char *err, size_t errlen);
/* Class names, one a line (blank lines and trailing blanks left out; want: how many there must
 * be, 0 any), into d->names. Returns how many, or -1 with a reason naming path. */
int class_names_parse(const char *text, const char *path, int want, dataset *d, char *err,
                      size_t errlen);
/* The name of class k ("7" when the data names none), into buf; returns it. */
const char *dataset_class_name(const dataset *d, int k, char *buf, size_t len);

/* Any data set of dir, split "train" or "t10k" (the test set), with the images made what io asks
 * (io may be NULL): io->format's, or (auto) an image folder when dir/train is a folder
 * (imgdir_load), else IDX or CIFAR (dataset_load). 0, or -1 with a one-line reason in err. */
int dataset_read(const char *dir, const char *split, const image_opts *io, dataset *out,
                 char *err, size_t errlen);
/* dir/train/<class>/<image> and dir/test/<class>/<image>: the classes are the sub-folders of
 * train/ in sorted order (test/ may lack some; names that train/ lacks are refused). The images
 * must be of one size unless io gives one; channels: io's, else 3 when any image has colour,
 * else 1. 0, or -1 with a one-line reason naming the file. */
int imgdir_load(const char *dir, const char *split, const image_opts *io, dataset *out,
                char *err, size_t errlen);
/* The size and channels of the image file path from its header alone (image.c). 0, or -1. */
int image_info(const char *path, int *w, int *h, int *channels, char *err, size_t errlen);
/* Decodes the image file path (PNG, JPEG, BMP, GIF, TGA, PNM) into w x h pixels of channels bytes
 * (converted and resized as needed). 0, or -1 with a reason naming path. */
int image_read(const char *path, int channels, int w, int h, uint8_t *out, char *err,
               size_t errlen);
/* image_read's decoding of the n bytes of buf (path names them in a reason; the fuzzing entry
 * point). 0, or -1. */
int image_decode(const uint8_t *buf, size_t n, const char *path, int channels, int w, int h,
                 uint8_t *out, char *err, size_t errlen);
/* Makes every image of d channels x w x h (0: as it is), converting colour and resizing. 0, or
 * -1 with a reason in err. */
int image_convert(dataset *d, int channels, int w, int h, char *err, size_t errlen);

/* The n images idx[0..n) of src (labels, and the class names) into out. */
void dataset_subset(const dataset *src, const int *idx, int n, dataset *out);
/* Holds out n images of d (1 <= n < d->count), chosen by a permutation seeded with seed (the last
 * n of it), into val; d keeps the others. Both keep the file order. */
void dataset_split(dataset *d, int n, uint64_t seed, dataset *val);

/* Bytes of all its pixels. */
size_t dataset_bytes(const dataset *d);
/* Images first .. first+count as floats in [0,1] in the network's layout (channel, image, pixel). */
void dataset_to_float(const dataset *d, int first, int count, float *out);

/* What the batch gather (kernels/batch.cl) makes of each image: value = byte * scale[c] +
 * offset[c]; flip: mirror left to right half of the time; pad > 0: a random crop of the
 * original size from the image zero-padded by pad pixels; both drawn from (seed, step, place
 * in the batch). */
typedef struct {
    float scale[4], offset[4];
    int flip, pad;
    uint32_t seed;
} pixel_map;
#define AUGMENT_MAX_PAD 64
/* pixels / 255, no augmentation. */
pixel_map pixel_map_plain(void);
/* (pixels / 255 - mean[c]) / sd[c] for the C channels, no augmentation. */
pixel_map pixel_map_normalized(const float *mean, const float *sd, int C);
/* The per-channel mean and standard deviation of pixels / 255 over the whole set (an sd below
 * 1/255, a constant channel, is given as 1 so that it divides nothing away). */
void dataset_channel_stats(const dataset *d, float *mean, float *sd);
/* The hash whose bits choose an image's flip (bit 0) and offsets (bits 8.., 20..). */
uint32_t augment_hash(uint32_t seed, uint32_t step, uint32_t i);
/* Images order[first .. first+n) mapped by m at step into out (channel, image, pixel): the
 * plain-C reference of the gather kernel. */
void dataset_gather(const dataset *d, const int *order, int first, int n, const pixel_map *m,
                    uint32_t step, float *out);

#endif
