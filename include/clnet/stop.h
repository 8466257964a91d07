/* stop.h: SIGINT, SIGTERM and SIGHUP (a closed terminal) ask clnet to stop. The first one is
 * recorded; every long loop (training steps, the test pass, study runs, bench ops, the tuner)
 * polls stop_requested() (util.h) between batches or ops, finishes what must be finished (a checkpoint),
 * says what happened and exits 128 + the signal. A second signal ends the process at once, after
 * removing what the exit list of files.h holds. */
#ifndef CLNET_STOP_H
#define CLNET_STOP_H

#include "clnet/util.h"

/* Installs the handlers (main does, once). */
void stop_catch(void);
/* "interrupted (SIGINT)", "terminated (SIGTERM)", "hung up (SIGHUP)". */
const char *stop_what(int sig);
/* If a signal was received: prints "clnet: <what> <when>" and exits 128 + the signal. */
void stop_poll(const char *when);

#endif
