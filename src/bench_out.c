/* bench_out.c: clnet bench's results as a table (stdout), JSON and CSV: what each op achieved
 * against the device's limits, and what it was built and run with. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/bench_parts.h"
#include "clnet/files.h"
#include "clnet/util.h"

#ifndef CLNET_CLBLAST_VERSION
#define CLNET_CLBLAST_VERSION "unknown"
#endif
#ifndef CLNET_BUILD_FLAGS
#define CLNET_BUILD_FLAGS "unknown"
#endif

typedef struct {
    double gflops, gbs, pct;
    const char *bound;
} rate;

static rate rate_of(const row *r, const peaks *p)
{
    rate t = {0, 0, 0, "-"};
    if (r->failed || r->min_ms <= 0)
        return t;
    t.gflops = r->flops / (r->min_ms * 1e6);
    t.gbs = r->bytes / (r->min_ms * 1e6);
    double bw = fmax(p->read, fmax(p->write, p->copy));
    int compute = r->bytes == 0 || (r->flops > 0 && r->flops / r->bytes > p->gflops / bw);
    t.bound = compute ? "compute" : "memory";
    t.pct = 100.0 * (compute ? t.gflops / p->gflops : t.gbs / bw);
    return t;
}

static void device_info(const bench_ctx *c, char *driver, size_t dl, char *version, size_t vl)
{
    CL_CHECK(clGetDeviceInfo(c->rt.device, CL_DRIVER_VERSION, dl, driver, NULL));
    CL_CHECK(clGetDeviceInfo(c->rt.device, CL_DEVICE_VERSION, vl, version, NULL));
    driver[dl - 1] = version[vl - 1] = '\0';
}

static void print_table(FILE *out, const bench_ctx *c, const peaks *p)
{
    char driver[128], version[128];
    device_info(c, driver, sizeof driver, version, sizeof version);
    fprintf(out, "device   %s / %s (driver %s, %s)\n", c->rt.platform_name, c->rt.device_name,
            driver, version);
    fprintf(out, "software CLBlast %s (GEMM parameters: %s); clnet's GEMM tile %d x %d "
            "(float%d); clnet built with %s\n", CLNET_CLBLAST_VERSION,
            c->rt.tuned[0] ? c->rt.tuned : "CLBlast's own, no clnet tune", c->rt.gemm_mr,
            c->rt.gemm_nv * c->rt.gemm_vw, c->rt.gemm_vw, CLNET_BUILD_FLAGS);
    fprintf(out, "peak     FMA %.1f GFLOP/s (float%d)  read %.1f GB/s  write %.1f GB/s  copy %.1f "
            "GB/s  launch %.1f us\n", p->gflops, p->fma_width, p->read, p->write, p->copy, p->launch_us);
    fprintf(out, "startup  clnet kernels built in %.2f s; first CLBlast GEMM (compiles) %.2f s; "
            "'1st ms' = each op's first call\n", c->rt.build_seconds, c->first_gemm_s);
    fprintf(out, "batch %d, %d timed repetitions; * = what training runs; %%peak: of the FMA peak "
            "when compute-bound, else of the best bandwidth\n(bandwidth is measured on buffers "
            "larger than caches: tensors that stay in cache can pass 100%%)\n\n", c->B, c->repeat);
    fprintf(out, "%-18s %-30s %9s %9s %9s %8s %6s %-8s %9s %s\n", "op", "variant", "min ms",
            "med ms", "GFLOP/s", "GB/s", "%peak", "bound", "1st ms", "check");
    for (int i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        rate t = rate_of(r, p);
        char variant[48];
        snprintf(variant, sizeof variant, "%s%s", r->variant, r->used ? " *" : "");
        if (r->failed) {
            fprintf(out, "%-18s %-30s %9s %9s %9s %8s %6s %-8s %9.1f FAILED (error %.2g)\n",
                    r->name, variant, "-", "-", "-", "-", "-", "-", r->first_ms, r->err);
            continue;
        }
        fprintf(out, "%-18s %-30s %9.3f %9.3f %9.2f %8.2f %6.1f %-8s %9.1f ok (%.1e)\n", r->name,
                variant, r->min_ms, r->med_ms, t.gflops, t.gbs, t.pct, t.bound, r->first_ms, r->err);
        if (!strcmp(r->name, "step"))
            fprintf(out, "%-18s %-30s %9.1f images/s\n", "", "", c->B / (r->min_ms * 1e-3));
    }
    /* the fastest variant of each conv op */
    for (int i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        int seen = strncmp(r->name, "conv", 4) != 0;
        for (int k = 0; k < i && !seen; k++)
            seen = !strcmp(c->rows[k].name, r->name);
        if (seen)
            continue;
        const row *best = NULL, *used = NULL;
        for (int j = i; j < c->nrows; j++) {
            if (strcmp(c->rows[j].name, r->name))
                continue;
            if (!c->rows[j].failed && (!best || c->rows[j].min_ms < best->min_ms))
                best = &c->rows[j];
            if (c->rows[j].used)
                used = &c->rows[j];
        }
        if (best)
            fprintf(out, "%s: fastest here is %s (%.3f ms)%s\n", r->name, best->variant, best->min_ms,
                    best == used ? ", which training uses" : used ? ", not what training uses" : "");
    }
}

