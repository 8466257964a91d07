/* hist.cl: statistics and histograms of tensors on the device, so a capture reads back only the
 * bins and a few numbers per tensor, never the tensors.
 *
 * Per tensor slot t:
 *   stats_f[4t..]: min, max, mean, M2 (sum of squared deviations from the mean) of finite values
 *   stats_i[4t..]: finite count, count <= 0, non-finite count, 0
 *   range[3t..]:   lo, hi, scale = nbins / (hi - lo); value v falls in bin (int)((v - lo) * scale),
 *                  clamped to [0, nbins-1] (the host reference uses the same float operations)
 *   bins[nbins*t..]: counts of finite values
 * Partial records (hist_partial, one per work-item) have the same layout as stats_f / stats_i.
 *
 * Work-items of hist_partial, hist_bins and finite_check split x[off .. off+n) between them in
 * one of two ways (hist.c picks): chunked = 0, element i goes to item i % P (neighbouring items
 * read neighbouring floats: what GPUs coalesce); chunked = 1, item p takes a contiguous run (what
 * a CPU's caches and prefetchers want: with the uncontended counting below, a capture of ltfn's
 * tensors 179 -> 72 ms here). */

/* Item p's share: indices first, first + step, ... below end. */
#define SHARE(p, P, n)                                                                         \
    int step_ = chunked ? 1 : (P), per_ = (n) / (P) + ((n) % (P) != 0);                        \
    int first_ = chunked ? (p) * per_ : (p), end_ = chunked ? min((n), first_ + per_) : (n);

/* Writes one record (the layout above) at index i. */
void put_record(__global float *f, __global uint *u, int i, float mn, float mx, float mean,
                float m2, uint cnt, uint le0, uint bad)
{
    f[4 * i] = mn;
    f[4 * i + 1] = mx;
    f[4 * i + 2] = mean;
    f[4 * i + 3] = m2;
    u[4 * i] = cnt;
    u[4 * i + 1] = le0;
    u[4 * i + 2] = bad;
    u[4 * i + 3] = 0;
}

/* Each work-item's share in blocks of 64 values: a block's sum, then the squared deviations
 * from its mean (a second pass over the same 64 values, in cache), merged into the running
 * record by Chan et al.'s pairwise update. No division per value (Welford's running mean had
 * one: a third of a capture on CPUs). */
__kernel void hist_partial(__global const float *x, int off, int n, __global float *part_f,
                           __global uint *part_i, int chunked)
{
    int p = get_global_id(0), P = get_global_size(0);
    __global const float *v = x + off;
    float mn = INFINITY, mx = -INFINITY, mean = 0.0f, m2 = 0.0f;
    uint cnt = 0, le0 = 0, bad = 0;
    SHARE(p, P, n)
    for (long i0 = first_; i0 < end_; i0 += 64 * step_) { /* long: no overflow near 2^31 */
        long i1 = min((long)end_, i0 + 64 * step_);
        float sum = 0.0f;
        uint c = 0;
        for (long i = i0; i < i1; i += step_) {
            float a = v[i];
            if (!isfinite(a)) {
                bad++;
                continue;
            }
            c++;
            sum += a;
            le0 += a <= 0.0f;
            mn = fmin(mn, a);
            mx = fmax(mx, a);
        }
        if (c == 0)
            continue;
        float bm = sum / (float)c, bm2 = 0.0f;
        for (long i = i0; i < i1; i += step_) {
            float a = v[i];
            if (isfinite(a))
                bm2 += (a - bm) * (a - bm);
        }
        float na = (float)cnt, nb = (float)c, tot = na + nb, d = bm - mean;
        mean += d * (nb / tot);
        m2 += bm2 + d * d * (na * nb / tot);
        cnt += c;
    }
    put_record(part_f, part_i, p, mn, mx, mean, m2, cnt, le0, bad);
}

