/* clrt.h: the OpenCL runtime: device choice, one context and one in-order queue, the kernel
 * programs (embedded at build time or read from --kernels DIR), and the check macros through which
 * every OpenCL and CLBlast call goes. */
#ifndef CLNET_CLRT_H
#define CLNET_CLRT_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <stdio.h>

/* Every kernel clnet launches, with the kernels/<file>.cl that defines it. */
#define CLNET_KERNELS(X)                                                                          \
    X(gather_batch, "data")                                                                       \
    X(im2col, "conv")                                                                             \
    X(col2im, "conv")                                                                             \
    X(im2col_t, "conv")                                                                           \
    X(grid_t, "conv")                                                                             \
    X(bias_add, "conv")                                                                           \
    X(bias_grad, "conv")                                                                          \
    X(gemm_tiled, "gemm")                                                                         \
    X(gemm_reduce, "gemm")                                                                        \
    X(relu_forward, "relu")                                                                       \
    X(relu_backward, "relu")                                                                      \
    X(maxpool_forward, "pool")                                                                    \
    X(maxpool_backward, "pool")                                                                   \
    X(maxpool2_forward, "pool")                                                                   \
    X(maxpool2_backward, "pool")                                                                  \
    X(avgpool_forward, "pool")                                                                    \
    X(avgpool_backward, "pool")                                                                   \
    X(pad_forward, "pad")                                                                         \
    X(pad_backward, "pad")                                                                        \
    X(flatten, "dense")                                                                           \
    X(transpose, "dense")                                                                         \
    X(unflatten, "dense")                                                                         \
    X(softmax_xent, "loss")                                                                       \
    X(loss_reduce, "loss")                                                                        \
    X(optim_update, "optim")                                                                      \
    X(hist_partial, "hist")                                                                       \
    X(hist_final, "hist")                                                                         \
    X(hist_range, "hist")                                                                         \
    X(hist_bins, "hist")                                                                          \
    X(finite_check, "hist")                                                                       \
    X(peak_fma1, "peak")                                                                          \
    X(peak_fma4, "peak")                                                                          \
    X(peak_fma8, "peak")                                                                          \
    X(peak_fma16, "peak")                                                                         \
    X(peak_read, "peak")                                                                          \
    X(peak_write, "peak")                                                                         \
    X(peak_copy, "peak")                                                                          \
    X(peak_empty, "peak")

enum kernel_id {
#define X(name, file) K_##name,
    CLNET_KERNELS(X)
#undef X
    K_COUNT
};

/* A kernel source file: kernels/<name>.cl. */
struct clnet_source {
    const char *name;
    const char *text;
};
extern const struct clnet_source clnet_kernel_sources[];
extern const size_t clnet_kernel_source_count;

typedef struct clrt {
    cl_platform_id platform;
    cl_device_id device;
    cl_context ctx;
    cl_command_queue queue; /* in order, profiling enabled */
    cl_program *programs;
    size_t nprograms;
    cl_kernel kernels[K_COUNT];
    char device_name[256];
    char platform_name[256];
    cl_device_type device_type;
    cl_ulong global_mem;
    cl_ulong max_alloc;
    cl_uint compute_units;
    int conv_algo;        /* $CLNET_CONV: 0 auto, 1 tiled, 2 clblast (enum conv_algo, ops.h) */
    int gemm_vw, gemm_mr, gemm_nv; /* gemm.cl's tile: mr rows of nv vectors of vw floats */
    char tuned[4352];     /* the file of `clnet tune` applied to CLBlast's GEMM, or "" */
    double build_seconds; /* time spent building clnet's programs */
    cl_mem gemm_temp;     /* CLBlast GEMM scratch, grown once to the largest need (blas.c) */
    size_t gemm_temp_bytes;
    cl_mem gemm_scratch;  /* gemm_tiled's k-split partials, grown likewise (gemm.c) */
    size_t gemm_scratch_bytes;
} clrt;

/* Check macros: on failure print the status by name, the call, file:line and a hint; exit 1. */
#define CL_CHECK(call) cl_check((call), #call, __FILE__, __LINE__, NULL)
#define CL_CHECK_HINT(call, hint) cl_check((call), #call, __FILE__, __LINE__, (hint))
#define CLB_CHECK(call) clblast_check((int)(call), #call, __FILE__, __LINE__)

void cl_check(cl_int status, const char *call, const char *file, int line, const char *hint);
void clblast_check(int status, const char *call, const char *file, int line);
const char *cl_status_name(int status);

/* Prints every platform and device, one row each; exits 1 with a hint when there is none. */
void clrt_list_devices(FILE *out);

/* Opens the device chosen by selector (an index from `clnet devices`, or a case-insensitive
 * substring of "platform device"); NULL means $CLNET_DEVICE, else the first GPU, else the first
 * device. kernel_dir NULL uses the embedded kernels, else reads <kernel_dir>/<name>.cl. */
void clrt_open(clrt *rt, const char *selector, const char *kernel_dir);
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
