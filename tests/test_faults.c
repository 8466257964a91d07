/* test_faults.c: "nothing lost, no false reports", each rule through the binary as a user meets
 * it: inputs that are not regular files, outputs clnet must not replace, one run per checkpoint
 * and folder, signals in every long loop, checks before anything is created, checkpoints of other
 * data or with non-finite weights, values the device cannot hold, full disks and a full stdout,
 * and limits enforced where the values come in. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clnet/checkpoint.h"
#include "clnet/util.h"
#include "cli.h"
#include "idxfile.h"
#include "helpers.h"

#define QUICK "--batch 10 --steps 2 --log-every 1 --hist-every 0"

static char args[16384], path[4096], path2[4096];

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* "dir/name" into path (and returns it). */
static const char *at(const char *name)
{
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static void make_fifo(const char *p)
{
    unlink(p);
    ck_assert_msg(mkfifo(p, 0600) == 0, "mkfifo %s", p);
}

/* A refusal that must come at once: one line, exit want, killed (failing) after 60 s. */
static void expect_prompt_error(const char *a, int want, const char *needle)
{
    int code = run_limited(60, a);
    ck_assert_msg(code == want, "'%s': exit %d, expected %d: %s", a, code, want, err);
    ck_assert_msg(strstr(err, needle) && strchr(err, '\n') == err + strlen(err) - 1,
                  "'%s': expected one line with '%s': %s", a, needle, err);
}

/* A checkpoint of the data folder dir/d (ltfn, 2 steps) at dir/<name>. */
static void train_checkpoint(const char *name)
{
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save %s/%s", dir, dir,
             name);
    ck_assert_msg(run(args) == 0, "%s", err);
}

static void data_folder(const char *name, int ntest, int gz)
{
    mkdir(at(name), 0700);
    write_data_folder(path, 200, ntest, 28, 28, gz);
}

START_TEST(fifos_are_refused_not_waited_for)
{
    data_folder("d", 100, 1);
    const char *files[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    for (int i = 0; i < 4; i++) {
        remove_dir(at("f")); /* writing over a FIFO would wait for a reader */
        data_folder("f", 100, 1);
        snprintf(path2, sizeof path2, "%s/f/%s", dir, files[i]);
        make_fifo(path2);
        snprintf(args, sizeof args, "train --data %s/f " QUICK " --no-output", dir);
        expect_prompt_error(args, 1, "is a FIFO, not a regular file");
        ck_assert_msg(strstr(err, files[i]), "%s", err);
    }
    /* a kernel source */
    snprintf(args, sizeof args, "mkdir %s/k && cp kernels/*.cl %s/k/", dir, dir);
    ck_assert_int_eq(system(args), 0);
    make_fifo(at("k/relu.cl"));
    snprintf(args, sizeof args, "train --data %s/d --kernels %s/k " QUICK " --no-output", dir, dir);
    expect_prompt_error(args, 1, "relu.cl: is a FIFO");
    /* a checkpoint to resume or evaluate */
    make_fifo(at("ck"));
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --resume %s/ck", dir, dir);
    expect_prompt_error(args, 1, "ck: is a FIFO");
    snprintf(args, sizeof args, "eval --data %s/d --model %s/ck", dir, dir);
    expect_prompt_error(args, 1, "ck: is a FIFO");
    /* the stored parameters of clnet tune, which every command reads */
    char *old_cache = xstrdup(getenv("CLNET_CACHE_DIR"));
    setenv("CLNET_CACHE_DIR", dir, 1);
    ck_assert_int_eq(run("tune --path"), 0);
    snprintf(path2, sizeof path2, "%.*s", (int)strcspn(out, "\n"), out);
    make_fifo(path2);
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output", dir);
    expect_prompt_error(args, 1, "is a FIFO");
    ck_assert_msg(strstr(err, "the parameters of clnet tune"), "%s", err);
    unlink(path2);
    setenv("CLNET_CACHE_DIR", old_cache, 1);
    free(old_cache);
}
END_TEST

START_TEST(save_never_replaces_a_foreign_file)
{
    data_folder("d", 100, 1);
    char before[256];
    write_file(at("notes.txt"), "my notes\n", 9, 0);
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save %s/notes.txt", dir,
             dir);
    expect_error(args, 1, "exists and is not a clnet checkpoint; clnet replaces only its own");
    slurp(at("notes.txt"), before, sizeof before);
    ck_assert_str_eq(before, "my notes\n");
    /* an input of the run */
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save "
             "%s/d/train-images-idx3-ubyte.gz", dir, dir);
    expect_error(args, 1, "is train-images-idx3-ubyte.gz of --data");
    /* a file the report writes, inside --out: nothing is created */
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --out %s/run --save %s/run/metrics.csv",
             dir, dir, dir);
    expect_error(args, 1, "inside --out");
    ck_assert_msg(!exists(at("run")), "a refused run left %s", path);
    /* a folder, a name that is empty */
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save %s/d", dir, dir);
    expect_error(args, 1, "is a folder, not a regular file");
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save ''", dir);
    expect_error(args, 2, "--save: empty file name");
    /* an empty file holds nothing to lose; a checkpoint is replaced by the next */
    write_file(at("ck"), "", 0, 0);
    train_checkpoint("ck");
    train_checkpoint("ck");
    /* bench's outputs likewise */
    snprintf(args, sizeof args, "bench --filter relu1 --repeat 1 --batch 2 --json %s/notes.txt", dir);
    expect_error(args, 1, "--json");
    ck_assert_msg(strstr(err, "is not a JSON file of clnet bench") && !strstr(err, "measuring"),
                  "%s", err);
    slurp(at("notes.txt"), before, sizeof before);
    ck_assert_str_eq(before, "my notes\n");
}
END_TEST

