/* kernels.h: every program clnet builds (kernels/<name>.cl, embedded by tools/embed.c or read
 * from --kernels DIR) with what its build options need, and every kernel clnet launches with the
 * program that defines it. A new kernel is one row here. */
#ifndef CLNET_KERNELS_H
#define CLNET_KERNELS_H

#include <stddef.h>

/* What a program's build options carry besides -cl-std=CL1.2 (clrt.c: program_options). */
enum {
    KOPT_NONE = 0,
    KOPT_GEMM_TILE = 1 /* gemm.cl's tile (-DGEMM_VW, GEMM_MR, GEMM_NV) and, on CPU devices,
                          -DGEMM_PREFETCH */
};

#define CLNET_PROGRAMS(P) \
    P(batch, KOPT_NONE)       \
    P(conv, KOPT_NONE)        \
    P(gemm, KOPT_GEMM_TILE)   \
    P(relu, KOPT_NONE)        \
    P(pool, KOPT_NONE)        \
    P(pad, KOPT_NONE)         \
    P(dense, KOPT_NONE)       \
    P(loss, KOPT_NONE)        \
    P(optim, KOPT_NONE)       \
    P(hist, KOPT_NONE)        \
    P(peak, KOPT_NONE)

enum program_id {
#define P(name, options) PROG_##name,
    CLNET_PROGRAMS(P)
#undef P
    PROG_COUNT
};

#define CLNET_KERNELS(X) \
    X(gather_batch, batch)       \
    X(im2col, conv)              \
    X(col2im, conv)              \
    X(im2col_t, conv)            \
    X(grid_t, conv)              \
    X(w_rearrange, conv)         \
    X(bias_add, conv)            \
    X(bias_grad, conv)           \
    X(gemm_tiled, gemm)          \
    X(gemm_reduce, gemm)         \
    X(relu_forward, relu)        \
    X(relu_backward, relu)       \
    X(maxpool_forward, pool)     \
    X(maxpool_backward, pool)    \
    X(maxpool2_forward, pool)    \
    X(maxpool2_backward, pool)   \
    X(avgpool_forward, pool)     \
    X(avgpool_backward, pool)    \
    X(pad_forward, pad)          \
    X(pad_backward, pad)         \
    X(crop_relu, pad)            \
    X(crop_relu_backward, pad)   \
    X(flatten, dense)            \
    X(transpose, dense)          \
    X(unflatten, dense)          \
    X(softmax_xent, loss)        \
    X(loss_reduce, loss)         \
    X(predicted_class, loss)     \
    X(optim_update, optim)       \
    X(hist_partial, hist)        \
    X(hist_final, hist)          \
    X(hist_range, hist)          \
    X(hist_bins, hist)           \
    X(finite_check, hist)        \
    X(peak_fma1, peak)           \
    X(peak_fma4, peak)           \
    X(peak_fma8, peak)           \
    X(peak_fma16, peak)          \
    X(peak_read, peak)           \
    X(peak_write, peak)          \
    X(peak_copy, peak)           \
    X(peak_empty, peak)

enum kernel_id {
#define X(name, program) K_##name,
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

#endif
