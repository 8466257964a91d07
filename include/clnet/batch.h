/* batch.h: a data set on the device (bytes, labels, an order) and batch assembly there
 * (kernels/batch.cl), so a training step uploads nothing. */
#ifndef CLNET_BATCH_H
#define CLNET_BATCH_H

#include "clnet/clrt.h"
#include "clnet/data.h"

typedef struct {
    cl_mem images; /* (count, pixels, channels) bytes */
    cl_mem labels; /* (count) ushort */
    cl_mem order;  /* (count) ints: the identity until a shuffled order is written */
    int count, pixels, channels, H, W;
    pixel_map map;  /* what gather makes of the bytes: pixel_map_plain() after batch_upload */
} device_data;

/* Device bytes batch_upload takes for count images of image_bytes each (images, labels, order),
 * for the memory plan. */
size_t batch_device_bytes(int count, size_t image_bytes);
/* Copies d to the device (what names it in an allocation failure). */
void batch_upload(clrt *rt, device_data *dd, const dataset *d, const char *what);
void batch_release(device_data *dd);
/* Enqueues images order[first .. first+n) into x (channels, n, pixels) as floats mapped by
 * dd->map (augmented as drawn for step) and their labels into y (n) ushort: the network's input
 * (net.h). */
void batch_gather(clrt *rt, cl_mem x, cl_mem y, const device_data *dd, int first, int n,
                  long step);

#endif
