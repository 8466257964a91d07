/* clrt.c: OpenCL runtime: status names, device listing and choice, context/queue, program build. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/clrt.h"

#include <clblast_c.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/files.h"
#include "clnet/stop.h"
#include "clnet/tuned.h"
#include "clnet/util.h"

#define CL_PLATFORM_NOT_FOUND_KHR_ (-1001)

/* ---- device enumeration ---- */

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
} device_ref;

static size_t all_devices(device_ref **out)
{
    cl_uint np = 0;
    cl_int st = clGetPlatformIDs(0, NULL, &np);
    if (st == CL_PLATFORM_NOT_FOUND_KHR_ || (st == CL_SUCCESS && np == 0))
        die("no OpenCL platform found\nHINT: install an OpenCL driver; for a CPU device: "
            "apt-get install pocl-opencl-icd (or `make deps`)");
    CL_CHECK(st);
    cl_platform_id *plats = xcalloc(np, sizeof *plats);
    CL_CHECK(clGetPlatformIDs(np, plats, NULL));
    size_t n = 0, cap = 8;
    device_ref *devs = xcalloc(cap, sizeof *devs);
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        st = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
        if (st == CL_DEVICE_NOT_FOUND || nd == 0)
            continue;
        CL_CHECK(st);
        cl_device_id *ids = xcalloc(nd, sizeof *ids);
        CL_CHECK(clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, ids, NULL));
        for (cl_uint d = 0; d < nd; d++) {
            if (n == cap)
                devs = realloc(devs, (cap *= 2) * sizeof *devs);
            if (!devs)
                die("out of host memory listing devices");
            devs[n++] = (device_ref){plats[p], ids[d]};
        }
        free(ids);
    }
    free(plats);
    const char *limit = getenv("POCL_DEVICES");
    if (n == 0 && limit)
        die("OpenCL platforms exist but none has a device: POCL_DEVICES=%s hides PoCL's\n"
            "HINT: unset POCL_DEVICES, or set it to a device type PoCL has (e.g. cpu)", limit);
    if (n == 0)
        die("OpenCL platforms exist but none has a device\nHINT: for a CPU device: "
            "apt-get install pocl-opencl-icd (or `make deps`)");
    *out = devs;
    return n;
}

static void device_string(cl_device_id d, cl_device_info what, char *buf, size_t len)
{
    CL_CHECK(clGetDeviceInfo(d, what, len, buf, NULL));
    buf[len - 1] = '\0';
}

static const char *type_name(cl_device_type t)
{
    if (t & CL_DEVICE_TYPE_GPU) return "GPU";
    if (t & CL_DEVICE_TYPE_CPU) return "CPU";
    if (t & CL_DEVICE_TYPE_ACCELERATOR) return "ACCEL";
    return "OTHER";
}

