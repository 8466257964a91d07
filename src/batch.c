/* batch.c: a data set kept on the device as bytes, and kernels/batch.cl that gathers a batch. */
#include "clnet/batch.h"

#include <stdlib.h>
#include <string.h>

#include "clnet/clerr.h"
#include "clnet/util.h"

size_t batch_device_bytes(int count, size_t image_bytes)
{
    return (size_t)count * (image_bytes + sizeof(uint16_t) + sizeof(int));
}

/* dd's shape from d, its map pixels / 255, nothing on the device yet. */
static void describe(device_data *dd, const dataset *d)
{
    memset(dd, 0, sizeof *dd);
    dd->count = d->count;
    dd->pixels = d->rows * d->cols;
    dd->channels = d->channels;
    dd->H = d->rows, dd->W = d->cols;
    dd->map = pixel_map_plain();
}

void batch_upload(clrt *rt, device_data *dd, const dataset *d, const char *what)
{
    describe(dd, d);
    size_t bytes = dataset_bytes(d), lbytes = (size_t)d->count * sizeof *d->labels;
    if (bytes > rt->max_alloc)
        die("the %s (%zu MiB of pixels) is larger than the device's largest allocation (%llu MiB): "
            "use a data set with fewer images, or a device with more memory", what,
            bytes >> 20, (unsigned long long)(rt->max_alloc >> 20));
    dd->images = clrt_buffer(rt, bytes, what);
    dd->labels = clrt_buffer(rt, lbytes, what);
    dd->order = clrt_buffer(rt, (size_t)d->count * sizeof(int), what);
    clrt_upload(rt, dd->images, 0, bytes, d->pixels);
    clrt_upload(rt, dd->labels, 0, lbytes, d->labels);
    int *id = xmalloc((size_t)d->count * sizeof(int));
    for (int i = 0; i < d->count; i++)
        id[i] = i;
    clrt_upload(rt, dd->order, 0, (size_t)d->count * sizeof(int), id);
    free(id);
}

size_t batch_stream_bytes(int batch, size_t image_bytes)
{
    return 2 * (size_t)batch * (image_bytes + sizeof(uint16_t)) + (size_t)batch * sizeof(int);
}

void batch_stream(clrt *rt, device_data *dd, const dataset *d, int batch, const char *what)
{
    describe(dd, d);
    dd->host = d;
    dd->slot_count = batch;
    size_t image = (size_t)dd->pixels * dd->channels;
    for (int k = 0; k < 2; k++) {
        dd->slot_images[k] = clrt_buffer(rt, (size_t)batch * image, what);
        dd->slot_labels[k] = clrt_buffer(rt, (size_t)batch * sizeof(uint16_t), what);
        dd->stage[k] = xmalloc((size_t)batch * image);
        dd->stage_labels[k] = xmalloc((size_t)batch * sizeof(uint16_t));
    }
    dd->order = clrt_buffer(rt, (size_t)batch * sizeof(int), what);
    int *id = xmalloc((size_t)batch * sizeof(int));
    for (int i = 0; i < batch; i++)
        id[i] = i;
    clrt_upload(rt, dd->order, 0, (size_t)batch * sizeof(int), id);
    free(id);
    cl_int st;
    dd->xfer = clCreateCommandQueue(rt->ctx, rt->device, 0, &st);
    CL_CHECK(st);
}

void batch_set_order(clrt *rt, device_data *dd, const int *order, cl_event *done)
{
    *done = NULL;
    if (dd->host) {
        dd->host_order = order;
        return;
    }
    CL_CHECK(clEnqueueWriteBuffer(rt->queue, dd->order, CL_FALSE, 0,
                                  (size_t)dd->count * sizeof(int), order, 0, NULL, done));
}

static void release_event(cl_event *e)
{
    if (*e)
        clReleaseEvent(*e);
    *e = NULL;
}

void batch_release(device_data *dd)
{
    clReleaseMemObject(dd->order);
    if (!dd->host) {
        clReleaseMemObject(dd->images);
        clReleaseMemObject(dd->labels);
        return;
    }
    clFinish(dd->xfer);
    for (int k = 0; k < 2; k++) {
        clReleaseMemObject(dd->slot_images[k]);
        clReleaseMemObject(dd->slot_labels[k]);
        free(dd->stage[k]);
        free(dd->stage_labels[k]);
        release_event(&dd->uploaded[k]);
        release_event(&dd->used[k]);
    }
    clReleaseCommandQueue(dd->xfer);
}