/* Non-finite numbers are not JSON: they become null. */
static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void write_json(FILE *f, const bench_ctx *c, const peaks *p)
{
    char driver[128], version[128];
    device_info(c, driver, sizeof driver, version, sizeof version);
    fputs("{\n  \"device\": ", f);
    json_string(f, c->rt.device_name);
    fputs(",\n  \"platform\": ", f);
    json_string(f, c->rt.platform_name);
    fputs(",\n  \"driver\": ", f);
    json_string(f, driver);
    fputs(",\n  \"opencl\": ", f);
    json_string(f, version);
    fputs(",\n  \"clblast\": ", f);
    json_string(f, CLNET_CLBLAST_VERSION);
    fputs(",\n  \"build_flags\": ", f);
    json_string(f, CLNET_BUILD_FLAGS);
    fprintf(f, ",\n  \"batch\": %d,\n  \"repeat\": %d,\n  \"build_seconds\": ", c->B, c->repeat);
    json_number(f, c->rt.build_seconds);
    fputs(",\n  \"first_gemm_seconds\": ", f);
    json_number(f, c->first_gemm_s);
    fputs(",\n  \"peak\": {\"gflops\": ", f);
    json_number(f, p->gflops);
    fprintf(f, ", \"fma_width\": %d, \"read_gbs\": ", p->fma_width);
    json_number(f, p->read);
    fputs(", \"write_gbs\": ", f);
    json_number(f, p->write);
    fputs(", \"copy_gbs\": ", f);
    json_number(f, p->copy);
    fputs(", \"launch_us\": ", f);
    json_number(f, p->launch_us);
    fputs("},\n  \"rows\": [", f);
    for (int i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        rate t = rate_of(r, p);
        fputs(i ? ",\n    {\"op\": " : "\n    {\"op\": ", f);
        json_string(f, r->name);
        fputs(", \"variant\": ", f);
        json_string(f, r->variant);
        fprintf(f, ", \"used\": %s, \"status\": \"%s\", \"error\": ", r->used ? "true" : "false",
                r->failed ? "FAILED" : "ok");
        json_number(f, r->err);
        const double nums[] = {r->min_ms, r->med_ms, t.gflops, t.gbs, t.pct, r->flops, r->bytes,
                               r->first_ms};
        const char *keys[] = {"min_ms", "med_ms", "gflops", "gbs", "pct_peak", "flops", "bytes",
                              "first_ms"};
        for (int k = 0; k < 8; k++) {
            fprintf(f, ", \"%s\": ", keys[k]);
            if (r->failed && k < 5)
                fputs("null", f);
            else
                json_number(f, nums[k]);
        }
        fprintf(f, ", \"bound\": \"%s\"}", t.bound);
    }
    fputs("\n  ]\n}\n", f);
}

static void write_csv(FILE *f, const bench_ctx *c, const peaks *p)
{
    fprintf(f, "op,variant,used,status,error,min_ms,med_ms,gflops,gbs,pct_peak,bound,flops,bytes,"
               "first_ms\n");
    for (int i = 0; i < c->nrows; i++) {
        const row *r = &c->rows[i];
        rate t = rate_of(r, p);
        fprintf(f, "%s,%s,%d,%s,%.3g,%.6g,%.6g,%.6g,%.6g,%.6g,%s,%.6g,%.6g,%.6g\n", r->name,
                r->variant, r->used, r->failed ? "FAILED" : "ok", r->err, r->min_ms, r->med_ms,
                t.gflops, t.gbs, t.pct, t.bound, r->flops, r->bytes, r->first_ms);
    }
}

#define JSON_HEAD "{\n  \"device\": "
#define CSV_HEAD "op,variant,used,status,"

static int json_is_own(const uint8_t *head, size_t n)
{
    return n >= strlen(JSON_HEAD) && !memcmp(head, JSON_HEAD, strlen(JSON_HEAD));
}

static int csv_is_own(const uint8_t *head, size_t n)
{
    return n >= strlen(CSV_HEAD) && !memcmp(head, CSV_HEAD, strlen(CSV_HEAD));
}

void bench_check_outputs(const bench_opts *o)
{
    char why[MSG_BUF];
    if (o->json_path && o->csv_path && strcmp(o->json_path, "-") && strcmp(o->csv_path, "-") &&
        path_inside(o->json_path, o->csv_path) && path_inside(o->csv_path, o->json_path))
        die_status(EXIT_USAGE, "--json %s and --csv %s: the same file", o->json_path,
                   o->csv_path);
    if (o->json_path && strcmp(o->json_path, "-") &&
        check_output_file(o->json_path, json_is_own, "JSON file of clnet bench", why, sizeof why))
        die("--json %s: %s", o->json_path, why);
    if (o->csv_path && strcmp(o->csv_path, "-") &&
        check_output_file(o->csv_path, csv_is_own, "CSV file of clnet bench", why, sizeof why))
        die("--csv %s: %s", o->csv_path, why);
}

/* Writes through a temporary file renamed into place, so a failed run leaves no partial file. */
static void write_output(const char *path, const char *flag,
                         void (*fn)(FILE *, const bench_ctx *, const peaks *), const bench_ctx *c,
                         const peaks *p)
{
    if (!strcmp(path, "-")) {
        fn(stdout, c, p);
        return;
    }
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        die("out of host memory writing %s", path);
    fn(f, c, p);
    fclose(f);
    int rc = write_file_atomic(path, buf, len, 0);
    free(buf);
    if (rc)
        die("%s %s: cannot write: %s", flag, path, strerror(errno));
}

void bench_report(const bench_ctx *c, const peaks *p, const bench_opts *o)
{
    int stdout_taken = (o->json_path && !strcmp(o->json_path, "-")) ||
                       (o->csv_path && !strcmp(o->csv_path, "-"));
    if (!stdout_taken)
        print_table(stdout, c, p);
    if (o->json_path)
        write_output(o->json_path, "--json", write_json, c, p);
    if (o->csv_path)
        write_output(o->csv_path, "--csv", write_csv, c, p);
}
