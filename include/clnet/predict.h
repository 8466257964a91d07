/* predict.h: clnet predict: a checkpoint's top classes for image files, with the preprocessing it
 * was trained with, a batch of images per forward pass. */
#ifndef CLNET_PREDICT_H
#define CLNET_PREDICT_H

typedef struct {
    const char *model, *device, *kernel_dir;
    int resize[2];      /* --resize WxH: must be the model's size; 0: images must be that size */
    int top;            /* classes shown per image (at most the model's) */
    int json;           /* JSON on stdout instead of lines */
    int batch;          /* 0: the checkpoint's (at most the number of images) */
    char **paths;       /* image files and folders (searched below for images) */
    int npaths;
} predict_opts;

#define PREDICT_MAX_DEPTH 32 /* folders below a given one: deeper is refused (a link loop) */
#define PREDICT_DEFAULT_TOP 5

/* Prints the top classes of every image: 0, or 128 + the signal that stopped it; bad input
 * exits through die() naming the file. */
int predict_run(const predict_opts *o);

#endif