void clrt_list_devices(FILE *out)
{
    device_ref *devs;
    size_t n = all_devices(&devs);
    fprintf(out, "%-3s %-28s %-36s %-5s %10s %10s %4s  %s\n", "#", "platform", "device", "type",
            "global MiB", "alloc MiB", "CUs", "OpenCL C");
    for (size_t i = 0; i < n; i++) {
        char pname[128], dname[128], cver[64];
        cl_device_type type;
        cl_ulong gmem, alloc;
        cl_uint cus;
        CL_CHECK(clGetPlatformInfo(devs[i].platform, CL_PLATFORM_NAME, sizeof pname, pname, NULL));
        pname[sizeof pname - 1] = '\0';
        device_string(devs[i].device, CL_DEVICE_NAME, dname, sizeof dname);
        device_string(devs[i].device, CL_DEVICE_OPENCL_C_VERSION, cver, sizeof cver);
        CL_CHECK(clGetDeviceInfo(devs[i].device, CL_DEVICE_TYPE, sizeof type, &type, NULL));
        CL_CHECK(clGetDeviceInfo(devs[i].device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gmem, &gmem, NULL));
        CL_CHECK(clGetDeviceInfo(devs[i].device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL));
        CL_CHECK(clGetDeviceInfo(devs[i].device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL));
        fprintf(out, "%-3zu %-28.28s %-36.36s %-5s %10llu %10llu %4u  %s\n", i, pname, dname,
                type_name(type), (unsigned long long)(gmem >> 20),
                (unsigned long long)(alloc >> 20), cus, cver);
    }
    free(devs);
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

static size_t choose_device(const device_ref *devs, size_t n, const char *sel, const char *origin)
{
    if (!sel) {
        for (size_t i = 0; i < n; i++) {
            cl_device_type t;
            CL_CHECK(clGetDeviceInfo(devs[i].device, CL_DEVICE_TYPE, sizeof t, &t, NULL));
            if (t & CL_DEVICE_TYPE_GPU)
                return i;
        }
        return 0;
    }
    if (!*sel)
        die("%s is empty: give a device index or part of its name (see `clnet devices`)", origin);
    char *end;
    errno = 0;
    unsigned long idx = strtoul(sel, &end, 10);
    if (isdigit((unsigned char)sel[0]) && *end == '\0') {
        if (errno || idx >= n)
            die("%s %s: no such device; there %s %zu (see `clnet devices`)", origin, sel,
                n == 1 ? "is" : "are", n);
        return (size_t)idx;
    }
    for (size_t i = 0; i < n; i++) {
        char pname[128], dname[128], both[300];
        CL_CHECK(clGetPlatformInfo(devs[i].platform, CL_PLATFORM_NAME, sizeof pname, pname, NULL));
        pname[sizeof pname - 1] = '\0';
        device_string(devs[i].device, CL_DEVICE_NAME, dname, sizeof dname);
        snprintf(both, sizeof both, "%s %s", pname, dname);
        if (contains_ci(both, sel))
            return i;
    }
    die("%s '%s' matches no device (see `clnet devices`)", origin, sel);
}

/* ---- programs ---- */

static char *read_text_file(const char *path)
{
    char why[512];
    char *text = read_text(path, (size_t)64 << 20, why, sizeof why);
    if (!text)
        die("--kernels: %s: %s", path, why);
    return text;
}

/* gemm.cl's tile from the device's preferred float vector width (or $CLNET_GEMM_VW): 6 rows of
 * 4 vectors of 16 lanes where there are 32 vector registers (AVX-512), 6 rows of 2 vectors of 8
 * or 4 lanes where there are 16 (AVX2, SSE). */
static void choose_gemm_tile(clrt *rt)
{
    cl_uint w = 0;
    CL_CHECK(clGetDeviceInfo(rt->device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof w, &w,
                             NULL));
    const char *env = getenv("CLNET_GEMM_VW");
    if (env && *env) {
        if (strcmp(env, "4") && strcmp(env, "8") && strcmp(env, "16"))
            die("CLNET_GEMM_VW=%s: expected 4, 8 or 16", env);
        w = (cl_uint)atoi(env);
    }
    rt->gemm_vw = w >= 16 ? 16 : w >= 8 ? 8 : 4;
    rt->gemm_mr = 6;
    rt->gemm_nv = rt->gemm_vw == 16 ? 4 : 2;
}

static const char *const program_names[PROG_COUNT] = {
#define P(name, options) #name,
    CLNET_PROGRAMS(P)
#undef P
};

/* The build options of program id (KOPT_* of kernels.h). */
static void program_options(const clrt *rt, enum program_id id, char *buf, size_t len)
{
    static const int opts[PROG_COUNT] = {
#define P(name, options) options,
        CLNET_PROGRAMS(P)
#undef P
    };
    int n = snprintf(buf, len, "-cl-std=CL1.2");
    if (opts[id] & KOPT_GEMM_TILE)
        snprintf(buf + n, len - (size_t)n, " -DGEMM_VW=%d -DGEMM_MR=%d -DGEMM_NV=%d%s",
                 rt->gemm_vw, rt->gemm_mr, rt->gemm_nv,
                 rt->device_type & CL_DEVICE_TYPE_CPU ? " -DGEMM_PREFETCH" : "");
}

static cl_program build_program(clrt *rt, enum program_id id, const char *text)
{
    const char *name = program_names[id];
    cl_int st;
    cl_program p = clCreateProgramWithSource(rt->ctx, 1, &text, NULL, &st);
    CL_CHECK(st);
    char options[160];
    program_options(rt, id, options, sizeof options);
    st = clBuildProgram(p, 1, &rt->device, options, NULL, NULL);
    if (st != CL_SUCCESS) /* the compiler stops on a signal too: that is no broken kernel */
        stop_poll("while building the kernels");
    if (st != CL_SUCCESS) {
        size_t len = 0;
        clGetProgramBuildInfo(p, rt->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len);
        char *log = xmalloc(len + 1);
        clGetProgramBuildInfo(p, rt->device, CL_PROGRAM_BUILD_LOG, len, log, NULL);
        log[len] = '\0';
        fprintf(stderr, "---- build log of kernels/%s.cl ----\n%s\n---- end of build log ----\n",
                name, log);
        free(log);
        die("OpenCL error %s (%d) building kernels/%s.cl\nHINT: fix the kernel source (see the "
            "build log above)", cl_status_name(st), st, name);
    }
    return p;
}

static const char *kernel_name(enum kernel_id id)
{
    static const char *names[K_COUNT] = {
#define X(name, program) #name,
        CLNET_KERNELS(X)
#undef X
    };
    return names[id];
}

/* A failed call about kernel id names the kernel in the call (the hint stays the status's). */
static void kernel_check(cl_int st, const char *call, enum kernel_id id, int line)
{
    if (st == CL_SUCCESS)
        return;
    char what[128];
    snprintf(what, sizeof what, "%s of kernel %s", call, kernel_name(id));
    cl_check(st, what, __FILE__, line, NULL);
}

/* The source of program id: kernel_dir/<name>.cl, or the embedded copy (caller frees). */
static char *program_source(enum program_id id, const char *kernel_dir)
{
    const char *name = program_names[id];
    if (kernel_dir) {
        char path[PATH_BUF];
        snprintf(path, sizeof path, "%s/%s.cl", kernel_dir, name);
        return read_text_file(path);
    }
    for (size_t i = 0; i < clnet_kernel_source_count; i++)
        if (!strcmp(clnet_kernel_sources[i].name, name))
            return xstrdup(clnet_kernel_sources[i].text);
    die("internal error: kernels/%s.cl was not embedded", name);
}

static void build_all(clrt *rt, const char *kernel_dir)
{
    static const enum program_id program_of[K_COUNT] = {
#define X(name, program) PROG_##program,
        CLNET_KERNELS(X)
#undef X
    };
    double t0 = now_seconds();
    char why[256];
    if (kernel_dir && check_folder(kernel_dir, why, sizeof why))
        die("--kernels %s: %s", kernel_dir, why);
    for (int id = 0; id < PROG_COUNT; id++) {
        char *text = program_source((enum program_id)id, kernel_dir);
        rt->programs[id] = build_program(rt, (enum program_id)id, text);
        free(text);
        stop_poll("while building the kernels");
    }
    for (int k = 0; k < K_COUNT; k++) {
        cl_int st;
        rt->kernels[k] = clCreateKernel(rt->programs[program_of[k]], kernel_name(k), &st);
        kernel_check(st, "clCreateKernel", (enum kernel_id)k, __LINE__);
    }
    rt->build_seconds = now_seconds() - t0;
}

/* $CLNET_DEVICE_MEMORY=N: plan as if the device had N MiB (at most what it has): a test of
 * the streamed data path on any device, or room left for other work. */
static void memory_override(clrt *rt)
{
    const char *v = getenv("CLNET_DEVICE_MEMORY");
    if (!v || !*v)
        return;
    char *end;
    errno = 0;
    unsigned long long mib = strtoull(v, &end, 10);
    if (errno || *end || end == v || mib < 1 || mib > (1ull << 30) || v[0] == '-')
        die("CLNET_DEVICE_MEMORY=%s: not a number of MiB (1 or more)", v);
    cl_ulong bytes = (cl_ulong)mib << 20;
    if (bytes < rt->global_mem)
        rt->global_mem = bytes;
    if (rt->global_mem < rt->max_alloc)
        rt->max_alloc = rt->global_mem;
}

int clrt_gpu_index(int k, int *count)
{
    device_ref *devs;
    size_t n = all_devices(&devs);
    int found = -1;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        cl_device_type t;
        CL_CHECK(clGetDeviceInfo(devs[i].device, CL_DEVICE_TYPE, sizeof t, &t, NULL));
        if ((t & CL_DEVICE_TYPE_GPU) && (*count)++ == k)
            found = (int)i;
    }
    free(devs);
    return found;
}

