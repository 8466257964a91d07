/* imgcache.h: a decoded cache of an image folder's split, in clnet's cache folder: read instead
 * of decoding when every file is as it was; written (atomically) after a decode that took long.
 * A cache that is missing, stale, corrupt or of another version is rebuilt. */
#ifndef CLNET_IMGCACHE_H
#define CLNET_IMGCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/data.h"

#define IMGCACHE_MIN_SECONDS 2.0 /* a decode shorter than this is not worth a cache file */

/* The key of the n files (each path after its first skip bytes, the split's folder; size,
 * modification and change times, inode, label), the conversion io asks, the decoder's version
 * and the class names. 0, or -1 naming a file that cannot be read. */
int imgcache_key(char *const *paths, size_t skip, const int *labels, int n,
                 const image_opts *io, const dataset *names, uint64_t *key, char *err,
                 size_t len);
/* The cache file of dir's split converted as io asks (cache_dir of files.h). 0, or -1. */
int imgcache_path(const char *dir, const char *split, const image_opts *io, char *path,
                  size_t len);
/* The images, labels and names of the cache file at path if it was made with key. 0, or -1
 * with why not (a missing file included). */
int imgcache_load(const char *path, uint64_t key, dataset *out, char *err, size_t len);
/* The same of the n bytes of a cache file in memory (the fuzzing entry point). */
int imgcache_parse(const uint8_t *buf, size_t n, uint64_t key, dataset *out, char *err,
                   size_t len);
/* Writes d as the cache file at path (its folder made if missing), replacing only a cache file
 * (or nothing). 0, -1 with errno, or -2 when path holds a file of another kind (left as it is). */
int imgcache_save(const char *path, uint64_t key, const dataset *d);
/* 1 if the first n bytes of a file are a decoded cache's magic number (files.h's own_kind). */
int imgcache_is_own(const uint8_t *head, size_t n);

#endif
