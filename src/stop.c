/* stop.c: the stop signals (stop.h). */
#define _POSIX_C_SOURCE 200809L
#include "clnet/stop.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/files.h"
#include "clnet/util.h"

static atomic_long child; /* a helper process to end with clnet (the tuner) */
static atomic_int asked;  /* stop signals so far, SIGPIPE not counted */

static void on_signal(int sig)
{
    /* SIGPIPE: the reader of stdout is gone: stop, and let later writes fail with EPIPE */
    if (sig != SIGPIPE && atomic_fetch_add(&asked, 1)) { /* the second: end now */
        long pid = atomic_load(&child);
        if (pid > 0)
            kill((pid_t)pid, SIGKILL);
        exit_cleanup();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_note(sig);
}

void stop_catch(void)
{
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (int i = 0; i < 4; i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART; /* writes to a pipe are not cut short; waits poll instead */
        /* a signal ignored at start stays ignored: nohup, a background job of a script */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

void stop_child(long pid)
{
    atomic_store(&child, pid);
}

void stop_block(int block)
{
    sigset_t set;
    sigemptyset(&set);
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (int i = 0; i < 4; i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

void stop_defaults(void)
{
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (int i = 0; i < 4; i++)
        if (signal(sigs[i], SIG_DFL) == SIG_IGN)
            signal(sigs[i], SIG_IGN); /* what was ignored stays so, as exec keeps it */
}

const char *stop_what(int sig)
{
    return sig == SIGINT ? "interrupted (SIGINT)" : sig == SIGTERM ? "terminated (SIGTERM)"
           : sig == SIGHUP ? "hung up (SIGHUP)"
           : sig == SIGPIPE ? "stopped: standard output was closed (SIGPIPE)"
           : "stopped by a signal";
}

void stop_poll(const char *when)
{
    int sig = stop_requested();
    if (!sig)
        return;
    fflush(stdout);
    fprintf(stderr, "clnet: %s %s\n", stop_what(sig), when);
    exit(128 + sig);
}
