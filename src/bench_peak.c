/* bench_peak.c: the device's limits for clnet bench (kernels/peak.cl): the FMA throughput of
 * float .. float16 chains, read, write and copy bandwidth on buffers larger than caches, and
 * the latency of an empty launch. */
#include <math.h>
#include <stdlib.h>

#include "clnet/bench_parts.h"
#include "clnet/stop.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_sort(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double time_kernel_ms(clrt *rt, enum kernel_id id, size_t global)
{
    double best = INFINITY;
    size_t fixed[3]; /* the kernel's reqd_work_group_size, if it has one */
    CL_CHECK(clGetKernelWorkGroupInfo(rt->kernels[id], rt->device,
                                      CL_KERNEL_COMPILE_WORK_GROUP_SIZE, sizeof fixed, fixed, NULL));
    for (int k = 0; k < 3; k++) {
        stop_poll("during bench: nothing was written");
        cl_event e;
        CL_CHECK(clEnqueueNDRangeKernel(rt->queue, rt->kernels[id], 1, NULL, &global,
                                        fixed[0] ? fixed : NULL, 0, NULL, &e));
        CL_CHECK(clWaitForEvents(1, &e));
        cl_ulong t0, t1;
        CL_CHECK(clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL));
        CL_CHECK(clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL));
        clReleaseEvent(e);
        best = fmin(best, (double)(t1 - t0) * 1e-6);
    }
    return best;
}

static void measure_fma(clrt *rt, peaks *p)
{
    cl_uint cus = rt->compute_units;
    size_t global = (size_t)16384 * (cus < 4 ? 4 : cus);
    cl_mem out = clrt_buffer(rt, global * sizeof(float), "peak");
    const enum kernel_id ids[4] = {K_peak_fma1, K_peak_fma4, K_peak_fma8, K_peak_fma16};
    const int widths[4] = {1, 4, 8, 16};
    for (int v = 0; v < 4; v++) {
        /* float16 runs one work-item per group, as gemm.cl does: a few long ones */
        size_t items = widths[v] == 16 ? (size_t)32 * (cus < 4 ? 4 : cus) : global;
        cl_kernel k = rt->kernels[ids[v]];
        karg_mem(k, 0, out);
        karg_float(k, 1, 0.999f);
        karg_float(k, 2, 0.001f);
        int iters = 16;
        double ms;
        for (;;) { /* grow the work until one launch takes 100 ms */
            karg_int(k, 3, iters);
            ms = time_kernel_ms(rt, ids[v], items);
            if (ms > 100 || iters >= 1 << 26)
                break;
            iters *= ms > 2 ? 2 : 8;
        }
        double gf = (double)items * iters * (widths[v] == 16 ? 12 : 8) * widths[v] * 2 / (ms * 1e6);
        if (gf > p->gflops)
            p->gflops = gf, p->fma_width = widths[v];
    }
    clReleaseMemObject(out);
}

static void measure_memory(clrt *rt, peaks *p)
{
    size_t bytes = (size_t)256 << 20;
    while (bytes > rt->max_alloc / 2 || 3 * bytes > rt->global_mem / 2)
        bytes /= 2;
    size_t vec = bytes / 16, global = 1 << 16;
    if (global > vec)
        global = vec;
    int per = (int)(vec / global);
    bytes = (size_t)per * global * 16;
    cl_mem a = clrt_buffer(rt, bytes, "peak"), b = clrt_buffer(rt, bytes, "peak"),
           o = clrt_buffer(rt, global * sizeof(float), "peak");
    clrt_fill_zero(rt, a, bytes);
    for (int chunked = 0; chunked <= 1; chunked++) { /* the better access pattern counts */
        cl_kernel k = rt->kernels[K_peak_read];
        karg_mem(k, 0, a), karg_mem(k, 1, o), karg_int(k, 2, per), karg_int(k, 3, chunked);
        p->read = fmax(p->read, bytes / (time_kernel_ms(rt, K_peak_read, global) * 1e6));
        k = rt->kernels[K_peak_write];
        karg_mem(k, 0, b), karg_int(k, 1, per), karg_int(k, 2, chunked);
        p->write = fmax(p->write, bytes / (time_kernel_ms(rt, K_peak_write, global) * 1e6));
        k = rt->kernels[K_peak_copy];
        karg_mem(k, 0, a), karg_mem(k, 1, b), karg_int(k, 2, per), karg_int(k, 3, chunked);
        p->copy = fmax(p->copy, 2.0 * bytes / (time_kernel_ms(rt, K_peak_copy, global) * 1e6));
    }
    clReleaseMemObject(a), clReleaseMemObject(b), clReleaseMemObject(o);
}

static void measure_launch(clrt *rt, peaks *p)
{
    cl_mem o = clrt_buffer(rt, sizeof(float), "peak");
    karg_mem(rt->kernels[K_peak_empty], 0, o);
    double us[101];
    for (int k = 0; k < 101; k++) {
        double t0 = now_seconds();
        clrt_launch(rt, K_peak_empty, 1, 0);
        clrt_finish(rt);
        us[k] = (now_seconds() - t0) * 1e6;
    }
    p->launch_us = bench_sort(us, 101);
    clReleaseMemObject(o);
}

void bench_peaks(clrt *rt, peaks *p)
{
    *p = (peaks){0, 0, 0, 0, 0, 0};
    measure_fma(rt, p);
    measure_memory(rt, p);
    measure_launch(rt, p);
}
