/* checkpoint.h: a training run's state on disk, versioned and checksummed.
 *
 * Layout (little-endian): "CLNETCKP", u32 version, u32 CRC32 of the payload, u64 payload bytes,
 * then the payload: u32 spec length + spec, u32 C H W batch shuffle init optimizer, u64 seed step
 * train_count, (from version 2) u32 CRC-32 of the training pixels and of the training labels,
 * u32 classes, u32 names_len + names_len bytes of class names each ended by a NUL (one per
 * class, or none), (from version 3) u32 normalized (0 or 1) and, when 1, C f32 channel means
 * and C f32 standard deviations, u32 augment flip (0 or 1) and u32 crop padding, then the
 * epoch-order RNG (4 x u64), f64 lr, u64 nparams + nparams f32, u64 nstate + nstate f32
 * (optimizer state: none for SGD, momentum's m, Adam's m then v). Version 1 files (no data
 * checksums; 10 classes) and version 2 files (not normalized or augmented) still load. Written
 * to a temporary file in the same folder, flushed, fsync'd and renamed over the old one (then
 * the folder is fsync'd): a crash at any moment leaves the previous checkpoint or the new one,
 * never a broken file. A file whose parameters or optimizer state are not all finite is
 * refused. */
#ifndef CLNET_CHECKPOINT_H
#define CLNET_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/data.h"
#include "clnet/init.h"
#include "clnet/util.h"

#define CKPT_VERSION 3

typedef struct {
    char spec[CLNET_SPEC_MAX + 1];
    uint32_t C, H, W;
    uint32_t batch, shuffle, init, optim;
    uint64_t seed;
    uint64_t step;        /* steps done: the next one to run */
    uint64_t train_count; /* training images of the run */
    int has_data_crc;     /* version >= 2: the two checksums below are known */
    uint32_t pixels_crc, labels_crc; /* of the training set (dataset_checksums) */
    uint32_t classes;     /* the classifier's outputs */
    uint32_t names_len;   /* bytes of names: 0 (classes are numbers) or NUL-ended names */
    char *names;
    uint32_t normalized;  /* --normalize: inputs are (pixels / 255 - mean[c]) / sd[c] */
    float mean[4], sd[4]; /* C of each when normalized */
    uint32_t flip, pad;   /* --augment flip,crop:pad (0: none) */
    rng_t epoch_rng;      /* the batch-order RNG, as it was before the current epoch's shuffle */
    double lr;
    uint64_t nparams, nstate;
    float *params, *state;
} checkpoint;

/* Returns 0, or -1 with a one-line reason naming path in err. */
int ckpt_save(const char *path, const checkpoint *c, char *err, size_t errlen);
int ckpt_load(const char *path, checkpoint *c, char *err, size_t errlen);
/* 1 if the first n bytes of a file are a checkpoint's magic number (files.h's own_kind). */
int ckpt_is_own(const uint8_t *head, size_t n);
/* Checks and decodes a whole checkpoint held in memory (the fuzzing entry point). */
int ckpt_parse(const uint8_t *buf, size_t len, checkpoint *c, char *err, size_t errlen);
void ckpt_free(checkpoint *c);

#endif