void clrt_open(clrt *rt, const char *selector, const char *kernel_dir)
{
    memset(rt, 0, sizeof *rt);
    const char *origin = "--device";
    if (!selector && getenv("CLNET_DEVICE") && *getenv("CLNET_DEVICE")) { /* empty: unset */
        selector = getenv("CLNET_DEVICE");
        origin = "CLNET_DEVICE";
    }
    device_ref *devs;
    size_t n = all_devices(&devs);
    size_t i = choose_device(devs, n, selector, origin);
    rt->platform = devs[i].platform;
    rt->device = devs[i].device;
    free(devs);
    CL_CHECK(clGetPlatformInfo(rt->platform, CL_PLATFORM_NAME, sizeof rt->platform_name,
                               rt->platform_name, NULL));
    rt->platform_name[sizeof rt->platform_name - 1] = '\0';
    device_string(rt->device, CL_DEVICE_NAME, rt->device_name, sizeof rt->device_name);
    CL_CHECK(clGetDeviceInfo(rt->device, CL_DEVICE_TYPE, sizeof rt->device_type, &rt->device_type, NULL));
    CL_CHECK(clGetDeviceInfo(rt->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof rt->global_mem, &rt->global_mem, NULL));
    CL_CHECK(clGetDeviceInfo(rt->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof rt->max_alloc, &rt->max_alloc, NULL));
    CL_CHECK(clGetDeviceInfo(rt->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof rt->compute_units, &rt->compute_units, NULL));
    memory_override(rt);
    choose_gemm_tile(rt);
    const char *algo = getenv("CLNET_CONV");
    if (algo && *algo) {
        static const char *names[] = {"auto", "tiled", "clblast"};
        rt->conv_algo = -1;
        for (int a = 0; a < 3; a++)
            if (!strcmp(algo, names[a]))
                rt->conv_algo = a;
        if (rt->conv_algo < 0)
            die("CLNET_CONV=%s: expected tiled, clblast or auto", algo);
    }
    cl_int st;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)rt->platform, 0};
    rt->ctx = clCreateContext(props, 1, &rt->device, NULL, NULL, &st);
    CL_CHECK(st);
    rt->queue = clCreateCommandQueue(rt->ctx, rt->device, CL_QUEUE_PROFILING_ENABLE, &st);
    CL_CHECK(st);
    tuned_apply(rt->device, rt->platform_name, rt->device_name, rt->tuned, sizeof rt->tuned);
    build_all(rt, kernel_dir);
}

