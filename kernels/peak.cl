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
