/* tune.c: `clnet tune` runs CLBlast's GEMM tuner (clblast_tuner_xgemm, Debian's clblast-utils) on
 * the device and keeps its best Xgemm parameters in the file of tuned.h, which clrt_open applies
 * at every later start. They matter where convolutions and the fully connected layer run on
 * CLBlast's GEMM: GPUs by default (CPUs use clnet's own GEMM, gemm.c). */
#define _DEFAULT_SOURCE
#include "clnet/tune.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clnet/files.h"
#include "clnet/stop.h"
#include "clnet/tuned.h"
#include "clnet/util.h"

#define TUNER "clblast_tuner_xgemm"

/* ---- clnet tune ---- */

/* The indices clblast_tuner_xgemm takes: -platform P -device D. */
static void device_indices(const clrt *rt, int *platform, int *device)
{
    cl_uint np = 0;
    CL_CHECK(clGetPlatformIDs(0, NULL, &np));
    cl_platform_id *ps = xcalloc(np, sizeof *ps);
    CL_CHECK(clGetPlatformIDs(np, ps, NULL));
    *platform = *device = -1;
    for (cl_uint p = 0; p < np && *platform < 0; p++) {
        if (ps[p] != rt->platform)
            continue;
        cl_uint nd = 0;
        CL_CHECK(clGetDeviceIDs(ps[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd));
        cl_device_id *ds = xcalloc(nd, sizeof *ds);
        CL_CHECK(clGetDeviceIDs(ps[p], CL_DEVICE_TYPE_ALL, nd, ds, NULL));
        for (cl_uint d = 0; d < nd; d++)
            if (ds[d] == rt->device)
                *platform = (int)p, *device = (int)d;
        free(ds);
    }
    free(ps);
    if (*platform < 0)
        die("internal error: the chosen device is not in the platform's device list");
}

/* Removes the tuner's work folder (its result files and log). */
static void remove_work(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[PATH_BUF + 256];
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

/* Stops the tuner: SIGTERM, and SIGKILL if it is still there 5 s later. */
static void end_tuner(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

/* Waits for the tuner; on SIGINT / SIGTERM / SIGHUP it is stopped, the work folder removed and
 * clnet exits 128 + the signal. */
static int wait_tuner(pid_t pid, const char *dir)
{
    int st;
    for (;;) {
        pid_t got = waitpid(pid, &st, WNOHANG);
        if (got < 0 && errno != EINTR)
            die("tune: waiting for %s: %s", TUNER, strerror(errno));
        if (stop_requested()) { /* a terminal's Ctrl-C has reached the tuner too */
            if (got != pid)
                end_tuner(pid);
            remove_work(dir);
            stop_poll("while tuning: the tuner was stopped, nothing was stored");
        }
        if (got == pid)
            return st;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
}

/* Runs the tuner in dir with its output in dir/tuner.log; returns its exit status. */
static int run_tuner(const char *dir, char *const argv[])
{
    char log[PATH_BUF + 64];
    snprintf(log, sizeof log, "%s/tuner.log", dir);
    fflush(NULL);
    stop_block(1);
    pid_t pid = fork();
    if (pid < 0)
        die("tune: cannot start %s: %s", TUNER, strerror(errno));
    if (pid == 0) {
        stop_defaults(); /* clnet's handlers are not the tuner's */
        stop_block(0);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || chdir(dir) || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    stop_child(pid);
    stop_block(0);
    int st = wait_tuner(pid, dir);
    stop_child(0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* The value of "key": "..." in a tuner result file, copied into out. */
static int json_string_field(const char *json, const char *key, char *out, size_t len)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(json, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    size_t n = strcspn(p, "\"\n");
    if (p[n] != '"' || n >= len)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* The best result among dir/clblast_xgemm_*_32.json (one per tuning stage): parameters text
 * and time in ms. */
static int best_result(const char *dir, char *params, size_t len, double *ms, char *err,
                       size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return errorf(err, errlen, "%s: %s", dir, strerror(errno));
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "clblast_xgemm_", 14) || n < 8 || strcmp(e->d_name + n - 8, "_32.json"))
            continue;
        char path[PATH_BUF + 256], text_params[1024], text_ms[64];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char why[512];
        char *json = read_text(path, (size_t)64 << 20, why, sizeof why);
        size_t values[TUNED_NPARAM];
        if (!json || json_string_field(json, "best_parameters", text_params, sizeof text_params) ||
            json_string_field(json, "best_time", text_ms, sizeof text_ms) ||
            tuned_parse(text_params, values, why, sizeof why)) {
            free(json);
            continue;
        }
        free(json);
        double t = strtod(text_ms, NULL);
        if (t > 0 && (!found || t < *ms)) {
            *ms = t;
            snprintf(params, len, "%s", text_params);
            found = 1;
        }
    }
    closedir(d);
    return found ? 0 : errorf(err, errlen, "%s wrote no usable result", TUNER);
}

/* Where the parameters go, checked before the tuner runs: the folder made, the file absent or
 * written by clnet tune, room to write. */
static void check_store(const char *path)
{
    char folder[PATH_BUF], why[MSG_BUF];
    snprintf(folder, sizeof folder, "%.*s", (int)(strrchr(path, '/') - path), path);
    if (mkdir_p(folder))
        die("tune: cannot create %s: %s", folder, strerror(errno));
    if (check_output_file(path, tuned_is_own, "file of clnet tune", why, sizeof why))
        die("tune: %s: %s", path, why);
}

/* A work folder for the tuner's files in $TMPDIR (else /tmp). */
static void make_work(char *dir, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if (strlen(tmp) > CLNET_PATH_MAX)
        die("tune: $TMPDIR is longer than %d characters", CLNET_PATH_MAX);
    snprintf(dir, len, "%s/clnet-tune-XXXXXX", tmp);
    if (!mkdtemp(dir))
        die("tune: cannot make a work folder in %s: %s", tmp, strerror(errno));
}

int tune_run(const tune_opts *o)
{
    clrt rt;
    clrt_open(&rt, o->device, NULL);
    char path[sizeof rt.tuned], dir[PATH_BUF], err[MSG_BUF];
    if (tuned_path(rt.device, rt.platform_name, rt.device_name, path, sizeof path))
        die("tune: no folder for the results: set CLNET_CACHE_DIR (or HOME)");
    check_store(path);
    make_work(dir, sizeof dir);
    int platform, device;
    device_indices(&rt, &platform, &device);
    char sp[16], sd[16], sm[16], sf[32];
    snprintf(sp, sizeof sp, "%d", platform);
    snprintf(sd, sizeof sd, "%d", device);
    snprintf(sm, sizeof sm, "%d", o->size);
    snprintf(sf, sizeof sf, "%g", o->fraction);
    char *argv[] = {TUNER, "-precision", "32", "-platform", sp, "-device", sd, "-m", sm, "-n", sm,
                    "-k", sm, o->fraction > 0 ? "-fraction" : NULL, sf, NULL};
    printf("tune: %s on %s, m = n = k = %d (its output: %s/tuner.log)\n", TUNER,
           rt.device_name, o->size, dir);
    double t0 = now_seconds();
    int status = run_tuner(dir, argv);
    if (status == 127) {
        remove_work(dir);
        die("tune: %s did not start: install Debian's clblast-utils (make deps installs it)",
            TUNER);
    }
    if (status)
        die("tune: %s failed (status %d); its output: %s/tuner.log", TUNER, status, dir);
    char params[1024];
    double ms = 0;
    if (best_result(dir, params, sizeof params, &ms, err, sizeof err))
        die("tune: %s; its output: %s/tuner.log", err, dir);
    double gflops = 2.0 * o->size * o->size * o->size / (ms * 1e6);
    char text[2048];
    int n = snprintf(text, sizeof text,
                     TUNED_HEAD ": CLBlast Xgemm parameters for %s / %s, m = n = k = %d: "
                     "%.3f ms, %.1f GFLOP/s\n%s\n",
                     rt.platform_name, rt.device_name, o->size, ms, gflops, params);
    if (write_file_atomic(path, text, (size_t)n, 1))
        die("tune: cannot write %s: %s", path, strerror(errno));
    remove_work(dir);
    printf("best: %.3f ms, %.1f GFLOP/s (%.0f s of tuning)\nparameters: %s\nstored in %s;"
           " clnet applies them at every start on this device\n",
           ms, gflops, now_seconds() - t0, params, path);
    clrt_close(&rt);
    return 0;
}
