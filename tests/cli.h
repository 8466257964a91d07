/* cli.h (tests): running the clnet binary as a user does, in a scratch folder per test. */
#ifndef CLNET_TEST_CLI_H
#define CLNET_TEST_CLI_H

#include <stddef.h>

extern char *dir;                  /* the test's scratch folder (setup / teardown) */
extern char out[1 << 16], err[1 << 14]; /* the last run's stdout and stderr */

void setup(void);
void teardown(void);
/* The binary under test: $CLNET_BIN, else build/clnet. */
const char *cli_bin(void);
/* Reads a whole (small) file into buf, NUL-terminated; "" if missing. */
void slurp(const char *path, char *buf, size_t len);
/* Runs "clnet args" (shell words) with stdout and stderr into out and err (through
 * dir/run.stdout and dir/run.stderr); returns its exit status, failing the test if it was killed
 * by a signal. */
int run(const char *args);
/* The same, killed after seconds (0: no limit), which fails the test: for what must not hang. */
int run_limited(int seconds, const char *args);
/* Starts "clnet args" in the background (with the signal actions of a run from a terminal): its
 * pid lands in dir/pid, its output in dir/stdout and dir/stderr; read_long("status") waits for
 * its exit status. */
void spawn(const char *args);
/* The same with environment settings ("NAME=value ...", for this run only) in front. */
void spawn_with(const char *env, const char *args);
/* The number in dir/name once it is there (waiting up to wait_s seconds); "status": the exit
 * status of the run spawn started. */
long read_long(const char *name, int wait_s);
/* Waits (up to wait_s seconds) until dir/name holds needle; the file is then in out. */
void wait_for_text(const char *name, const char *needle, int wait_s);
/* The same for the dir/stdout of spawn. */
void wait_for_output(const char *needle, int wait_s);
/* Expects exit status want and exactly one line "clnet: ...needle..." on stderr. */
void expect_error(const char *args, int want, const char *needle);

#endif
