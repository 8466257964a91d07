/* test_ckpt.c: checkpoints: the format round trip and every fault refused with a reason, exact
 * resume (mid-epoch and at an epoch boundary), clnet eval, SIGTERM saving, and SIGKILL during
 * checkpointing never leaving a broken file. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clnet/checkpoint.h"
#include "clnet/data.h"
#include "clnet/net.h"
#include "cli.h"
#include "idxfile.h"
#include "helpers.h"

/* The log lines of steps >= from (without images/s), and the test cost line. */
static void costs_from(const char *text, long from, char *dst, size_t len)
{
    dst[0] = '\0';
    for (const char *l = text; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        int step = strncmp(l, "step ", 5) == 0 && strtol(l + 5, NULL, 10) >= from;
        if (step || strncmp(l, "test cost", 9) == 0) {
            const char *cut = strstr(l, "%  ");
            size_t keep = cut && cut < l + n ? (size_t)(cut - l) : n;
            if (strlen(dst) + keep + 2 < len) {
                strncat(dst, l, keep);
                strcat(dst, "\n");
            }
        }
        l += n + (e != NULL);
    }
}

#define TRAIN "train --data %s --batch 50 --log-every 1 --lr 0.05 --no-output"

/* Trains 7 steps straight, then 'cut' steps + a resumed run to 7, and compares every printed cost
 * after the cut and the test cost. Returns (in whole) the uninterrupted run's lines. */
static void check_resume(const char *extra, long cut, char *whole, size_t len)
{
    char args[8192], resumed[8192];
    snprintf(args, sizeof args, TRAIN " %s --steps 7", dir, extra);
    ck_assert_msg(run(args) == 0, "%s", err);
    costs_from(out, cut, whole, len);
    snprintf(args, sizeof args, TRAIN " %s --steps %ld --save %s/ck", dir, extra, cut, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    snprintf(args, sizeof args, TRAIN " %s --steps 7 --resume %s/ck --save %s/ck2", dir, extra, dir,
             dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "resumed from"), "%s", out);
    costs_from(out, cut, resumed, sizeof resumed);
    ck_assert_msg(strlen(whole) > 150, "%s", whole);
    ck_assert_msg(strcmp(resumed, whole) == 0, "%s, cut at %ld:\n%s\nuninterrupted:\n%s", extra,
                  cut, resumed, whole);
}

START_TEST(resume_matches_uninterrupted)
{
    write_data_folder(dir, 200, 100, 28, 28, 1); /* 4 steps an epoch */
    char whole[8192], args[8192];
    check_resume("", 3, whole, sizeof whole); /* mid-epoch */
    check_resume("", 4, whole, sizeof whole); /* at an epoch boundary */
    /* optimizer state and the schedule continue too */
    check_resume("--optimizer momentum --lr-schedule step --lr-decay-every 2", 3, whole, sizeof whole);
    /* so do the normalization and the augmentation draws */
    check_resume("--normalize --augment flip,crop:3", 3, whole, sizeof whole);
    check_resume("--val 50 --val-every 2", 2, whole, sizeof whole); /* the same images held out */
    check_resume("--optimizer adam --lr 0.001 --weight-decay 0.01", 5, whole, sizeof whole);
    /* (a cosine schedule depends on the run's length, so its cut run differs by design;
     * its values are checked in the log) */
    snprintf(args, sizeof args, TRAIN " --steps 7 --lr 0.001 --lr-schedule cosine", dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "lr 0.001\n") && strstr(out, "lr 4.952e-05\n"), "%s", out);
    /* clnet eval gives the test cost the run printed */
    const char *t = strstr(whole, "test cost");
    ck_assert(t != NULL);
    snprintf(args, sizeof args, "eval --model %s/ck2 --data %s", dir, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "test cost") && strncmp(strstr(out, "test cost"), t, 40) == 0,
                  "eval: %s run: %s", out, t);
    /* another optimizer does not continue it */
    snprintf(args, sizeof args, TRAIN " --steps 9 --resume %s/ck", dir, dir);
    ck_assert_int_eq(run(args), 1);
    ck_assert_msg(strstr(err, "made with --optimizer adam; give the same"), "%s", err);
}
END_TEST

static void write_bytes(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    ck_assert(fwrite(p, 1, n, f) == n);
    fclose(f);
}

static void expect_refused(const char *args, const char *needle)
{
    int code = run(args);
    ck_assert_msg(code == 1, "'%s': exit %d: %s", args, code, err);
    ck_assert_msg(strstr(err, needle) && strchr(err, '\n') == err + strlen(err) - 1,
                  "'%s': expected one line with '%s': %s", args, needle, err);
}

