/* util.h: fatal errors, checked allocation, clocks. */
#ifndef CLNET_UTIL_H
#define CLNET_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses: 1 bad input or runtime failure, 2 usage error, 3 training diverged. */
enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_DIVERGED = 3 };

/* Prints "clnet: <message>" on stderr and exits with status 1 (128 + the signal once SIGINT,
 * SIGTERM or SIGHUP has arrived: stop.h). */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with an explicit exit status. */
_Noreturn void die_status(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Text after "clnet: " in every message of die ("rank 1: " on the ranks of an MPI job but the
 * first, so a failure names the rank that had it); copied. */
void die_tag(const char *tag);

/* The first SIGINT, SIGTERM or SIGHUP received (stop.h installs the handlers), or 0. */
int stop_requested(void);
/* Records sig if it is the first (the handler's part; async-signal-safe). */
void stop_note(int sig);

/* Formats a one-line reason into err; returns -1, for "return errorf(...)" in readers. */
int errorf(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *s);

/* Length limits, each enforced once where the value comes in (flags at parse time), so nothing
 * is cut short later. */
#define CLNET_SPEC_MAX 1023 /* --arch after a preset is expanded (checkpoints store it) */
#define CLNET_PATH_MAX 3840 /* a path from a flag or the environment: with a file name of up to
                               255 characters below it, it still fits a PATH_BUF */
#define PATH_BUF 4096       /* a path clnet builds (PATH_MAX) */
#define MSG_BUF 9216        /* a one-line reason that names up to two paths */

/* s as a JSON string (quotes, backslashes and control characters escaped; a byte that is not
 * part of valid UTF-8 becomes U+FFFD, so any file name gives valid JSON). */
void json_string(FILE *f, const char *s);

/* FNV-1a over n bytes, from h (0xcbf29ce484222325 to start): names of cache files. */
uint64_t fnv1a(uint64_t h, const void *p, size_t n);
/* CRC-32C (Castagnoli) of n bytes, continuing crc (0 to start): TFRecord framing. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

/* Monotonic wall clock in seconds. */
double now_seconds(void);

#endif
