/* gemm.c: launches kernels/gemm.cl. Work-items of nb column blocks (a tile wide) each; a long
 * k (the weight gradient's sum over every output position of the batch) is split into partial
 * products, summed by gemm_reduce, so both cores have work when M x N is small. */
#include "clnet/gemm.h"

#include <limits.h>

#include "clnet/clerr.h"
#include "clnet/util.h"

enum { KC = 256, SPLIT_MIN = 2048, SPLIT_MAX = 64 };

enum conv_algo gemm_device_algo(const clrt *rt)
{
    if (rt->conv_algo != CONV_AUTO)
        return (enum conv_algo)rt->conv_algo;
    return rt->device_type & CL_DEVICE_TYPE_CPU ? CONV_TILED : CONV_CLBLAST;
}

gemm_view gemm_plain(int M, int N, int K, cl_mem a, size_t a_off, int sam, int sak, cl_mem b,
                     size_t b_off, int sbk, cl_mem c, size_t c_off, int scm)
{
    return (gemm_view){.M = M, .N = N, .Q = K, .KH = 1, .KW = 1, .a = a, .a_off = a_off,
                       .amc = sam, .mh = 1, .mw = 1, .aq = sak, .b = b, .b_off = b_off,
                       .bq = sbk, .c = c, .c_off = c_off, .scm = scm};
}

/* How many partial products k = Q*KH*KW is split into (a split is whole q's). */
static int splits(int Q, int KH, int KW)
{
    long s = (long)Q * KH * KW / SPLIT_MIN;
    return s < 1 ? 1 : s > SPLIT_MAX ? SPLIT_MAX : s > Q ? Q : (int)s;
}

size_t gemm_tiled_scratch(int M, int N, int Q, int KH, int KW, int transpose_c)
{
    int s = splits(Q, KH, KW);
    return s > 1 || transpose_c ? (size_t)s * M * N : 0;
}

static cl_mem scratch(clrt *rt, size_t floats)
{
    size_t bytes = floats * sizeof(float);
    if (bytes > rt->gemm_scratch_bytes || !rt->gemm_scratch) {
        if (rt->gemm_scratch)
            CL_CHECK(clReleaseMemObject(rt->gemm_scratch));
        rt->gemm_scratch = clrt_buffer(rt, bytes, "GEMM split partials");
        rt->gemm_scratch_bytes = bytes;
    }
    return rt->gemm_scratch;
}

static int off_arg(size_t off)
{
    if (off > INT_MAX)
        die("gemm_tiled: offset %zu does not fit the kernel's int", off);
    return (int)off;
}

static void reduce(clrt *rt, cl_mem partials, int s, const gemm_view *v)
{
    cl_kernel r = rt->kernels[K_gemm_reduce];
    karg_mem(r, 0, partials);
    karg_int(r, 1, s);
    karg_int(r, 2, v->M);
    karg_int(r, 3, v->N);
    karg_mem(r, 4, v->c);
    karg_int(r, 5, off_arg(v->c_off));
    karg_int(r, 6, v->scm);
    karg_int(r, 7, v->transpose_c);
    karg_mem(r, 8, v->bias);
    karg_int(r, 9, off_arg(v->bias_off));
    karg_int(r, 10, v->bias_cols);
    clrt_launch(rt, K_gemm_reduce, (size_t)v->N, (size_t)v->M);
}

void gemm_tiled(clrt *rt, const gemm_view *v)
{
    int taps = v->KH * v->KW, qc = KC / taps > 1 ? KC / taps : 1;
    int s = splits(v->Q, v->KH, v->KW), qs = (v->Q + s - 1) / s;
    qs = (qs + qc - 1) / qc * qc;
    s = (v->Q + qs - 1) / qs;
    int via = s > 1 || v->transpose_c;
    if (v->bias_cols && !v->transpose_c)
        die("gemm_tiled: a bias per column needs transpose_c (gemm.h)");
    int NR = rt->gemm_nv * rt->gemm_vw; /* the tile's columns (gemm.cl) */
    int blocks = (v->N + NR - 1) / NR, nb = 8, want = 4 * (int)rt->compute_units;
    while (nb > 1 && (blocks + nb - 1) / nb * s < want)
        nb /= 2;
    cl_kernel k = rt->kernels[K_gemm_tiled];
    cl_mem out = via ? scratch(rt, (size_t)s * v->M * v->N) : v->c;
    int a = 0;
    int ints[] = {v->M, v->N, v->Q, v->KH, v->KW};
    for (int i = 0; i < 5; i++)
        karg_int(k, a++, ints[i]);
    karg_mem(k, a++, v->a);
    int aints[] = {off_arg(v->a_off), v->amc, v->amy, v->amx, v->mh, v->mw, v->aq, v->ay, v->ax};
    for (int i = 0; i < 9; i++)
        karg_int(k, a++, aints[i]);
    karg_mem(k, a++, v->b);
    int bints[] = {off_arg(v->b_off), v->bq, v->by, v->bx};
    for (int i = 0; i < 4; i++)
        karg_int(k, a++, bints[i]);
    karg_mem(k, a++, out);
    karg_int(k, a++, via ? 0 : off_arg(v->c_off));
    karg_int(k, a++, via ? v->N : v->scm);
    karg_mem(k, a++, via ? NULL : v->bias); /* after a split, gemm_reduce adds it */
    karg_int(k, a++, off_arg(v->bias_off));
    karg_int(k, a++, nb);
    karg_int(k, a++, qc);
    karg_int(k, a++, qs);
    karg_int(k, a++, via ? 0 : v->period);
    karg_int(k, a++, v->skip_from);
    size_t b_bytes;
    CL_CHECK(clGetMemObjectInfo(v->b, CL_MEM_SIZE, sizeof b_bytes, &b_bytes, NULL));
    cl_long b_len = (cl_long)(b_bytes / sizeof(float)) - (cl_long)v->b_off; /* floats from B */
    CL_CHECK(clSetKernelArg(k, (cl_uint)a++, sizeof b_len, &b_len));
    clrt_launch_single(rt, K_gemm_tiled, (size_t)(blocks + nb - 1) / nb, (size_t)s);
    if (via)
        reduce(rt, out, s, v);
}
