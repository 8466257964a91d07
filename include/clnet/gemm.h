/* gemm.h: clnet's own GEMM for CPU devices (kernels/gemm.cl) on matrix views. k runs over
 * (q, ky, kx) and row m of A over (mc, my, mx) (see gemm.cl):
 *   A(m, k) = a[a_off + mc*amc + my*amy + mx*amx + q*aq + ky*ay + kx*ax]
 *   B(k, n) = b[b_off + q*bq + ky*by + kx*bx + n]
 *   C(m, n) = c[c_off + m*scm + n], or with transpose_c c[c_off + n*M + m]
 * C = A B (+ bias[bias_off + m] on row m when bias is not NULL; with bias_cols, which needs
 * transpose_c, bias[bias_off + n] on column n); C is overwritten.
 * gemm_plain fills in an ordinary strided product. */
#ifndef CLNET_GEMM_H
#define CLNET_GEMM_H

#include "clnet/clrt.h"
#include "clnet/geom.h"

typedef struct {
    int M, N, Q, KH, KW;
    cl_mem a;
    size_t a_off;
    int amc, amy, amx, mh, mw, aq, ay, ax;
    cl_mem b;
    size_t b_off;
    int bq, by, bx;
    cl_mem c;
    size_t c_off;
    int scm, transpose_c;
    cl_mem bias;
    size_t bias_off;
    int bias_cols;
    int period, skip_from; /* optional: columns n % period >= skip_from are never read */
} gemm_view;

/* Which GEMM rt's device runs for convolutions and the fc layer: clnet's (CONV_TILED, CPU
 * devices) or CLBlast's (elsewhere); $CLNET_CONV (rt->conv_algo) overrides. */
enum conv_algo gemm_device_algo(const clrt *rt);

/* A(m, k) = a[a_off + m*sam + k*sak], B(k, n) = b[b_off + k*sbk + n], C row stride scm. */
gemm_view gemm_plain(int M, int N, int K, cl_mem a, size_t a_off, int sam, int sak, cl_mem b,
                     size_t b_off, int sbk, cl_mem c, size_t c_off, int scm);
void gemm_tiled(clrt *rt, const gemm_view *v);

/* Scratch floats gemm_tiled needs for an M x N product over k = Q*KH*KW (its split partials,
 * or the transposed C); 0 when it writes C directly. */
size_t gemm_tiled_scratch(int M, int N, int Q, int KH, int KW, int transpose_c);

#endif
