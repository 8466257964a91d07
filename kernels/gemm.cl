/* gemm.cl: C = A B for CPU devices, register-blocked: each work-item computes whole tiles of C,
 * GEMM_MR x GEMM_NR (GEMM_NR = GEMM_NV vectors of GEMM_VW floats), in GEMM_MR*GEMM_NV vector
 * accumulators (on AVX-512 6 x 64 in 24 float16, one zmm register each) and one outer product
 * per step of k: GEMM_MR*GEMM_NV FMAs on GEMM_NV vector loads of B and GEMM_MR broadcasts of A.
 *
 * The matrices are views, so neither a transpose nor an im2col needs a copy. The k index runs
 * over (q, ky, kx), q < Q, ky < KH, kx < KW (a plain GEMM has KH = KW = 1), and row m of A over
 * (mc, my, mx), my < mh, mx < mw (plain: mh = mw = 1):
 *   A(m, k) = A[a_off + mc*amc + my*amy + mx*amx + q*aq + ky*ay + kx*ax]   (broadcast)
 *   B(k, n) = B[b_off + q*bq + ky*by + kx*bx + n]                         (16 floats at a time)
 *   C(m, n) = C[c_off + m*scm + n]
 * so a stride-1 convolution over a zero-padded input is B(k, n) = xp[c*plane + ky*Wp + kx + n]
 * (conv_tiled.c). Work-item (g, s) owns the n-blocks g*nb .. g*nb + nb - 1 (GEMM_NR columns each)
 * for every m, over q in [s*qs, min(Q, (s+1)*qs)); with more than one s (a split, gemm.c), item s
 * writes its partial product at C + s*M*scm, which gemm_reduce sums. Within an item q runs in
 * chunks of qchunk, and for each chunk the n-blocks and then the m-tiles: a chunk of B stays in
 * L1 while every m-tile uses it, a chunk of A in L2 while every n-block does. Bias, when given,
 * is added to row m as the tile is stored after the last chunk (by gemm_reduce after a split).
 * Edges: rows past M read A's last row and are not stored; a partial last n-block loads and
 * stores element by element. With period > 0, n-blocks that lie wholly in [skip_from, period)
 * of a period of columns are skipped (the grid rows below each image's valid outputs). Launched
 * with work-groups of one work-item (gemm.c). */
/* The tile comes from the host (clrt.c, from the device's preferred float vector width): 6 rows
 * of 4 float16 for AVX-512 (24 of its 32 registers accumulate; measured faster than 8 x 2, 4 x 4,
 * 7 x 4 and 8 x 3), 6 rows of 2 float8 for AVX2 and of 2 float4 for SSE (12 of their 16). */
#ifndef GEMM_VW
#define GEMM_VW 16
#endif
#ifndef GEMM_MR
#define GEMM_MR 6
#endif
#ifndef GEMM_NV
#define GEMM_NV 4
#endif
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define VEC CAT(float, GEMM_VW)
#define VLOAD CAT(vload, GEMM_VW)
#define VSTORE CAT(vstore, GEMM_VW)
#define GEMM_NR (GEMM_NV * GEMM_VW)
#if GEMM_NV == 2
#define VECS(X, r) X(r, 0) X(r, 1)
#elif GEMM_NV == 4
#define VECS(X, r) X(r, 0) X(r, 1) X(r, 2) X(r, 3)
#else
#error "GEMM_NV must be 2 or 4"
#endif
#if GEMM_MR == 6
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#else
#error "GEMM_MR must be 6"
#endif

/* Per vector v of row r's accumulators (VECS(X, r) applies X to each). */
#define DECLV(r, v) VEC c##r##v;
#define ZEROV(r, v) c##r##v = (VEC)(0.0f);
#define LOADV(r, v) c##r##v = VLOAD(v, cp + (size_t)r * scm);
#define LOADTV(r, v) c##r##v = VLOAD(v, t);
#define BIASV(r, v) c##r##v += bv;
#define STOREV(r, v) VSTORE(c##r##v, v, cp + (size_t)r * scm);
#define STORETV(r, v) VSTORE(c##r##v, v, t);
#define FMAV(r, v) c##r##v = fma(a, b##v, c##r##v);
#define G_DECL(r) VECS(DECLV, r) __global const float *a##r = A + a_row(min(m0 + r, M - 1), \
                                                                      mh, mw, amc, amy, amx);
#define G_ZERO(r) VECS(ZEROV, r)
#define G_LOAD(r) if (m0 + r < M) { VECS(LOADV, r) } else { G_ZERO(r) }
#define G_LOAD_EDGE(r) if (m0 + r < M) { float t[GEMM_NR]; \
        for (int i = 0; i < GEMM_NR; i++) t[i] = i < nv ? cp[(size_t)r * scm + i] : 0.0f; \
        VECS(LOADTV, r) } else { G_ZERO(r) }
#define G_BIAS(r) if (bias && m0 + r < M) { VEC bv = (VEC)(bias[bias_off + m0 + r]); \
                                            VECS(BIASV, r) }
#define G_STORE(r) if (m0 + r < M) { VECS(STOREV, r) }
#define G_STORE_EDGE(r) if (m0 + r < M) { float t[GEMM_NR]; VECS(STORETV, r) \
        for (int i = 0; i < nv; i++) cp[(size_t)r * scm + i] = t[i]; }