/* One work-item merges the nparts partial records into slot (Chan et al.'s pairwise update). */
__kernel void hist_final(__global const float *part_f, __global const uint *part_i, int nparts,
                         __global float *stats_f, __global uint *stats_i, int slot)
{
    float mn = INFINITY, mx = -INFINITY, mean = 0.0f, m2 = 0.0f;
    uint cnt = 0, le0 = 0, bad = 0;
    for (int p = 0; p < nparts; p++) {
        uint nb = part_i[4 * p];
        le0 += part_i[4 * p + 1];
        bad += part_i[4 * p + 2];
        if (nb == 0)
            continue;
        mn = fmin(mn, part_f[4 * p]);
        mx = fmax(mx, part_f[4 * p + 1]);
        float na = (float)cnt, nbf = (float)nb, tot = na + nbf;
        float d = part_f[4 * p + 2] - mean;
        mean += d * (nbf / tot);
        m2 += part_f[4 * p + 3] + d * d * (na * nbf / tot);
        cnt += nb;
    }
    put_record(stats_f, stats_i, slot, mn, mx, mean, m2, cnt, le0, bad);
}

/* One work-item: the bin range of every slot. group[t] < 0: the slot's own min..max; otherwise
 * the union of min..max over every slot of the same group (a shared x axis). A range of zero
 * width is widened so that every value still has a bin. */
__kernel void hist_range(__global const float *stats_f, __global const uint *stats_i,
                         __global const int *group, int nslots, int nbins, __global float *range)
{
    for (int t = 0; t < nslots; t++) {
        float lo = INFINITY, hi = -INFINITY;
        for (int u = 0; u < nslots; u++) {
            if (u != t && (group[t] < 0 || group[u] != group[t]))
                continue;
            if (stats_i[4 * u] == 0)
                continue;
            lo = fmin(lo, stats_f[4 * u]);
            hi = fmax(hi, stats_f[4 * u + 1]);
        }
        if (!(lo <= hi)) { /* no finite value */
            lo = 0.0f;
            hi = 1.0f;
        } else if (!(hi > lo)) {
            float w = fabs(lo) > 0.0f ? fabs(lo) * 1e-3f : 1e-3f;
            lo -= w;
            hi += w;
        }
        range[3 * t] = lo;
        range[3 * t + 1] = hi;
        range[3 * t + 2] = (float)nbins / (hi - lo);
    }
}

/* Counts finite values of x[off .. off+n) into bins[nbins*slot ..]: a histogram per work-group
 * in local memory, then one atomic add per bin and group. A group of one work-item (CPUs) counts
 * without atomics. */
__kernel void hist_bins(__global const float *x, int off, int n, __global const float *range,
                        int slot, int nbins, __global uint *bins, __local uint *local_bins,
                        int chunked)
{
    int lid = get_local_id(0), L = get_local_size(0);
    for (int b = lid; b < nbins; b += L)
        local_bins[b] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    float lo = range[3 * slot], scale = range[3 * slot + 2];
    __global const float *v = x + off;
    SHARE((int)get_global_id(0), (int)get_global_size(0), n)
    for (int i = first_; i < end_; i += step_) {
        float a = v[i];
        if (!isfinite(a))
            continue;
        float f = (a - lo) * scale;
        int b = !(f > 0.0f) ? 0 : f >= (float)(nbins - 1) ? nbins - 1 : (int)f; /* NaN: 0 * inf */
        if (L == 1)
            local_bins[b]++;
        else
            atomic_inc(&local_bins[b]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int b = lid; b < nbins; b += L)
        if (local_bins[b])
            atomic_add(&bins[nbins * slot + b], local_bins[b]);
}

/* --check-finite: the first step, and at that step the first tensor in network order, that
 * holds a non-finite value. flag = {step, tensor}, both INT_MAX until found; finding one also
 * latches status[0], which stops every later parameter update. */
__kernel void finite_check(__global const float *x, int off, int n, int step, int tensor,
                           __global int *flag, __global int *status, int chunked)
{
    if (atomic_add(&flag[0], 0) < step) /* an atomic read: other work-items may set it */
        return;
    __global const float *v = x + off;
    int bad = 0;
    SHARE((int)get_global_id(0), (int)get_global_size(0), n)
    for (int i = first_; i < end_ && !bad; i += step_)
        bad = !isfinite(v[i]);
    if (bad) {
        atomic_min(&flag[0], step);
        atomic_min(&flag[1], tensor);
        atomic_xchg(&status[0], 1);
    }
}
