/* stop.h: SIGINT, SIGTERM, SIGHUP (a closed terminal) and SIGPIPE (the reader of stdout went
 * away) ask clnet to stop. The first one is recorded; every long loop (training steps, the test
 * pass, study runs, bench ops, the tuner) polls stop_requested() (util.h) between batches or ops,
 * finishes what must be finished (a checkpoint), says what happened and exits 128 + the signal.
 * A second signal (other than SIGPIPE, which every later write to a closed pipe raises) ends the
 * process at once, after ending the helper of stop_child and removing what the exit list of
 * files.h holds. A signal ignored when clnet starts (nohup) stays ignored. */
#ifndef CLNET_STOP_H
#define CLNET_STOP_H

#include "clnet/util.h"

/* Installs the handlers (main does, once). */
void stop_catch(void);
/* A helper process (pid; 0: none) to kill when a second signal ends clnet at once. */
void stop_child(long pid);
/* Blocks (1) or unblocks (0) the stop signals: around a fork, so the child never runs clnet's
 * handlers; the child calls stop_defaults (their default actions, what was ignored stays so)
 * and then unblocks them before exec. */
void stop_block(int block);
void stop_defaults(void);
/* "interrupted (SIGINT)", "terminated (SIGTERM)", "hung up (SIGHUP)", ... */
const char *stop_what(int sig);
/* If a signal was received: prints "clnet: <what> <when>" and exits 128 + the signal. */
void stop_poll(const char *when);

#endif
