/* peak.cl: the device's own limits, for clnet bench: FMA throughput, global-memory bandwidth
 * (read, write, copy) and kernel launch latency. a = a*b + c with b = 0.999, c = 0.001 converges
 * to 1, so there are no infinities or denormals to slow anything down. */

#define FMA_BODY(T)                                                                               \
    T a0 = (T)(get_global_id(0) & 7), a1 = a0 + (T)(1), a2 = a0 + (T)(2), a3 = a0 + (T)(3);        \
    T a4 = a0 + (T)(4), a5 = a0 + (T)(5), a6 = a0 + (T)(6), a7 = a0 + (T)(7);                      \
    T vb = (T)(b), vc = (T)(c);                                                                    \
    for (int i = 0; i < iters; i++) {                                                              \
        a0 = mad(a0, vb, vc); a1 = mad(a1, vb, vc); a2 = mad(a2, vb, vc); a3 = mad(a3, vb, vc);    \
        a4 = mad(a4, vb, vc); a5 = mad(a5, vb, vc); a6 = mad(a6, vb, vc); a7 = mad(a7, vb, vc);    \
    }                                                                                              \
    T s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;

/* 8 independent chains of `iters` FMAs per work-item, of float, float4 and float8. */
__kernel void peak_fma1(__global float *out, float b, float c, int iters)
{
    FMA_BODY(float)
    out[get_global_id(0)] = s;
}

__kernel void peak_fma4(__global float *out, float b, float c, int iters)
{
    FMA_BODY(float4)
    out[get_global_id(0)] = s.x + s.y + s.z + s.w;
}

__kernel void peak_fma8(__global float *out, float b, float c, int iters)
{
    FMA_BODY(float8)
    out[get_global_id(0)] = s.s0 + s.s1 + s.s2 + s.s3 + s.s4 + s.s5 + s.s6 + s.s7;
}

/* float16, one AVX-512 register (what gemm.cl computes with): 12 chains, as 8 only just cover
 * two FMA units of 4 cycles' latency. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void peak_fma16(__global float *out, float b, float c, int iters)
{
    /* distinct lanes, or the compiler may compute one lane and broadcast it */
    float16 a0 = (float16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) * 0.0625f +
                 (float)(get_global_id(0) & 7);
    float16 a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3;
    float16 a4 = a0 + 4, a5 = a0 + 5, a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9;
    float16 a10 = a0 + 10, a11 = a0 + 11, vb = (float16)(b), vc = (float16)(c);
    for (int i = 0; i < iters; i++) {
        a0 = fma(a0, vb, vc); a1 = fma(a1, vb, vc); a2 = fma(a2, vb, vc); a3 = fma(a3, vb, vc);
        a4 = fma(a4, vb, vc); a5 = fma(a5, vb, vc); a6 = fma(a6, vb, vc); a7 = fma(a7, vb, vc);
        a8 = fma(a8, vb, vc); a9 = fma(a9, vb, vc); a10 = fma(a10, vb, vc); a11 = fma(a11, vb, vc);
    }
    float16 s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    float8 h = s.lo + s.hi;
    out[get_global_id(0)] = h.s0 + h.s1 + h.s2 + h.s3 + h.s4 + h.s5 + h.s6 + h.s7;
}

/* Each work-item touches `per_item` float4s: with chunked = 0 one global-size stride apart
 * (coalesced: what GPUs want), with chunked = 1 a contiguous run of its own (what CPUs want). */
#define AT(i) (chunked ? gid * (size_t)per_item + (size_t)(i) : (size_t)(i) * gs + gid)

__kernel void peak_read(__global const float4 *in, __global float *out, int per_item, int chunked)
{
    size_t gid = get_global_id(0), gs = get_global_size(0);
    float4 s = (float4)(0.0f);
    for (int i = 0; i < per_item; i++)
        s += in[AT(i)];
    out[gid] = s.x + s.y + s.z + s.w;
}

__kernel void peak_write(__global float4 *out, int per_item, int chunked)
{
    size_t gid = get_global_id(0), gs = get_global_size(0);
    for (int i = 0; i < per_item; i++)
        out[AT(i)] = (float4)((float)i);
}

__kernel void peak_copy(__global const float4 *in, __global float4 *out, int per_item, int chunked)
{
    size_t gid = get_global_id(0), gs = get_global_size(0);
    for (int i = 0; i < per_item; i++)
        out[AT(i)] = in[AT(i)];
}

__kernel void peak_empty(__global float *out)
{
    if (get_global_id(0) == (size_t)-1)
        out[0] = 0.0f;
}
