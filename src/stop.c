/* stop.c: the stop signals (stop.h). */
#define _POSIX_C_SOURCE 200809L
#include "clnet/stop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/files.h"
#include "clnet/util.h"

static void on_signal(int sig)
{
    if (stop_requested()) { /* the second: end now */
        exit_cleanup();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_note(sig);
}

void stop_catch(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* writes to a pipe are not cut short; waits poll instead */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

const char *stop_what(int sig)
{
    return sig == SIGINT ? "interrupted (SIGINT)" : sig == SIGTERM ? "terminated (SIGTERM)"
           : sig == SIGHUP ? "hung up (SIGHUP)" : "stopped by a signal";
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
