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
    int base;       /* the position of a gather's first image in its global batch, which seeds
                     * its augmentation: an MPI rank's slice gets the crops of one process */
    /* Streamed (batch_stream): the images stay in host memory; each gather copies its batch
     * into one of two device slots on a second queue, so the upload of the next batch overlaps
     * the step that uses the other slot. */
    const dataset *host;      /* NULL: device-resident */
    const int *host_order;    /* the order (batch_set_order's), NULL: the identity */
    int slot_count;           /* images a slot holds */
    cl_mem slot_images[2], slot_labels[2];
    uint8_t *stage[2];        /* host copies of the slots' bytes (valid until uploaded) */
    uint16_t *stage_labels[2];
    cl_event uploaded[2], used[2];
    int next;                 /* the slot of the next gather */
    cl_command_queue xfer;
} device_data;

/* Device bytes batch_upload takes for count images of image_bytes each (images, labels, order),
 * for the memory plan. */
size_t batch_device_bytes(int count, size_t image_bytes);
/* Copies d to the device (what names it in an allocation failure). */
void batch_upload(clrt *rt, device_data *dd, const dataset *d, const char *what);
/* Device bytes batch_stream takes for batches of up to batch images of image_bytes each. */
size_t batch_stream_bytes(int batch, size_t image_bytes);
/* Keeps d on the host (it must outlive dd) and streams a batch of up to batch images per gather. */
void batch_stream(clrt *rt, device_data *dd, const dataset *d, int batch, const char *what);
/* The order gathers take images in (count ints; must stay valid until the next call): written to
 * the device (*done: the upload's event, the caller releases it) or, streamed, kept. */
void batch_set_order(clrt *rt, device_data *dd, const int *order, cl_event *done);
void batch_release(device_data *dd);
/* Enqueues images order[first .. first+n) into x (channels, n, pixels) as floats mapped by
 * dd->map (augmented as drawn for step) and their labels into y (n) ushort: the network's input
 * (net.h). */
void batch_gather(clrt *rt, cl_mem x, cl_mem y, device_data *dd, int first, int n,
                  long step);

#endif