void clrt_close(clrt *rt)
{
    if (!rt->ctx)
        return;
    clFinish(rt->queue);
    for (int k = 0; k < K_COUNT; k++)
        if (rt->kernels[k])
            clReleaseKernel(rt->kernels[k]);
    for (int i = 0; i < PROG_COUNT; i++)
        if (rt->programs[i])
            clReleaseProgram(rt->programs[i]);
    if (rt->gemm_temp)
        clReleaseMemObject(rt->gemm_temp);
    if (rt->gemm_scratch)
        clReleaseMemObject(rt->gemm_scratch);
    clReleaseCommandQueue(rt->queue);
    clReleaseContext(rt->ctx);
    memset(rt, 0, sizeof *rt);
}

/* ---- buffers and launches ---- */

cl_mem clrt_buffer(clrt *rt, size_t bytes, const char *name)
{
    if (bytes > rt->max_alloc)
        die("buffer %s needs %zu MiB but the device allows at most %llu MiB per allocation\n"
            "HINT: try a smaller --batch", name, bytes >> 20, (unsigned long long)(rt->max_alloc >> 20));
    cl_int st;
    cl_mem m = clCreateBuffer(rt->ctx, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &st);
    CL_CHECK_HINT(st, "the device ran out of memory: try a smaller --batch");
    return m;
}

