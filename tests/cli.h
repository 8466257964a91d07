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
/* Runs "clnet args" (shell words) with stdout and stderr into out and err; returns its exit
 * status, failing the test if it was killed by a signal. */
int run(const char *args);

#endif