#define G_FMA(r) { VEC a = (VEC)(a##r[ao]); VECS(FMAV, r) }
/* One chunk of k for one tile: LOADB sets b0 .. b<GEMM_NV-1> from bp + bo (b2, b3 unused with
 * two vectors). Taps outside, q inside: the inner loop is as long as the chunk's q range (the
 * tap loops of 3 inside it cost 10-15 % at 3x3 with B in L1; a plain k has one tap), and LLVM
 * must not unroll the tap loops (it did, and spilled the accumulators to the stack). */
#define G_CHUNK(LOADB) \
    _Pragma("unroll 1") for (int ky = 0; ky < KH; ky++) \
        _Pragma("unroll 1") for (int kx = 0; kx < KW; kx++) { \
            long ao = (long)qc * aq + ky * ay + kx * ax, bo = (long)qc * bq + ky * by + kx * bx; \
            _Pragma("unroll 1") for (int q = qc; q < qn; q++, ao += aq, bo += bq) { \
                VEC b0, b1, b2, b3; \
                LOADB \
                PREFETCH_NEXT \
                ROWS(G_FMA) \
            } \
        }
/* Software prefetch of the next column block's lines of B at this step's row (at 3x3 with 64
 * columns, kx = 0, 1, 2 cover 6 lines: the block's 4 and its taps' overhang), so the first
 * m-tile of the next block does not wait on memory: +4-11 % on 3x3 convolutions here. Only where
 * the host asks for it (CPU devices; clang's builtin, which never faults, even past the end of
 * B). */
#ifdef GEMM_PREFETCH
#define PREFETCH_NEXT __builtin_prefetch(bp + bo + GEMM_NR + kx * 32); \
                      __builtin_prefetch(bp + bo + GEMM_NR + kx * 32 + 16);
#else
#define PREFETCH_NEXT
#endif
#define LOADBV(r, v) b##v = VLOAD(v, bp + bo);
#define LOADBTV(r, v) b##v = VLOAD(v, t);
#define G_LOADB_FULL VECS(LOADBV, 0)
#define G_LOADB_EDGE { float t[GEMM_NR]; \
        for (int i = 0; i < GEMM_NR; i++) t[i] = i < nv ? bp[bo + i] : 0.0f; \
        VECS(LOADBTV, 0) }
/* A partial block still loads whole vectors where they end inside B (b_len floats): the lanes
 * past its nv columns hold the next row's values, which reach only accumulator lanes that are
 * never stored. Only the last rows of B take the element-wise load (mlp's fc at N = 500: 52
 * columns a row, 10 % of the work, had run element by element). */
#define G_LOADB_PARTIAL if (n0 + bo + GEMM_NR <= b_len) { G_LOADB_FULL } else G_LOADB_EDGE

static long a_row(int m, int mh, int mw, int amc, int amy, int amx)
{
    return (long)(m / (mh * mw)) * amc + (long)(m / mw % mh) * amy + (long)(m % mw) * amx;
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void gemm_tiled(int M, int N, int Q, int KH, int KW,
                __global const float *A, int a_off, int amc, int amy, int amx, int mh, int mw,
                int aq, int ay, int ax,
                __global const float *B, int b_off, int bq, int by, int bx,
                __global float *C, int c_off, int scm, __global const float *bias, int bias_off,
                int nb, int qchunk, int qs, int period, int skip_from, long b_len)
{
    int g = get_global_id(0), s = get_global_id(1);
    int q0 = s * qs, q1 = min(Q, q0 + qs);
    A += a_off;
    B += b_off;
    C += c_off + (size_t)s * M * scm;
    for (int qc = q0; qc < q1; qc += qchunk) {
        int qn = min(qc + qchunk, q1);
        for (int j = 0; j < nb; j++) {
            int n0 = (g * nb + j) * GEMM_NR, nv = min(GEMM_NR, N - n0);
            if (nv <= 0)
                break;
            int at = period ? n0 % period : 0;
            if (period && at >= skip_from && at + GEMM_NR <= period)
                continue; /* columns that are never read (below the valid rows of a grid) */
            __global const float *bp = B + n0;
            for (int m0 = 0; m0 < M; m0 += GEMM_MR) {
                __global float *cp = C + (size_t)m0 * scm + n0;
                ROWS(G_DECL)
                if (qc == q0) {
                    ROWS(G_ZERO)
                } else if (nv == GEMM_NR) {
                    ROWS(G_LOAD)
                } else {
                    ROWS(G_LOAD_EDGE)
                }
                if (nv == GEMM_NR) {
                    G_CHUNK(G_LOADB_FULL)
                } else {
                    G_CHUNK(G_LOADB_PARTIAL)
                }
                if (qn >= q1) {
                    ROWS(G_BIAS)
                }
                if (nv == GEMM_NR) {
                    ROWS(G_STORE)
                } else {
                    ROWS(G_STORE_EDGE)
                }
            }
        }
    }
}

/* Sums the split partials of gemm_tiled, P[s][r][c] (rows x cols each), plus bias[bias_off + r]
 * (with bias_cols, bias[bias_off + c]) when bias is given, into C[c_off + r*scm + c], or with
 * transpose into C[c_off + c*rows + r]. Work-item (c, r). */
__kernel void gemm_reduce(__global const float *P, int splits, int rows, int cols,
                          __global float *C, int c_off, int scm, int transpose,
                          __global const float *bias, int bias_off, int bias_cols)
{
    int c = get_global_id(0), r = get_global_id(1);
    size_t count = (size_t)rows * cols, i = (size_t)r * cols + c;
    float sum = bias ? bias[bias_off + (bias_cols ? c : r)] : 0.0f;
    for (int s = 0; s < splits; s++)
        sum += P[s * count + i];
    C[c_off + (transpose ? (size_t)c * rows + r : (size_t)r * scm + c)] = sum;
}
