/* dist.h: data-parallel training on MPI (Open MPI from Debian): one process, a rank, per device,
 * started by mpirun. Without a launcher nothing here calls MPI: dist_size() is 1 and clnet runs
 * as one process, as fast as before (MPI is initialised only when the environment says that
 * mpirun started the process).
 *
 * Every collective waits at most the timeout (--mpi-timeout): a rank that stops answering ends
 * the job with one line instead of a hang. A rank that dies is reported by mpirun itself
 * ("mpirun noticed that process rank 1 ... exited on signal 9"), which then ends the others. */
#ifndef CLNET_DIST_H
#define CLNET_DIST_H

#include <stddef.h>
#include <stdint.h>

#define DIST_TIMEOUT_DEFAULT 600.0 /* s: a generous bound on one step, a test pass or a save */

/* Whether an MPI launcher started this process (its environment says so). */
int dist_launched(void);
/* MPI_Init when launched (main calls it once), else nothing. */
void dist_init(int *argc, char ***argv);
/* MPI_Finalize after a normal end (nothing without MPI). */
void dist_finalize(void);
int dist_rank(void);       /* 0 without MPI */
int dist_size(void);       /* 1 without MPI */
int dist_local_rank(void); /* among the ranks on this host */
int dist_local_size(void);
void dist_set_timeout(double seconds);

/* Collectives over every rank, in place where they sum; `what` names the exchange in the line a
 * timeout or an MPI failure prints. */
void dist_sum_float(float *v, size_t n, const char *what);
void dist_sum_double(double *v, size_t n, const char *what);
void dist_max_long(long *v, size_t n, const char *what);
/* Every rank's value, into all[dist_size()]. */
void dist_allgather_u32(uint32_t v, uint32_t *all, const char *what);
/* Rank 0 gets each rank's len bytes of text in all[rank * len ..] (all: NULL elsewhere). */
void dist_gather_bytes(const void *text, size_t len, void *all, const char *what);
/* Rank 0 gets counts[r] ints of each rank r, one after the other, in all. */
void dist_gather_ints(const int *v, int n, int *all, const int *counts, const char *what);
/* Rank 0's int into *v on every rank. */
void dist_bcast_int(int *v, const char *what);
/* Ends the job after a failure every rank found (rank 0 has said why): status everywhere. */
_Noreturn void dist_fail(int status);

#endif
