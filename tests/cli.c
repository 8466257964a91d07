/* cli.c (tests): the harness that runs the clnet binary (see cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "idxfile.h"

char *dir;
char out[1 << 16], err[1 << 14];

void setup(void)
{
    dir = temp_dir();
}

void teardown(void)
{
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
    char cmd[8192], path[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s/stdout 2>%s/stderr </dev/null", cli_bin(), args, dir, dir);
    int st = system(cmd);
    snprintf(path, sizeof path, "%s/stdout", dir);
    slurp(path, out, sizeof out);
    snprintf(path, sizeof path, "%s/stderr", dir);
    slurp(path, err, sizeof err);
    ck_assert_msg(WIFEXITED(st), "'%s' did not exit normally", args);
    int code = WEXITSTATUS(st);
    ck_assert_msg(code < 128, "'%s' was killed by a signal (status %d): %s", args, code, err);
    return code;
}
