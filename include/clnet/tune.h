/* tune.h: `clnet tune`: CLBlast's GEMM tuned for the device, the result stored for tuned.h. */
#ifndef CLNET_TUNE_H
#define CLNET_TUNE_H

#include "clnet/clrt.h"

typedef struct {
    const char *device; /* --device, NULL: $CLNET_DEVICE or the default */
    int size;           /* the tuner's m = n = k */
    double fraction;    /* the tuner's -fraction (random search share); 0: its default */
    int path_only;      /* --path: print the file for the device instead of tuning */
} tune_opts;

/* clnet tune: runs clblast_tuner_xgemm and stores its best parameters. The file is checked
 * before the tuner runs (clnet replaces only a file of its own); SIGINT / SIGTERM stop the tuner
 * and remove its work folder (in $TMPDIR, else /tmp). */
int tune_run(const tune_opts *o);

#endif
