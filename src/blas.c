/* blas.c: CLBlast GEMM/GEMV with a reused scratch buffer. */
#include "clnet/blas.h"

#include <clblast_c.h>

static CLBlastTranspose tr(int t)
{
    return t ? CLBlastTransposeYes : CLBlastTransposeNo;
}

void blas_gemm(clrt *rt, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
               cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
               cl_mem c, size_t c_off, size_t ldc)
{
    size_t need = 0;
    CLB_CHECK(CLBlastSGemmTempBufferSize(CLBlastLayoutRowMajor, tr(trans_a), tr(trans_b), m, n,
                                         k, a_off, lda, b_off, ldb, c_off, ldc, &rt->queue,
                                         &need));
    if (need > rt->gemm_temp_bytes || !rt->gemm_temp) {
        if (rt->gemm_temp)
            CL_CHECK(clReleaseMemObject(rt->gemm_temp));
        rt->gemm_temp = clrt_buffer(rt, need, "GEMM scratch");
        rt->gemm_temp_bytes = need;
    }
    CLB_CHECK(CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, tr(trans_a), tr(trans_b), m, n, k,
                                         alpha, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc,
                                         &rt->queue, NULL, rt->gemm_temp));
}

void blas_gemv(clrt *rt, int trans_a, size_t m, size_t n, cl_mem a, size_t a_off, size_t lda,
               cl_mem x, cl_mem y, size_t y_off)
{
    CLB_CHECK(CLBlastSgemv(CLBlastLayoutRowMajor, tr(trans_a), m, n, 1.0f, a, a_off, lda, x, 0,
                           1, 0.0f, y, y_off, 1, &rt->queue, NULL));
}
