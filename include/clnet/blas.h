/* blas.h: the CLBlast calls clnet makes, row-major, on the runtime's queue. GEMM uses one scratch
 * buffer owned by the runtime, grown to the largest need on first use and then reused. */
#ifndef CLNET_BLAS_H
#define CLNET_BLAS_H

#include "clnet/clrt.h"

/* C = alpha * op(A) * op(B) + beta * C; op(A) is m x k, op(B) is k x n; offsets in floats. */
void blas_gemm(clrt *rt, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
               cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
               cl_mem c, size_t c_off, size_t ldc);

/* y = op(A) * x, A stored m x n row-major; x and y contiguous. */
void blas_gemv(clrt *rt, int trans_a, size_t m, size_t n, cl_mem a, size_t a_off, size_t lda,
               cl_mem x, cl_mem y, size_t y_off);

#endif