START_TEST(bad_checkpoints_are_refused)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], path[4096], ck[4096];
    snprintf(ck, sizeof ck, "%s/ck", dir);
    snprintf(args, sizeof args, TRAIN " --steps 1 --save %s", dir, ck);
    ck_assert_msg(run(args) == 0, "%s", err);
    struct stat st;
    ck_assert(stat(ck, &st) == 0);
    size_t n = (size_t)st.st_size;
    uint8_t *good = malloc(n), *b = malloc(n);
    FILE *f = fopen(ck, "rb");
    ck_assert(fread(good, 1, n, f) == n);
    fclose(f);
    snprintf(path, sizeof path, "%s/bad", dir);
    snprintf(args, sizeof args, "eval --data %s --model %s", dir, path);
    size_t cuts[] = {0, 10, 23, 100, n / 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_bytes(path, good, cuts[i]);
        expect_refused(args, "truncated");
    }
    memcpy(b, good, n);
    b[n / 2] ^= 0x40;
    write_bytes(path, b, n);
    expect_refused(args, "checksum mismatch");
    memcpy(b, good, n);
    b[0] = 'X';
    write_bytes(path, b, n);
    expect_refused(args, "not a clnet checkpoint");
    memcpy(b, good, n);
    b[8] = 99;
    write_bytes(path, b, n);
    expect_refused(args, "format version 99 is newer");
    expect_refused("eval --model /nonexistent/ck", "cannot open");
    snprintf(args, sizeof args, "eval --model %s", dir);
    expect_refused(args, "not a regular file");
    /* a checkpoint of another network, or another batch order, is not continued */
    checkpoint c;
    char e[512];
    ck_assert_msg(ckpt_load(ck, &c, e, sizeof e) == 0, "%s", e);
    ck_assert_str_eq(c.spec, "conv64,conv64,pool,conv128,conv128,pool,fc10");
    ck_assert(c.classes == 10 && c.names_len == 0 && c.C == 1);
    ck_assert(c.step == 1 && c.batch == 50 && c.seed == 1 && c.shuffle == 1 && c.nparams > 300000);
    snprintf(c.spec, sizeof c.spec, "conv8,pool,fc10");
    ck_assert(ckpt_save(path, &c, e, sizeof e) == 0);
    snprintf(args, sizeof args, TRAIN " --steps 3 --resume %s", dir, path);
    expect_refused(args, "its network is conv8,pool,fc10");
    snprintf(args, sizeof args, "train --data %s --batch 25 --steps 3 --no-output --resume %s", dir, ck);
    expect_refused(args, "made with --batch 50 --seed 1; give the same");
    /* the normalization round-trips, and out-of-range values are refused */
    ck_assert(c.normalized == 0);
    snprintf(c.spec, sizeof c.spec, "conv64,conv64,pool,conv128,conv128,pool,fc10");
    c.normalized = 1, c.mean[0] = 0.25f, c.sd[0] = 0.5f;
    ck_assert(ckpt_save(path, &c, e, sizeof e) == 0);
    checkpoint c2;
    ck_assert_msg(ckpt_load(path, &c2, e, sizeof e) == 0, "%s", e);
    ck_assert(c2.normalized == 1 && c2.mean[0] == 0.25f && c2.sd[0] == 0.5f);
    ckpt_free(&c2);
    snprintf(args, sizeof args, "eval --data %s --model %s", dir, path);
    ck_assert_msg(run(args) == 0 && strstr(out, "inputs normalized"), "%s", err);
    float bad_values[][2] = {{-0.1f, 0.5f}, {1.5f, 0.5f}, {0.5f, 0.0f}, {0.5f, 1.5f},
                             {NAN, 0.5f}, {0.5f, NAN}};
    for (size_t i = 0; i < sizeof bad_values / sizeof *bad_values; i++) {
        c.mean[0] = bad_values[i][0], c.sd[0] = bad_values[i][1];
        ck_assert(ckpt_save(path, &c, e, sizeof e) == 0);
        expect_refused(args, "normalization ");
    }
    ckpt_free(&c);
    free(good);
    free(b);
}
END_TEST