/* A read-only folder at dir/ro: a read-only tmpfs when running as root (who may write anywhere
 * else), a folder without write permission otherwise. 0 when it could not be made. */
static int read_only_folder(void)
{
    mkdir(at("ro"), 0700);
    if (geteuid() != 0)
        return chmod(path, 0500) == 0;
    snprintf(args, sizeof args, "mount -t tmpfs -o ro,size=64k tmpfs %s/ro 2>/dev/null", dir);
    return system(args) == 0;
}

START_TEST(outputs_checked_before_any_work)
{
    data_folder("d", 100, 1);
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save %s/none/ck", dir, dir);
    expect_error(args, 1, "--save");
    ck_assert_msg(strstr(err, "cannot write there: No such file") && !strstr(out, "device:"),
                  "%s%s", out, err);
    if (read_only_folder()) {
        snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save %s/ro/ck", dir,
                 dir);
        expect_error(args, 1, "cannot write there: ");
        ck_assert_msg(!strstr(out, "device:"), "%s", out);
        snprintf(args, sizeof args, "umount %s/ro 2>/dev/null; chmod 0700 %s/ro", dir, dir);
        ck_assert_int_eq(system(args), 0);
    } else {
        fprintf(stderr, "outputs_checked_before_any_work: no read-only folder could be made "
                "(root without mount): that case is skipped\n");
    }
    snprintf(args, sizeof args, "bench --filter relu1 --repeat 1 --batch 2 --csv %s/none/b.csv", dir);
    expect_error(args, 1, "--csv");
    ck_assert_msg(!strstr(err, "measuring"), "%s", err);
    /* clnet tune: its folder is checked before the tuner runs (this one never starts) */
    char *old_cache = xstrdup(getenv("CLNET_CACHE_DIR")), *old_path = xstrdup(getenv("PATH"));
    write_file(at("afile"), "x", 1, 0);
    snprintf(path2, sizeof path2, "%s/afile/cache", dir);
    setenv("CLNET_CACHE_DIR", path2, 1);
    const char *tuner = "#!/bin/sh\ntouch \"$0.ran\"\n";
    write_file(at("clblast_tuner_xgemm"), tuner, strlen(tuner), 0);
    ck_assert_int_eq(chmod(path, 0755), 0);
    snprintf(path2, sizeof path2, "%s:%s", dir, old_path);
    setenv("PATH", path2, 1);
    expect_error("tune --size 64", 1, "tune: cannot create");
    ck_assert_msg(!exists(at("clblast_tuner_xgemm.ran")), "the tuner ran before the check");
    setenv("CLNET_CACHE_DIR", old_cache, 1);
    setenv("PATH", old_path, 1);
    free(old_cache), free(old_path);
}
END_TEST

START_TEST(refused_runs_leave_nothing_behind)
{
    data_folder("d", 100, 1);
    train_checkpoint("ck");
    snprintf(args, sizeof args, "train --data %s/d --batch 10 --steps 3 --optimizer adam --out %s/o "
             "--resume %s/ck", dir, dir, dir);
    expect_error(args, 1, "made with --optimizer sgd");
    ck_assert_msg(!exists(at("o")), "a refused --resume left %s", path);
    snprintf(args, sizeof args, "train --data %s/d --batch 10 --steps 3 --out %s/o --resume %s/none",
             dir, dir, dir);
    expect_error(args, 1, "cannot open");
    ck_assert_msg(!exists(at("o")), "a refused --resume left %s", path);
    snprintf(args, sizeof args, "train --data %s/d --batch 300 --out %s/o/deeper --save %s/ck2", dir,
             dir, dir);
    expect_error(args, 1, "--batch 300 is larger");
    ck_assert_msg(!exists(at("o")), "a refused run left %s", path);
    ck_assert_msg(!exists(at("ck2.lock")), "a refused run left %s", path);
    /* a study refused by its first run (the study's own checks pass) */
    snprintf(args, sizeof args, "study optim --data %s/d --batch 300 --out %s/st", dir, dir);
    expect_error(args, 1, "--batch 300 is larger");
    ck_assert_msg(!exists(at("st")), "a refused study left %s", path);
}
END_TEST

