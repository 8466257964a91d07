/* tuned.h: the CLBlast Xgemm parameters `clnet tune` stores, one file per device and driver, in
 * $CLNET_CACHE_DIR (else $XDG_CACHE_HOME/clnet, else ~/.cache/clnet); clrt_open applies them at
 * every start. Part of the runtime: it knows a device, not clrt. */
#ifndef CLNET_TUNED_H
#define CLNET_TUNED_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/clerr.h"

#define TUNED_HEAD "# clnet tune" /* the first words of every file clnet tune writes */
#define TUNED_NPARAM 16

/* CLBlast's Xgemm parameters (its doc/tuning.md), in the order they are passed. */
extern const char *const tuned_names[TUNED_NPARAM];

/* The file for the device: named by a hash of platform, device, driver and OpenCL version.
 * Returns -1 when there is no cache folder (no variable set). */
int tuned_path(cl_device_id dev, const char *platform, const char *device, char *path,
               size_t len);
/* Reads "NAME=VALUE" words (from '#' to the line's end: comments) into values, in the order of
 * tuned_names; every parameter exactly once, other names ignored. 0, or -1 with why in err. */
int tuned_parse(const char *text, size_t values[TUNED_NPARAM], char *err, size_t errlen);
/* 1 if a file begins as clnet tune's do (files.h's own_kind). */
int tuned_is_own(const uint8_t *head, size_t n);
/* Applies the stored parameters, if any, to CLBlast's Xgemm on dev; the file applied goes into
 * applied ("" when none). A damaged file is an error naming it. */
void tuned_apply(cl_device_id dev, const char *platform, const char *device, char *applied,
                 size_t len);

#endif
