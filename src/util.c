/* util.c: fatal errors, checked allocation, clocks. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/util.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int stop_signal; /* lock-free: handlers on any thread (PoCL's too) set it */

int stop_requested(void)
{
    return atomic_load(&stop_signal);
}

void stop_note(int sig)
{
    int none = 0;
    atomic_compare_exchange_strong(&stop_signal, &none, sig);
}

static _Noreturn void vdie(int status, const char *fmt, va_list ap)
{
    fflush(stdout);
    fputs("clnet: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    int sig = stop_requested(); /* a failure after a stop signal may be its effect: say stopped */
    exit(sig ? 128 + sig : status);
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdie(EXIT_INPUT, fmt, ap);
}

void die_status(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdie(status, fmt, ap);
}

int errorf(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of host memory allocating %zu bytes", n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        die("out of host memory allocating %zu x %zu bytes", count, size);
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
