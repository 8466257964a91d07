/* util.h: fatal errors, checked allocation, clocks. */
#ifndef CLNET_UTIL_H
#define CLNET_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses: 1 bad input or runtime failure, 2 usage error, 3 training diverged. */
enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_DIVERGED = 3 };

/* Prints "clnet: <message>" on stderr and exits with status 1. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with an explicit exit status. */
_Noreturn void die_status(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats a one-line reason into err; returns -1, for "return errorf(...)" in readers. */
int errorf(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *s);

/* Writes len bytes to path through a temporary file in the same folder renamed over it, so a
 * reader never sees a partial file and a failure leaves no file behind. durable: the file is
 * fsync'd before the rename and the folder after it, so a crash at any moment leaves the old
 * file or the new one. Returns 0, or -1 with errno set. */
int write_file_atomic(const char *path, const void *data, size_t len, int durable);

/* Creates path and every missing folder above it; 0, or -1 with errno set. */
int mkdir_p(const char *path);

/* The whole of a file as a NUL-terminated string of at most limit bytes (the caller frees it),
 * or NULL with errno set (EFBIG: longer than limit; EIO: a read error). */
char *read_text(const char *path, size_t limit);

/* Monotonic wall clock in seconds. */
double now_seconds(void);

#endif
