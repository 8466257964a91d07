/* cli.c (tests): the harness that runs the clnet binary (see cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "idxfile.h"

char *dir;
static pid_t spawned = -1; /* the run of spawn_with, until its status is read */
char out[1 << 16], err[1 << 14];

void setup(void)
{
    dir = temp_dir();
}

void teardown(void)
{
    if (spawned > 0) { /* a run a failed test spawned must not run on */
        kill(spawned, SIGKILL);
        waitpid(spawned, NULL, 0);
        spawned = -1;
    }
    remove_dir(dir);
    free(dir);
}

const char *cli_bin(void)
{
    return getenv("CLNET_BIN") ? getenv("CLNET_BIN") : "build/clnet";
}

void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

int run(const char *args)
{
    return run_limited(0, args);
}

int run_limited(int seconds, const char *args)
{
    char cmd[16384], path[4096], limit[64] = "";
    if (seconds)
        snprintf(limit, sizeof limit, "timeout -s KILL %d ", seconds);
    snprintf(cmd, sizeof cmd, "%s%s %s >%s/run.stdout 2>%s/run.stderr </dev/null", limit,
             cli_bin(), args, dir, dir);
    int st = system(cmd);
    snprintf(path, sizeof path, "%s/run.stdout", dir);
    slurp(path, out, sizeof out);
    snprintf(path, sizeof path, "%s/run.stderr", dir);
    slurp(path, err, sizeof err);
    ck_assert_msg(WIFEXITED(st), "'%s' did not exit normally", args);
    int code = WEXITSTATUS(st);
    ck_assert_msg(code < 128, "'%s' was killed by a signal (status %d): %s", args, code, err);
    return code;
}

/* Starts clnet in the background; its exit status lands in dir/status. */
void spawn(const char *args)
{
    spawn_with("", args);
}

void spawn_with(const char *env, const char *args)
{
    char cmd[16384], path[4096];
    /* not through a shell's '&', which would start it with SIGINT ignored: as from a terminal */
    snprintf(cmd, sizeof cmd, "exec env %s %s %s >%s/stdout 2>%s/stderr </dev/null", env,
             cli_bin(), args, dir, dir);
    fflush(NULL);
    pid_t p = fork();
    ck_assert_msg(p >= 0, "fork");
    if (p == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    spawned = p;
    snprintf(path, sizeof path, "%s/pid", dir);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fprintf(f, "%ld\n", (long)p);
    fclose(f);
}

/* The spawned run's exit status once it has ended (128 + the signal that ended it), waiting up to
 * wait_s seconds. */
static long spawned_status(int wait_s)
{
    for (int i = 0; i < wait_s * 20; i++) {
        int st;
        if (waitpid(spawned, &st, WNOHANG) == spawned) {
            spawned = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    ck_abort_msg("the spawned run has not ended after %d s", wait_s);
    return -1;
}

void expect_error(const char *args, int want, const char *needle)
{
    int code = run(args);
    ck_assert_msg(code == want, "'%s': exit %d, expected %d; stderr: %s", args, code, want, err);
    size_t n = strlen(err);
    ck_assert_msg(n > 0 && err[n - 1] == '\n' && strchr(err, '\n') == err + n - 1,
                  "'%s': stderr is not one line: [%s]", args, err);
    ck_assert_msg(strncmp(err, "clnet: ", 7) == 0, "'%s': %s", args, err);
    ck_assert_msg(strstr(err, needle) != NULL, "'%s': expected '%s' in: %s", args, needle, err);
}

long read_long(const char *name, int wait_s)
{
    if (!strcmp(name, "status") && spawned > 0)
        return spawned_status(wait_s);
    char path[4096], buf[64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (int i = 0; i < wait_s * 20; i++) {
        slurp(path, buf, sizeof buf);
        if (strchr(buf, '\n'))
            return strtol(buf, NULL, 10);
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    ck_abort_msg("no %s after %d s", name, wait_s);
    return -1;
}

void wait_for_text(const char *name, const char *needle, int wait_s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (int i = 0; i < wait_s * 20; i++) {
        slurp(path, out, sizeof out);
        if (strstr(out, needle))
            return;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    ck_abort_msg("no '%s' in %s after %d s: %s", needle, name, wait_s, out);
}

void wait_for_output(const char *needle, int wait_s)
{
    wait_for_text("stdout", needle, wait_s);
}
