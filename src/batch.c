/* batch.c: a data set kept on the device as bytes, and kernels/batch.cl that gathers a batch. */
#include "clnet/batch.h"

#include <stdlib.h>

#include "clnet/clerr.h"
#include "clnet/util.h"

size_t batch_device_bytes(int count, size_t image_bytes)
{
    return (size_t)count * (image_bytes + sizeof(uint16_t) + sizeof(int));
}

void batch_upload(clrt *rt, device_data *dd, const dataset *d, const char *what)
{
    dd->count = d->count;
    dd->pixels = d->rows * d->cols;
    dd->channels = d->channels;
    dd->H = d->rows, dd->W = d->cols;
    dd->map = pixel_map_plain();
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

void batch_release(device_data *dd)
{
    clReleaseMemObject(dd->images);
    clReleaseMemObject(dd->labels);
    clReleaseMemObject(dd->order);
}

void batch_gather(clrt *rt, cl_mem x, cl_mem y, const device_data *dd, int first, int n,
                  long step)
{
    cl_kernel k = rt->kernels[K_gather_batch];
    const pixel_map *m = &dd->map;
    cl_float4 scale = {{m->scale[0], m->scale[1], m->scale[2], m->scale[3]}};
    cl_float4 offset = {{m->offset[0], m->offset[1], m->offset[2], m->offset[3]}};
    cl_uint seed = m->seed, at = (cl_uint)step; /* a step past 2^32 draws as step mod 2^32 */
    karg_mem(k, 0, dd->images);
    karg_mem(k, 1, dd->labels);
    karg_mem(k, 2, dd->order);
    karg_int(k, 3, first);
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
    karg_mem(k, 14, x);
    karg_mem(k, 15, y);
    clrt_launch(rt, K_gather_batch, (size_t)dd->channels * n * dd->pixels, 0);
}
