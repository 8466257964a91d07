/* data.h: IDX files (MNIST layout), raw or gzip, fully validated before use. */
#ifndef CLNET_DATA_H
#define CLNET_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/util.h"

#define CLNET_CLASSES 10     /* labels must be 0..9 */
#define CLNET_MAX_SIDE 1024  /* largest image side accepted */

typedef struct {
    int count, rows, cols;
    uint8_t *pixels; /* count * rows * cols, row-major per image */
    uint8_t *labels; /* count, each < CLNET_CLASSES */
    char images_path[PATH_BUF], labels_path[PATH_BUF]; /* the files read (dataset_load) */
} dataset;

/* Reads an IDX file of unsigned bytes with the given rank (3: images, 1: labels).
 * dims receives the dimensions, *data the payload (caller frees).
 * Returns 0, or -1 with a one-line reason "PATH: problem" in err. */
int idx_read(const char *path, int rank, uint32_t dims[3], uint8_t **data, char *err, size_t errlen);

/* Loads <dir>/<split>-images-idx3-ubyte[.gz] and <dir>/<split>-labels-idx1-ubyte[.gz]
 * (split: "train" or "t10k"; a file in both forms is refused as ambiguous), checking that they
 * agree (both headers before either payload) and that every label is a class.
 * Returns 0, or -1 with a one-line reason in err. */
int dataset_load(const char *dir, const char *split, dataset *out, char *err, size_t errlen);
void dataset_free(dataset *d);
/* The data set file of dir that path is (the same file by any name, or any of the eight names
 * in dir, raw or .gz, present or not), or NULL. */
const char *dataset_file_of(const char *dir, const char *path);
/* CRC-32 of the pixels and of the labels: checkpoints store them to know their data set. */
void dataset_checksums(const dataset *d, uint32_t *pixels, uint32_t *labels);

/* Pixels as floats in [0,1]: out[i] = pixels[i] / 255. */
void dataset_to_float(const dataset *d, int first, int count, float *out);

#endif