START_TEST(one_run_per_checkpoint_and_folder)
{
    data_folder("d", 100, 1);
    snprintf(args, sizeof args, "train --data %s/d --batch 10 --steps 100000 --log-every 1 "
             "--hist-every 0 --out %s/run --save %s/ck --save-every 100000", dir, dir, dir);
    spawn(args);
    long pid = read_long("pid", 60);
    wait_for_output("step      2", 120);
    char want[128];
    snprintf(want, sizeof want, "in use by another clnet run (pid %ld)", pid);
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save %s/ck", dir, dir);
    expect_error(args, 1, want);
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --out %s/run", dir, dir);
    expect_error(args, 1, want);
    ck_assert_int_eq(kill((pid_t)pid, SIGTERM), 0);
    ck_assert_int_eq(read_long("status", 120), 143);
    ck_assert_msg(!exists(at("ck.lock")) && !exists(at("run/.clnet.lock")), "a lock stayed");
    snprintf(args, sizeof args, "eval --data %s/d --model %s/ck", dir, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
}
END_TEST

/* Sends sig to the spawned run once dir/<file> holds needle; returns its exit status. */
static long signal_when(const char *file, const char *needle, int sig)
{
    long pid = read_long("pid", 60);
    wait_for_text(file, needle, 300);
    sleep_ms(100);
    ck_assert_msg(kill((pid_t)pid, sig) == 0, "it had ended: %s", out);
    long status = read_long("status", 300);
    slurp(at("stderr"), err, sizeof err);
    slurp(at("stdout"), out, sizeof out);
    return status;
}

START_TEST(signals_stop_every_long_loop)
{
    data_folder("d", 7800, 1); /* a test pass of 7800 batches of 1 */
    snprintf(args, sizeof args, "train --data %s/d --batch 1 --steps 2 --hist-every 0 --no-output "
             "--save %s/ck", dir, dir);
    spawn(args);
    ck_assert_int_eq(signal_when("stdout", "train throughput", SIGTERM), 143);
    ck_assert_msg(strstr(err, "terminated (SIGTERM) during the test pass") &&
                  strstr(err, "ck holds the state after 2 steps") && !strstr(out, "test cost"),
                  "%s%s", out, err);
    snprintf(args, sizeof args, "eval --data %s/d --model %s/ck --batch 1", dir, dir);
    spawn(args);
    ck_assert_int_eq(signal_when("stdout", "model ", SIGINT), 130);
    ck_assert_msg(strstr(err, "interrupted (SIGINT) during the test pass"), "%s", err);
    /* SIGHUP (a closed terminal) as SIGTERM: the step ends, the checkpoint is written */
    snprintf(args, sizeof args, "train --data %s/d --batch 10 --steps 100000 --log-every 1 "
             "--hist-every 0 --no-output --save %s/ck --save-every 100000", dir, dir);
    spawn(args);
    ck_assert_int_eq(signal_when("stdout", "step      1", SIGHUP), 129);
    ck_assert_msg(strstr(err, "hung up (SIGHUP) after step") && strstr(err, "checkpoint written"),
                  "%s", err);
    /* a study stops in its run and starts no other */
    snprintf(args, sizeof args, "study optim --data %s/d --steps 100000 --batch 10 --no-output", dir);
    spawn(args);
    ck_assert_int_eq(signal_when("stdout", "step     25", SIGTERM), 143);
    ck_assert_msg(strstr(err, "terminated (SIGTERM)") && !strstr(out, "run 2 of"), "%s%s", out, err);
    /* bench, between two timings */
    spawn("bench --filter relu1 --repeat 100000 --batch 2");
    ck_assert_int_eq(signal_when("stderr", "measuring", SIGTERM), 143);
    ck_assert_msg(strstr(err, "terminated (SIGTERM) during bench"), "%s", err);
}
END_TEST

/* A stand-in tuner that waits a minute (ignoring SIGTERM when stubborn) and leaves its pid in
 * dir/tuner.pid. */
static void waiting_tuner(int stubborn)
{
    char text[512];
    snprintf(text, sizeof text, "#!/bin/sh\n%secho $$ > %s/tuner.pid\n%s\n",
             stubborn ? "trap '' TERM INT\n" : "", dir,
             stubborn ? "for i in $(seq 600); do sleep 0.1; done" : "exec sleep 60");
    write_file(at("clblast_tuner_xgemm"), text, strlen(text), 0);
    ck_assert_int_eq(chmod(path, 0755), 0);
}

START_TEST(tune_stops_on_signals_and_uses_tmpdir)
{
    char env[8192];
    snprintf(env, sizeof env, "PATH=%s:$PATH TMPDIR=%s/tmp", dir, dir);
    mkdir(at("tmp"), 0700);
    waiting_tuner(0);
    spawn_with(env, "tune --size 64");
    ck_assert_int_eq(signal_when("stdout", "its output: ", SIGINT), 130);
    ck_assert_msg(strstr(out, at("tmp/clnet-tune-")), "not in $TMPDIR: %s", out);
    ck_assert_msg(strstr(err, "interrupted (SIGINT) while tuning"), "%s", err);
    snprintf(args, sizeof args, "ls -A %s/tmp | grep -q .", dir);
    ck_assert_msg(system(args) != 0, "the work folder stayed in %s/tmp", dir);
    /* a second signal ends at once, while the first waits for a tuner that ignores SIGTERM */
    waiting_tuner(1);
    remove(at("tuner.pid"));
    spawn_with(env, "tune --size 64");
    long pid = read_long("pid", 60);
    long tuner = read_long("tuner.pid", 60);
    kill((pid_t)pid, SIGINT);
    sleep_ms(500);
    kill((pid_t)pid, SIGINT);
    long status = read_long("status", 60);
    slurp(at("stderr"), err, sizeof err);
    ck_assert_msg(status == 130, "exit %ld: %s", status, err);
    ck_assert_msg(!strstr(err, "while tuning"), "the second SIGINT did not end it at once: %s", err);
    int gone = 0; /* the tuner ends with clnet */
    for (int i = 0; i < 100 && !gone; i++, sleep_ms(20))
        gone = kill((pid_t)tuner, 0) != 0;
    ck_assert_msg(gone, "the tuner outlived clnet's second SIGINT");
    snprintf(args, sizeof args, "rm -rf %s/tmp/clnet-tune-*", dir);
    ck_assert_int_eq(system(args), 0);
}
END_TEST

START_TEST(failed_save_then_signal_says_what_is_saved)
{
    data_folder("d", 100, 1);
    mkdir(at("sub"), 0700);
    snprintf(args, sizeof args, "train --data %s/d --batch 10 --steps 100000 --log-every 1 "
             "--hist-every 0 --no-output --save %s/sub/ck --save-every 100000", dir, dir);
    spawn(args);
    wait_for_output("step      1", 120);
    snprintf(args, sizeof args, "rm -rf %s/sub", dir);
    ck_assert_int_eq(system(args), 0);
    ck_assert_int_eq(signal_when("stdout", "step      2", SIGTERM), 143);
    ck_assert_msg(strstr(err, "the checkpoint could not be written (") &&
                  strstr(err, "); no checkpoint was written by this run") &&
                  !strstr(err, "checkpoint written to") && !strstr(err, "training goes on") &&
                  strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
}
END_TEST

/* Runs a shell command line as is (for redirections of its own); returns its exit status. */
static int shell(const char *cmd)
{
    int st = system(cmd);
    ck_assert_msg(WIFEXITED(st), "%s", cmd);
    return WEXITSTATUS(st);
}

START_TEST(full_disk_and_full_stdout)
{
    data_folder("d", 100, 1);
    snprintf(args, sizeof args, "%s train --data %s/d " QUICK " --no-output >/dev/full 2>%s/e",
             cli_bin(), dir, dir);
    ck_assert_int_eq(shell(args), 1);
    slurp(at("e"), err, sizeof err);
    ck_assert_msg(strstr(err, "cannot write to standard output: No space left on device"), "%s", err);
    /* a disk that fills after the first checkpoint: one report, the results, exit 1 */
    const char *net = "--arch conv4,pool,fc10";
    snprintf(args, sizeof args, "train --data %s/d %s " QUICK " --no-output --save %s/probe", dir,
             net, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    struct stat st;
    ck_assert_int_eq(stat(at("probe"), &st), 0);
    long pages = (st.st_size + 4095) / 4096;
    mkdir(at("full"), 0700);
    snprintf(args, sizeof args, "mount -t tmpfs -o size=%ldk tmpfs %s/full 2>/dev/null",
             4 * (pages + pages / 2 + 2), dir);
    if (geteuid() != 0 || system(args) != 0) {
        fprintf(stderr, "full_disk_and_full_stdout: cannot mount a small tmpfs (root only): the "
                "full-disk case is skipped\n");
        return;
    }
    snprintf(args, sizeof args, "train --data %s/d %s --batch 10 --steps 5 --log-every 1 "
             "--hist-every 0 --no-output --save %s/full/ck --save-every 1", dir, net, dir);
    int code = run(args);
    char text[sizeof err];
    memcpy(text, err, sizeof text);
    checkpoint c;
    char why[512];
    int loads = ckpt_load(at("full/ck"), &c, why, sizeof why) == 0;
    snprintf(args, sizeof args, "umount %s/full", dir);
    ck_assert_int_eq(system(args), 0);
    ck_assert_msg(code == 1 && strstr(out, "test cost"), "exit %d: %s%s", code, out, text);
    const char *once = strstr(text, "training goes on (later failures are not reported again)");
    ck_assert_msg(strstr(text, "No space left on device") && once &&
                  !strstr(once + 1, "training goes on"), "not reported exactly once: %s", text);
    ck_assert_msg(strstr(text, "4 checkpoints could not be written (the last: ") &&
                  strstr(text, "holds the state after 1 step\n"), "%s", text);
    ck_assert_msg(loads && c.step == 1, "%s", why);
    ckpt_free(&c);
}
END_TEST

/* Copies the checkpoint src (decoded as c) to dst with parameter i set to v and the checksum
 * made right again. */
static void patch_param(const char *src, const char *dst, const checkpoint *c, uint64_t i, float v)
{
    static uint8_t buf[1 << 22];
    FILE *f = fopen(src, "rb");
    ck_assert(f != NULL);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* header 24, spec length 4 + spec, 7 u32, 3 u64, 2 u32 CRCs, classes and names 8 + names,
     * the normalization flag 4 (+ 8 C when normalized), augmentation 8, the RNG 32, lr 8,
     * nparams 8 */
    size_t at_param = 24 + 4 + strlen(c->spec) + 28 + 24 + 8 + 8 + c->names_len + 4 +
                      (c->normalized ? 8 * c->C : 0) + 8 + 32 + 8 + 8 + 4 * i;
    ck_assert(at_param + 4 <= n);
    memcpy(buf + at_param, &v, 4);
    uint32_t crc = (uint32_t)crc32(0L, buf + 24, (uInt)(n - 24));
    for (int k = 0; k < 4; k++)
        buf[12 + k] = (uint8_t)(crc >> (8 * k));
    write_file(dst, buf, n, 0);
}

START_TEST(checkpoints_of_other_data_or_broken_weights)
{
    data_folder("d", 100, 0);
    train_checkpoint("ck");
    /* the same count and size, one pixel (then one label) different */
    data_folder("e", 100, 0);
    snprintf(path2, sizeof path2, "%s/e/train-images-idx3-ubyte", dir);
    FILE *f = fopen(path2, "r+b");
    fseek(f, 16 + 400, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    snprintf(args, sizeof args, "train --data %s/e --batch 10 --steps 4 --no-output --resume %s/ck",
             dir, dir);
    expect_error(args, 1, "made with other training images than those in");
    data_folder("e", 100, 0);
    snprintf(path2, sizeof path2, "%s/e/train-labels-idx1-ubyte", dir);
    f = fopen(path2, "r+b");
    fseek(f, 8 + 3, SEEK_SET);
    int label = fgetc(f);
    fseek(f, 8 + 3, SEEK_SET);
    fputc((label + 1) % 10, f);
    fclose(f);
    expect_error(args, 1, "made with other training labels");
    /* a NaN among the weights, with a valid checksum: clnet never writes one (below), so the
     * bytes are patched */
    checkpoint c;
    char why[512];
    ck_assert_msg(ckpt_load(at("ck"), &c, why, sizeof why) == 0, "%s", why);
    snprintf(path2, sizeof path2, "%s/nan", dir);
    patch_param(at("ck"), path2, &c, 3, NAN);
    c.params[3] = NAN;
    ck_assert_msg(ckpt_save(at("ck"), &c, why, sizeof why) == -1 &&
                  strstr(why, "parameter 3 is nan: not written"), "%s", why);
    ck_assert_msg(ckpt_load(at("ck"), &c, why, sizeof why) == 0, "the good one was lost: %s", why);
    snprintf(args, sizeof args, "eval --data %s/d --model %s/nan", dir, dir);
    expect_error(args, 1, "parameter 3 of");
    snprintf(args, sizeof args, "train --data %s/d --batch 10 --steps 4 --no-output --resume %s/nan",
             dir, dir);
    expect_error(args, 1, "the weights are not usable");
    /* finite weights whose test cost overflows: exit 3, not "cost nan, accuracy 0%" and 0 */
    for (uint64_t i = 0; i < c.nparams; i++)
        c.params[i] = 1e30f;
    ck_assert(ckpt_save(at("huge"), &c, why, sizeof why) == 0);
    ckpt_free(&c);
    snprintf(args, sizeof args, "eval --data %s/d --model %s/huge", dir, dir);
    expect_error(args, 3, "weights overflow");
}
END_TEST

START_TEST(values_checked_as_the_device_holds_them)
{
    struct {
        const char *args, *needle;
    } cases[] = {
        {"train --beta1 0.99999999999", "--beta1 0.99999999999: must be below 1, and as the 32-bit"},
        {"train --beta2 0.99999999999", "--beta2 0.99999999999: must be below 1"},
        {"train --momentum 0.99999999999", "--momentum 0.99999999999: must be below 1"},
        {"train --eps 1e-50", "--eps 1e-50: too small for the 32-bit floats"},
        {"train --lr 1e-50", "--lr 1e-50: too small"},
        {"train --weight-decay 1e-50", "--weight-decay 1e-50: too small"},
        {"train --init-scale 1e-50", "--init-scale 1e-50: too small"},
        {"train --lr 1e-400", "--lr 1e-400: out of range"},
        {"train --lr 1e400", "--lr 1e400: out of range"},
        {"train --steps 99999999999999999999", "--steps 99999999999999999999: must be between"},
        {"train --seed ' -1'", "--seed ' -1'"},
        {"train --seed ' 5'", "--seed ' 5'"},
        {"train --data ''", "--data: empty folder name"},
        {"train --resume ''", "--resume: empty file name"},
        {"train --kernels ''", "--kernels: empty folder name"},
        {"eval --model ''", "--model: empty file name"},
        {"bench --json ''", "--json: empty file name"},
        {"train --no-output --out x", "give --out or --no-output, not both"},
        {"study init --out x --no-output", "give --out or --no-output, not both"},
        {"tune --size 100", "--size 100: must be a multiple of 64"},
        {"train --arch conv8:s2:s3,fc10", "'s3': a stride is given twice"},
        {"train --arch conv8:3x3:5x5,fc10", "a window is given twice"},
        {"train --arch conv8:valid:same,fc10", "a padding is given twice"},
        {"train --arch conv8::s2,fc10", "an empty option"},
        {"train --arch pool:,fc10", "an empty option"},
    };
    write_data_folder(dir, 200, 100, 28, 28, 1);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* every one is refused while the flags are read, but --arch needs the image size */
        snprintf(args, sizeof args, "%s%s%s", cases[i].args,
                 strstr(cases[i].args, "--arch") ? " --data " : "",
                 strstr(cases[i].args, "--arch") ? dir : "");
        expect_error(args, 2, cases[i].needle);
    }
    /* a spec longer than a checkpoint holds is refused before training, not at the first load */
    char spec[1400] = "";
    for (int i = 0; i < 200; i++)
        strcat(spec, "conv1,");
    strcat(spec, "fc10");
    snprintf(args, sizeof args, "train --data %s --arch %s", dir, spec);
    expect_error(args, 2, "1204 characters long; a network spec has at most 1023");
    /* values so large that a histogram's range is infinite: a divergence, not a crash */
    snprintf(args, sizeof args, "train --data %s --arch fc64,fc64,fc64,fc64,fc64,fc64,fc10 "
             "--batch 10 --steps 1 --lr 1000 --init scaled --init-scale 40000 --hist-every 0 "
             "--no-output", dir);
    expect_error(args, 3, "training stopped");
}
END_TEST

START_TEST(limits_lists_and_odd_names)
{
    data_folder("d", 100, 1);
    /* a list is not cut at a fixed length (this one is 310 characters), nor empty items skipped */
    char list[600] = "sgd:0.01";
    for (int i = 0; i < 300; i++)
        strcat(list, "0");
    strcat(list, ",adam");
    snprintf(args, sizeof args, "study optim --data %s/d --optimizers %s --steps 1 --batch 5 "
             "--test-images 10 --no-output", dir, list);
    ck_assert_msg(run(args) == 0, "%s", err);
    ck_assert_msg(strstr(out, "\nsgd ") && strstr(out, "\nadam "), "%s", out);
    expect_error("study init --inits he,,xavier", 2, "--inits 'he,,xavier': an empty item");
    expect_error("study optim --optimizers sgd,", 2, "an empty item");
    /* a folder name with a newline keeps the report's settings table whole */
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --out \"%s/a$(printf '\\nb')\"", dir, dir);
    ck_assert_msg(run(args) == 0, "%s", err);
    static char html[1 << 20];
    snprintf(path2, sizeof path2, "%s/a\nb/index.html", dir);
    slurp(path2, html, sizeof html);
    ck_assert_msg(strstr(html, "a\\x0ab</td>") && strstr(html, "<th class=l>seed</th>"), "%.2000s",
                  html);
    /* an empty CLNET_DEVICE is unset, as other empty variables are */
    setenv("CLNET_DEVICE", "", 1);
    ck_assert_msg(run("tune --path") == 0, "%s", err);
    unsetenv("CLNET_DEVICE");
    setenv("POCL_DEVICES", "none", 1);
    int code = run("devices");
    unsetenv("POCL_DEVICES");
    ck_assert_msg(code == 1 && strstr(err, "POCL_DEVICES=none hides") &&
                  !strstr(err, "install pocl"), "%s", err);
}
END_TEST

/* Whether ckpt_load refuses path with a reason while it may map at most mib MiB more than this
 * process has (in a child): a decoder that reads the whole file first cannot. */
static int loads_within_memory(const char *p, long mib)
{
    pid_t child = fork();
    if (child == 0) {
        char status[1 << 14];
        slurp("/proc/self/status", status, sizeof status);
        const char *vm = strstr(status, "VmSize:");
        struct rlimit lim = {0, 0};
        lim.rlim_cur = lim.rlim_max = (rlim_t)((vm ? atol(vm + 7) : 0) + mib * 1024) * 1024;
        setrlimit(RLIMIT_AS, &lim);
        checkpoint c;
        char why[512] = "";
        _exit(ckpt_load(p, &c, why, sizeof why) != 0 && strstr(why, "not a clnet checkpoint") ? 0 : 1);
    }
    int st;
    waitpid(child, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

START_TEST(misleading_inputs_are_named)
{
    data_folder("d", 100, 1);
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output", dir);
    /* a symbolic link loop, a dangling link, a file in both forms */
    snprintf(path2, sizeof path2, "%s/d/train-labels-idx1-ubyte.gz", dir);
    rename(path2, at("labels.gz"));
    ck_assert_int_eq(symlink(path2, path2), 0);
    expect_error(args, 1, "Too many levels of symbolic links");
    unlink(path2);
    ck_assert_int_eq(symlink(at("missing"), path2), 0);
    expect_error(args, 1, "is a symbolic link to a missing file");
    unlink(path2);
    ck_assert_int_eq(rename(at("labels.gz"), path2), 0);
    snprintf(path2, sizeof path2, "%s/d/train-labels-idx1-ubyte", dir);
    write_file(path2, "", 0, 0);
    expect_error(args, 1, "both train-labels-idx1-ubyte and train-labels-idx1-ubyte.gz exist");
    unlink(path2);
    /* counts compared from the headers, before a billion labels are inflated */
    uint8_t head[8];
    idx_header(head, 0x08, 1, (uint32_t[]){1000000000u});
    write_file(at("d/train-labels-idx1-ubyte.gz"), head, 8, 1);
    expect_error(args, 1, "has 1000000000 labels but");
    data_folder("d", 100, 1);
    /* a gigabyte that is no checkpoint: refused from its first bytes */
    FILE *f = fopen(at("big"), "wb");
    ck_assert(f && ftruncate(fileno(f), 1L << 30) == 0);
    fclose(f);
    snprintf(args, sizeof args, "eval --data %s/d --model %s/big", dir, dir);
    expect_error(args, 1, "not a clnet checkpoint");
    ck_assert_msg(loads_within_memory(at("big"), 256), "the whole gigabyte was read");
    unlink(path);
    /* temporaries of killed runs beside a checkpoint are removed */
    write_file(at("ck.tmp.2147480000"), "partial", 7, 0);
    train_checkpoint("ck");
    ck_assert_msg(!exists(at("ck.tmp.2147480000")), "the stale temporary stayed");
}
END_TEST

START_TEST(study_figure_failure_is_reported)
{
    data_folder("d", 100, 1);
    snprintf(args, sizeof args, "study optim --data %s/d --arch conv4,avgpool,fc10 --steps 3 "
             "--batch 10 --out %s/st", dir, dir);
    spawn(args);
    wait_for_output("run 1 of 3", 120);
    ck_assert_int_eq(mkdir(at("st/study-optim.png"), 0700), 0);
    ck_assert_int_eq(read_long("status", 300), 1);
    slurp(at("stderr"), err, sizeof err);
    ck_assert_msg(strstr(err, "cannot write") && strstr(err, "study-optim.png: Is a directory"),
                  "%s", err);
    static char html[1 << 16];
    slurp(at("st/index.html"), html, sizeof html);
    ck_assert_msg(strstr(html, "could not be written") && !strstr(html, "src=\"study-optim.png\""),
                  "%s", html);
}
END_TEST

START_TEST(closed_stdout_and_ignored_hangup)
{
    data_folder("d", 100, 1);
    /* `clnet train | head -1`: the run stops as for SIGTERM, saves, completes its report */
    snprintf(args, sizeof args, "(%s train --data %s/d --batch 10 --steps 100000 --log-every 1 "
             "--hist-every 0 --out %s/o --save %s/ck --save-every 100000 2>%s/e; echo $? >%s/st) "
             "| head -1 >/dev/null", cli_bin(), dir, dir, dir, dir, dir);
    ck_assert_int_eq(system(args), 0);
    char text[256];
    slurp(at("st"), text, sizeof text);
    slurp(at("e"), err, sizeof err);
    ck_assert_msg(atoi(text) == 141 && strstr(err, "standard output was closed (SIGPIPE) after step")
                  && strstr(err, "checkpoint written to"), "exit %s: %s", text, err);
    checkpoint c;
    char why[512];
    ck_assert_msg(ckpt_load(at("ck"), &c, why, sizeof why) == 0, "%s", why);
    ckpt_free(&c);
    ck_assert_msg(exists(at("o/index.html")) && !exists(at("o/.clnet.lock")) &&
                  !exists(at("ck.lock")), "the report is not complete, or a lock stayed");
    /* a hangup ignored when clnet starts (nohup) stays ignored */
    snprintf(args, sizeof args, "sh -c \"trap '' HUP; exec %s train --data %s/d --batch 10 "
             "--steps 100000 --log-every 1 --hist-every 0 --no-output >%s/stdout 2>%s/e2\" & "
             "echo $! >%s/bg", cli_bin(), dir, dir, dir, dir);
    ck_assert_int_eq(system(args), 0);
    long pid = read_long("bg", 60);
    wait_for_output("step      1", 120);
    ck_assert_int_eq(kill((pid_t)pid, SIGHUP), 0);
    sleep_ms(1500);
    int alive = kill((pid_t)pid, 0) == 0;
    kill((pid_t)pid, SIGKILL);
    slurp(at("e2"), err, sizeof err);
    ck_assert_msg(alive && !strstr(err, "hung up"), "an ignored SIGHUP stopped it: %s", err);
}
END_TEST

START_TEST(outputs_stay_clnets_while_it_runs)
{
    data_folder("d", 100, 1);
    /* the other name of a data file, present or not, is the data set's too */
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save "
             "%s/d/train-images-idx3-ubyte", dir, dir);
    expect_error(args, 1, "is train-images-idx3-ubyte of --data");
    snprintf(args, sizeof args, "bench --json %s/r --csv %s/./r", dir, dir);
    expect_error(args, 2, "the same file");
    /* a file put in the checkpoint's place during the run is not written over */
    snprintf(args, sizeof args, "train --data %s/d --arch conv4,pool,fc10 --batch 10 --steps "
             "100000 --log-every 1 --hist-every 0 --no-output --save %s/ck --save-every 1", dir,
             dir);
    spawn(args);
    wait_for_output("step      3", 120);
    char text[64] = "";
    for (int i = 0; i < 20 && strcmp(text, "my notes\n"); i++) { /* a rename may just beat it */
        write_file(at("ck"), "my notes\n", 9, 0);
        sleep_ms(200);
        slurp(at("ck"), text, sizeof text);
    }
    wait_for_text("stderr", "now holds a file that is not a clnet checkpoint", 60);
    ck_assert_int_eq(signal_when("stdout", "step", SIGTERM), 143);
    slurp(at("ck"), text, sizeof text);
    ck_assert_str_eq(text, "my notes\n");
    /* a study's folder holds its runs' folders: no other run writes there */
    snprintf(args, sizeof args, "study optim --data %s/d --steps 100000 --batch 10 --out %s/st",
             dir, dir);
    spawn(args);
    long pid = read_long("pid", 60);
    wait_for_output("step     25", 120);
    char want[96];
    snprintf(want, sizeof want, "the output folder of another clnet run (pid %ld)", pid);
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --out %s/st/adam-0.001", dir, dir);
    expect_error(args, 1, want);
    snprintf(args, sizeof args, "train --data %s/d " QUICK " --no-output --save %s/st/ck", dir, dir);
    expect_error(args, 1, want);
    ck_assert_int_eq(kill((pid_t)pid, SIGTERM), 0);
    ck_assert_int_eq(read_long("status", 120), 143);
}
END_TEST

Suite *suite_faults(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 900);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fifos_are_refused_not_waited_for);
    tcase_add_test(tc, save_never_replaces_a_foreign_file);
    tcase_add_test(tc, outputs_checked_before_any_work);
    tcase_add_test(tc, refused_runs_leave_nothing_behind);
    tcase_add_test(tc, one_run_per_checkpoint_and_folder);
    tcase_add_test(tc, signals_stop_every_long_loop);
    tcase_add_test(tc, tune_stops_on_signals_and_uses_tmpdir);
    tcase_add_test(tc, failed_save_then_signal_says_what_is_saved);
    tcase_add_test(tc, full_disk_and_full_stdout);
    tcase_add_test(tc, checkpoints_of_other_data_or_broken_weights);
    tcase_add_test(tc, values_checked_as_the_device_holds_them);
    tcase_add_test(tc, limits_lists_and_odd_names);
    tcase_add_test(tc, misleading_inputs_are_named);
    tcase_add_test(tc, study_figure_failure_is_reported);
    tcase_add_test(tc, closed_stdout_and_ignored_hangup);
    tcase_add_test(tc, outputs_stay_clnets_while_it_runs);
    suite_add_tcase(s, tc);
    return s;
}
