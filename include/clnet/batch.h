/* batch.h: a data set on the device (bytes, labels, an order) and batch assembly there, so a
 * training step uploads nothing. */
#ifndef CLNET_BATCH_H
#define CLNET_BATCH_H

#include "clnet/clrt.h"
#include "clnet/data.h"
#include "clnet/net.h"

typedef struct {
    cl_mem images; /* (count, pixels) bytes */
    cl_mem labels; /* (count) bytes */
    cl_mem order;  /* (count) ints: the identity until a shuffled order is written */
    int count, pixels;
} device_data;

/* Device bytes batch_upload takes for count images of pixels bytes (images, labels, order), for
 * the memory plan. */
size_t batch_device_bytes(int count, int pixels);
/* Copies d to the device (what names it in an allocation failure). */
void batch_upload(clrt *rt, device_data *dd, const dataset *d, const char *what);
void batch_release(device_data *dd);
/* Enqueues images order[first .. first+n) into the network's x (as floats in [0,1]) and y. */
void batch_gather(clrt *rt, net *nt, const device_data *dd, int first, int n);

#endif
