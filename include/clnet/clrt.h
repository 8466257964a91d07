/* clrt.h: the OpenCL runtime: device choice, one context and one in-order queue, the kernel
 * programs of kernels.h (embedded at build time or read from --kernels DIR); the check macros
 * are clerr.h's. */
#ifndef CLNET_CLRT_H
#define CLNET_CLRT_H

#include <stdio.h>

#include "clnet/clerr.h"
#include "clnet/kernels.h"
#include "clnet/util.h"

typedef struct clrt {
    cl_platform_id platform;
    cl_device_id device;
    cl_context ctx;
    cl_command_queue queue; /* in order, profiling enabled */
    cl_program programs[PROG_COUNT];
    cl_kernel kernels[K_COUNT];
    char device_name[256];
    char platform_name[256];
    cl_device_type device_type;
    cl_ulong global_mem;
    cl_ulong max_alloc;
    cl_uint compute_units;
    int conv_algo;        /* $CLNET_CONV: 0 auto, 1 tiled, 2 clblast (enum conv_algo, ops.h) */
    int gemm_vw, gemm_mr, gemm_nv; /* gemm.cl's tile: mr rows of nv vectors of vw floats */
    char tuned[PATH_BUF + 64]; /* the file of `clnet tune` applied to CLBlast's GEMM, or "" */
    double build_seconds; /* time spent building clnet's programs */
    cl_mem gemm_temp;     /* CLBlast GEMM scratch, grown once to the largest need (blas.c) */
    size_t gemm_temp_bytes;
    cl_mem gemm_scratch;  /* gemm_tiled's k-split partials, grown likewise (gemm.c) */
    size_t gemm_scratch_bytes;
} clrt;

/* Prints every platform and device, one row each; exits 1 with a hint when there is none. */
void clrt_list_devices(FILE *out);

/* Opens the device chosen by selector (an index from `clnet devices`, or a case-insensitive
 * substring of "platform device"); NULL means $CLNET_DEVICE, else the first GPU, else the first
 * device. kernel_dir NULL uses the embedded kernels, else reads <kernel_dir>/<name>.cl. */
void clrt_open(clrt *rt, const char *selector, const char *kernel_dir);
/* The `clnet devices` index of the k-th GPU (0-based), or -1; *count: how many there are. */
int clrt_gpu_index(int k, int *count);
void clrt_close(clrt *rt);

/* Device buffer of n bytes; name appears in the error message when allocation fails. */
cl_mem clrt_buffer(clrt *rt, size_t bytes, const char *name);
void clrt_upload(clrt *rt, cl_mem buf, size_t offset, size_t bytes, const void *src);
void clrt_download(clrt *rt, cl_mem buf, size_t offset, size_t bytes, void *dst);
void clrt_fill_zero(clrt *rt, cl_mem buf, size_t bytes);
void clrt_finish(clrt *rt);

/* Typed kernel arguments, each checked. */
void karg_mem(cl_kernel k, cl_uint index, cl_mem value);
void karg_int(cl_kernel k, cl_uint index, int value);
void karg_float(cl_kernel k, cl_uint index, float value);
/* A __local argument of the given size. */
void karg_local(cl_kernel k, cl_uint index, size_t bytes);
/* Launches kernel id over `global` work-items in one dimension (or two when global1 > 0). */
void clrt_launch(clrt *rt, enum kernel_id id, size_t global0, size_t global1);
/* Launches kernel id over global0 x global1 work-groups of one work-item each. */
void clrt_launch_single(clrt *rt, enum kernel_id id, size_t global0, size_t global1);
/* Launches kernel id over groups work-groups of local work-items, at most what the kernel and
 * device allow (returned: the local size used). */
size_t clrt_launch_groups(clrt *rt, enum kernel_id id, size_t groups, size_t local);

#endif
