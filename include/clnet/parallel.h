/* parallel.h: the data-parallel parts of a training run on MPI ranks (dist.h): each rank's
 * device, the check that every rank runs the same job, the gradient exchange after each
 * backward pass, and the weights' checksum that shows the ranks still agree. With one rank each
 * is nothing or a plain local call. */
#ifndef CLNET_PARALLEL_H
#define CLNET_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/clrt.h"
#include "clnet/net.h"

/* The device selector of this rank: the local rank's entry of a comma list (--device 0,1), the
 * local rank's GPU when several ranks share a host and nothing was chosen (CLNET_DEVICE too),
 * else NULL (the first device: the CPU, whose threads are then shared among the host's ranks
 * through PoCL's POCL_MAX_PTHREAD_COUNT unless it is set). Call before any OpenCL call. */
const char *par_device(const char *list, char *buf, size_t len);

/* Every rank's settings text (lines "flag<TAB>value") against rank 0's: on a difference rank 0
 * prints one line naming the rank and the setting, and every rank exits 2. */
void par_agree(const char *settings);

/* One line per rank of "rank R: <device>" on rank 0's stdout, after the first. */
void par_print_devices(const clrt *rt);

/* Whether the weights are the same on every rank (a CRC-32C of the parameter arena, returned;
 * 0 with one rank); when they are not, rank 0 names the first rank that differs and `when`, and
 * every rank exits 1. */
uint32_t par_same_weights(clrt *rt, const net *nt, const char *when);

/* After the backward pass: the gradient arena summed over the ranks (the mean over the global
 * batch, when the loss divides by it: net.h's grad_norm), and the status latch of a non-finite
 * cost set on every rank when any had it. Returns whether a rank has a stop signal (all stop
 * after this step). Waits for the device; step names the exchange in a timeout's line; the
 * seconds in MPI (the sum itself and the wait for the slowest rank) are added to *mpi_s. */
int par_exchange(clrt *rt, net *nt, cl_mem status, long step, double *mpi_s);

/* Rank's share [*first, *first + *n) of count items split evenly in rank order. */
void par_share(int count, int rank, int *first, int *n);

#endif