/* Streamed: images order[first .. first+n) copied into the next slot (on the transfer queue,
 * after the last gather that read that slot), which the main queue then waits for. Returns the
 * slot. */
static int stream_batch(clrt *rt, device_data *dd, int first, int n)
{
    int k = dd->next;
    dd->next ^= 1;
    if (n > dd->slot_count)
        die("internal: a batch of %d images for slots of %d", n, dd->slot_count);
    if (dd->uploaded[k]) /* the stage's previous upload is done before it is written again */
        CL_CHECK(clWaitForEvents(1, &dd->uploaded[k]));
    release_event(&dd->uploaded[k]);
    size_t image = (size_t)dd->pixels * dd->channels;
    for (int i = 0; i < n; i++) {
        int src = dd->host_order ? dd->host_order[first + i] : first + i;
        memcpy(dd->stage[k] + (size_t)i * image, dd->host->pixels + (size_t)src * image, image);
        dd->stage_labels[k][i] = dd->host->labels[src];
    }
    cl_event write[2];
    cl_uint wait = dd->used[k] ? 1 : 0;
    CL_CHECK(clEnqueueWriteBuffer(dd->xfer, dd->slot_images[k], CL_FALSE, 0, (size_t)n * image,
                                  dd->stage[k], wait, wait ? &dd->used[k] : NULL, &write[0]));
    CL_CHECK(clEnqueueWriteBuffer(dd->xfer, dd->slot_labels[k], CL_FALSE, 0,
                                  (size_t)n * sizeof(uint16_t), dd->stage_labels[k], wait,
                                  wait ? &dd->used[k] : NULL, &write[1]));
    CL_CHECK(clFlush(dd->xfer));
    CL_CHECK(clEnqueueBarrierWithWaitList(rt->queue, 2, write, NULL));
    clReleaseEvent(write[0]);
    dd->uploaded[k] = write[1]; /* the in-order queue's last: both stages are free after it */
    return k;
}

void batch_gather(clrt *rt, cl_mem x, cl_mem y, device_data *dd, int first, int n,
                  long step)
{
    cl_kernel k = rt->kernels[K_gather_batch];
    const pixel_map *m = &dd->map;
    cl_float4 scale = {{m->scale[0], m->scale[1], m->scale[2], m->scale[3]}};
    cl_float4 offset = {{m->offset[0], m->offset[1], m->offset[2], m->offset[3]}};
    cl_uint seed = m->seed, at = (cl_uint)step; /* a step past 2^32 draws as step mod 2^32 */
    int slot = dd->host ? stream_batch(rt, dd, first, n) : -1;
    karg_mem(k, 0, slot < 0 ? dd->images : dd->slot_images[slot]);
    karg_mem(k, 1, slot < 0 ? dd->labels : dd->slot_labels[slot]);
    karg_mem(k, 2, dd->order);
    karg_int(k, 3, slot < 0 ? first : 0);
    karg_int(k, 4, dd->H);
    karg_int(k, 5, dd->W);
    karg_int(k, 6, dd->channels);
    karg_int(k, 7, n);
    CL_CHECK(clSetKernelArg(k, 8, sizeof scale, &scale));
    CL_CHECK(clSetKernelArg(k, 9, sizeof offset, &offset));
    karg_int(k, 10, m->flip);
    karg_int(k, 11, m->pad);
    CL_CHECK(clSetKernelArg(k, 12, sizeof seed, &seed));
    CL_CHECK(clSetKernelArg(k, 13, sizeof at, &at));
    karg_int(k, 14, dd->base);
    karg_mem(k, 15, x);
    karg_mem(k, 16, y);
    clrt_launch(rt, K_gather_batch, (size_t)dd->channels * n * dd->pixels, 0);
    if (slot >= 0) { /* the slot may be written again once this gather has read it */
        release_event(&dd->used[slot]);
        CL_CHECK(clEnqueueMarkerWithWaitList(rt->queue, 0, NULL, &dd->used[slot]));
        CL_CHECK(clFlush(rt->queue)); /* the transfer queue waits on it: it must be submitted */
    }
}
