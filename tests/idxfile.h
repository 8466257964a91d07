/* idxfile.h: writing (possibly malformed) IDX files and data folders for the tests. */
#ifndef CLNET_TEST_IDXFILE_H
#define CLNET_TEST_IDXFILE_H

#include <stddef.h>
#include <stdint.h>

/* A fresh empty folder under $TMPDIR (or /tmp); the caller frees the path. */
char *temp_dir(void);
/* Writes bytes to path, gzip-compressed when gz. */
void write_file(const char *path, const void *bytes, size_t n, int gz);
/* An IDX header: 0, 0, type, rank, then the dims big-endian. Returns its length. */
size_t idx_header(uint8_t *out, uint8_t type, uint8_t rank, const uint32_t *dims);
/* Writes a valid MNIST-layout folder with ntrain / ntest images of rows x cols (gz or raw):
 * the real digits of assets/mnist-sample where they fit (28x28), else a synthetic pattern. */
void write_data_folder(const char *dir, int ntrain, int ntest, int rows, int cols, int gz);
/* Writes a data folder of rank-4 IDX images (rows x cols x channels) with classes classes
 * (labels as shorts beyond 256), the class visible in the pixels. */
void write_shaped_folder(const char *dir, int ntrain, int ntest, int rows, int cols, int channels,
                         int classes);
/* Writes CIFAR-10 (version 10: nbatches data_batch_*.bin of per_batch records, test_batch.bin,
 * batches.meta.txt) or CIFAR-100 (100: train.bin of per_batch records, test.bin, a coarse and a
 * fine label each, fine_label_names.txt "fine K") files in dir, in the exact formats. */
void write_cifar(const char *dir, int version, int nbatches, int per_batch, int ntest);
/* Writes w x h pixels of channels bytes as a PNG or BMP (.bmp) file, by path's end (a JPEG:
 * tests/images/colour-6x6.jpg). */
void write_image(const char *path, int w, int h, int channels, const uint8_t *px);
/* The pixels of class k: a pattern that tells every class apart. */
void image_pattern(uint8_t *px, int w, int h, int channels, int k);
/* Writes an image folder: dir/train/class-KK/imgNNNNN.png (ntrain, class i % classes) and
 * dir/test/... (ntest; a class with no image there has no folder). */
void write_image_folder(const char *dir, int ntrain, int ntest, int w, int h, int channels,
                        int classes);
/* Removes a folder and the files in it (one level). */
void remove_dir(const char *dir);

#endif
