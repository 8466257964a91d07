/* tune.h: CLBlast's GEMM tuned for the device (`clnet tune`) and the stored parameters applied
 * at start. */
#ifndef CLNET_TUNE_H
#define CLNET_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/clrt.h"

typedef struct {
    const char *device; /* --device, NULL: $CLNET_DEVICE or the default */
    int size;           /* the tuner's m = n = k */
    double fraction;    /* the tuner's -fraction (random search share); 0: its default */
} tune_opts;

/* Where the parameters for rt's device are kept: $CLNET_CACHE_DIR, else $XDG_CACHE_HOME/clnet,
 * else ~/.cache/clnet, a file named by a hash of platform, device, driver and OpenCL version.
 * Returns -1 when there is no such folder. */
int tune_file(const clrt *rt, char *path, size_t len);

/* Applies the stored parameters, if any, to CLBlast's Xgemm on rt's device (clrt_open calls it)
 * and records the file in rt->tuned. A damaged file is an error naming it. */
void tune_apply(clrt *rt);

/* 1 if a file begins as clnet tune's do (files.h's own_kind). */
int tune_is_own(const uint8_t *head, size_t n);

/* clnet tune: runs clblast_tuner_xgemm and stores its best parameters. The file is checked
 * before the tuner runs (clnet replaces only a file of its own); SIGINT / SIGTERM stop the tuner
 * and remove its work folder (in $TMPDIR, else /tmp). */
int tune_run(const tune_opts *o);

#endif