void clrt_upload(clrt *rt, cl_mem buf, size_t offset, size_t bytes, const void *src)
{
    CL_CHECK(clEnqueueWriteBuffer(rt->queue, buf, CL_TRUE, offset, bytes, src, 0, NULL, NULL));
}

void clrt_download(clrt *rt, cl_mem buf, size_t offset, size_t bytes, void *dst)
{
    CL_CHECK(clEnqueueReadBuffer(rt->queue, buf, CL_TRUE, offset, bytes, dst, 0, NULL, NULL));
}

void clrt_fill_zero(clrt *rt, cl_mem buf, size_t bytes)
{
    const float zero = 0.0f;
    CL_CHECK(clEnqueueFillBuffer(rt->queue, buf, &zero, sizeof zero, 0, bytes, 0, NULL, NULL));
}

void clrt_finish(clrt *rt)
{
    CL_CHECK(clFinish(rt->queue));
}

void karg_mem(cl_kernel k, cl_uint index, cl_mem value)
{
    CL_CHECK(clSetKernelArg(k, index, sizeof value, &value));
}

void karg_int(cl_kernel k, cl_uint index, int value)
{
    CL_CHECK(clSetKernelArg(k, index, sizeof value, &value));
}

void karg_float(cl_kernel k, cl_uint index, float value)
{
    CL_CHECK(clSetKernelArg(k, index, sizeof value, &value));
}

void karg_local(cl_kernel k, cl_uint index, size_t bytes)
{
    CL_CHECK(clSetKernelArg(k, index, bytes, NULL));
}

size_t clrt_launch_groups(clrt *rt, enum kernel_id id, size_t groups, size_t local)
{
    size_t most;
    CL_CHECK(clGetKernelWorkGroupInfo(rt->kernels[id], rt->device, CL_KERNEL_WORK_GROUP_SIZE,
                                      sizeof most, &most, NULL));
    if (local > most)
        local = most;
    size_t global = groups * local;
    cl_int st = clEnqueueNDRangeKernel(rt->queue, rt->kernels[id], 1, NULL, &global, &local, 0,
                                       NULL, NULL);
    kernel_check(st, "clEnqueueNDRangeKernel", id, __LINE__);
    return local;
}

void clrt_launch_single(clrt *rt, enum kernel_id id, size_t global0, size_t global1)
{
    size_t global[2] = {global0, global1}, local[2] = {1, 1};
    if (global0 == 0 || global1 == 0)
        return;
    cl_int st = clEnqueueNDRangeKernel(rt->queue, rt->kernels[id], 2, NULL, global, local, 0,
                                       NULL, NULL);
    kernel_check(st, "clEnqueueNDRangeKernel", id, __LINE__);
}

void clrt_launch(clrt *rt, enum kernel_id id, size_t global0, size_t global1)
{
    size_t global[2] = {global0, global1};
    if (global0 == 0)
        return;
    cl_int st = clEnqueueNDRangeKernel(rt->queue, rt->kernels[id], global1 ? 2 : 1, NULL, global,
                                       NULL, 0, NULL, NULL);
    kernel_check(st, "clEnqueueNDRangeKernel", id, __LINE__);
}