START_TEST(sigterm_saves_and_exits_143)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], path[4096];
    snprintf(args, sizeof args, "train --data %s --batch 10 --steps 100000 --log-every 1 "
             "--no-output --save %s/ck --save-every 100000", dir, dir);
    spawn(args);
    long pid = read_long("pid", 60);
    wait_for_output("step      2", 120);
    ck_assert_int_eq(kill((pid_t)pid, SIGTERM), 0);
    ck_assert_int_eq(read_long("status", 120), 143);
    snprintf(path, sizeof path, "%s/stderr", dir);
    slurp(path, err, sizeof err);
    ck_assert_msg(strstr(err, "terminated (SIGTERM) after step") && strstr(err, "checkpoint written "
                  "to"), "%s", err);
    snprintf(args, sizeof args, "eval --model %s/ck --data %s", dir, dir);
    ck_assert_msg(run(args) == 0 && strstr(out, "test cost"), "%s", err);
}
END_TEST

START_TEST(sigkill_never_breaks_the_checkpoint)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], path[4096];
    snprintf(path, sizeof path, "%s/ck", dir);
    srand(12345);
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "train --data %s --batch 5 --steps 100000 --log-every 1000 "
                 "--hist-every 0 --no-output --save %s --save-every 1 --lr 0.01", dir, path);
        spawn(args);
        long pid = read_long("pid", 60);
        struct stat st;
        for (int i = 0; i < 2400 && stat(path, &st) != 0; i++)
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        nanosleep(&(struct timespec){0, (rand() % 1000) * 1000 * 1000L}, NULL);
        ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
        read_long("status", 60);
        char e[4400];
        checkpoint c;
        ck_assert_msg(ckpt_load(path, &c, e, sizeof e) == 0, "after kill %d: %s", k, e);
        ckpt_free(&c);
        snprintf(args, sizeof args, "rm -f %s/status %s/pid", dir, dir);
        ck_assert_int_eq(system(args), 0);
    }
}
END_TEST

/* An output file that cannot be written mid-run (here metrics.csv, blocked by a folder of that
 * name, as a full disk would): one message, training goes on, the results are printed, exit 1. */
START_TEST(output_write_failure_mid_run)
{
    write_data_folder(dir, 200, 100, 28, 28, 1);
    char args[8192], path[4096];
    snprintf(args, sizeof args, "train --data %s --batch 50 --steps 8 --log-every 1 --out %s/run",
             dir, dir);
    spawn(args);
    wait_for_output("output: ", 120);
    snprintf(path, sizeof path, "%s/run/metrics.csv", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(read_long("status", 300), 1);
    snprintf(path, sizeof path, "%s/stdout", dir);
    slurp(path, out, sizeof out);
    snprintf(path, sizeof path, "%s/stderr", dir);
    slurp(path, err, sizeof err);
    ck_assert_msg(strstr(out, "test cost") && strstr(out, "step      7"), "%s", out);
    ck_assert_msg(strstr(err, "metrics.csv") && strstr(err, "no more output files are written") &&
                  strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
}
END_TEST

/* Every input that once crashed a fuzzer: read without a crash, refused with a reason. */
START_TEST(fuzz_regressions)
{
    const char *kinds[] = {"idx", "ckpt"};
    for (int k = 0; k < 2; k++) {
        char folder[256];
        snprintf(folder, sizeof folder, "tests/fuzz-regressions/%s", kinds[k]);
        DIR *d = opendir(folder);
        ck_assert_msg(d != NULL, "no %s (run the tests from the repository root)", folder);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[512], why[512] = "";
            snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
            if (k == 0) {
                idx_shape dims;
                uint8_t *data;
                for (int kind = IDX_LABELS; kind <= IDX_IMAGES; kind += 2)
                    if (idx_read(path, kind, &dims, &data, why, sizeof why) == 0)
                        free(data);
                    else
                        ck_assert_msg(why[0], "%s: refused without a reason", path);
            } else {
                checkpoint c;
                if (ckpt_load(path, &c, why, sizeof why) == 0)
                    ckpt_free(&c);
                else
                    ck_assert_msg(why[0], "%s: refused without a reason", path);
            }
        }
        closedir(d);
    }
}
END_TEST

Suite *suite_ckpt(void)
{
    Suite *s = suite_create("ckpt");
    TCase *tc = tcase_create("ckpt");
    tcase_set_timeout(tc, 900);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, resume_matches_uninterrupted);
    tcase_add_test(tc, bad_checkpoints_are_refused);
    tcase_add_test(tc, sigterm_saves_and_exits_143);
    tcase_add_test(tc, sigkill_never_breaks_the_checkpoint);
    tcase_add_test(tc, fuzz_regressions);
    tcase_add_test(tc, output_write_failure_mid_run);
    suite_add_tcase(s, tc);
    return s;
}
