/* dist.c: the MPI calls of data-parallel training, each collective watched by a thread with a
 * deadline, so a rank that stops answering cannot hang the others. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/dist.h"

#include <limits.h>
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clnet/util.h"

static struct {
    int on; /* MPI_Init was called */
    int rank, size, local_rank, local_size;
    double timeout;
} g = {0, 0, 1, 0, 1, DIST_TIMEOUT_DEFAULT};

int dist_launched(void)
{
    /* Open MPI's mpirun; PMIx (Open MPI 4+, Slurm); MPICH's Hydra and Slurm's PMI-1/2 */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

/* Names the MPI call that failed and its error, then ends the job. */
static void mpi_check(int rc, const char *call, const char *what)
{
    if (rc == MPI_SUCCESS)
        return;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    fflush(stdout);
    fprintf(stderr, "clnet: rank %d: %s (%s) failed: %.*s; ending the job\n", g.rank, call, what,
            len, msg);
    MPI_Abort(MPI_COMM_WORLD, EXIT_INPUT);
    exit(EXIT_INPUT);
}

/* ---- the watchdog: a thread that ends this rank when a collective outlasts the timeout ---- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int running, quit;
    const char *what; /* the collective under way, NULL: none */
    double since;
} w = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* It makes no MPI call (the main thread may be inside one): it says why and exits, and mpirun,
 * seeing a rank end with a non-zero status, ends the others, the stopped one too. */
static void *watchdog(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&w.lock);
    while (!w.quit) {
        if (w.what && now_seconds() - w.since > g.timeout) { /* stdout is the main thread's */
            fprintf(stderr, "clnet: rank %d: no answer from the other ranks for %.0f s "
                    "(--mpi-timeout) at %s: a rank stopped or hangs; ending the job\n", g.rank,
                    g.timeout, w.what);
            _exit(EXIT_INPUT);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000 * 1000; /* 0.2 s: the timeout is seconds */
        until.tv_sec += until.tv_nsec / 1000000000, until.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&w.wake, &w.lock, &until);
    }
    pthread_mutex_unlock(&w.lock);
    return NULL;
}

static void watch(const char *what)
{
    pthread_mutex_lock(&w.lock);
    w.what = what;
    w.since = now_seconds();
    pthread_mutex_unlock(&w.lock);
}

static void watch_start(void)
{
    if (pthread_create(&w.thread, NULL, watchdog, NULL) != 0)
        die("cannot start the thread that watches for ranks that stop answering");
    w.running = 1;
}

static void watch_stop(void)
{
    if (!w.running)
        return;
    pthread_mutex_lock(&w.lock);
    w.quit = 1;
    pthread_cond_signal(&w.wake);
    pthread_mutex_unlock(&w.lock);
    pthread_join(w.thread, NULL);
    w.running = 0;
}

void dist_init(int *argc, char ***argv)
{
    if (!dist_launched())
        return;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        die("MPI_Init failed: this process was started by an MPI launcher that clnet's Open MPI "
            "cannot join (use Open MPI's mpirun)");
    if (provided < MPI_THREAD_FUNNELED) /* the watchdog thread shares the process */
        die("MPI_Init: this MPI gives only single-threaded processes; clnet needs "
            "MPI_THREAD_FUNNELED");
    g.on = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g.size);
    MPI_Comm local;
    mpi_check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g.rank, MPI_INFO_NULL,
                                  &local), "MPI_Comm_split_type", "ranks on this host");
    MPI_Comm_rank(local, &g.local_rank);
    MPI_Comm_size(local, &g.local_size);
    MPI_Comm_free(&local);
    if (g.rank) {
        char tag[32];
        snprintf(tag, sizeof tag, "rank %d: ", g.rank);
        die_tag(tag);
    }
    if (g.size > 1)
        watch_start();
}

void dist_finalize(void)
{
    if (!g.on)
        return;
    watch("the end of the job");
    MPI_Finalize();
    watch_stop();
    g.on = 0;
}

int dist_rank(void) { return g.rank; }
int dist_size(void) { return g.size; }
int dist_local_rank(void) { return g.local_rank; }
int dist_local_size(void) { return g.local_size; }

void dist_set_timeout(double seconds)
{
    pthread_mutex_lock(&w.lock); /* the watchdog reads it */
    g.timeout = seconds;
    pthread_mutex_unlock(&w.lock);
}

/* ---- collectives: blocking ones (MPI_Allreduce's algorithms sum vgg's 64 MB in 40 ms here,
 * MPI_Iallreduce's polled with MPI_Test in 76), each under the watchdog ---- */

#define CHUNK (INT_MAX / 8) /* elements per MPI call: counts are ints */

static void all_reduce(void *v, size_t n, MPI_Datatype type, size_t size, MPI_Op op,
                       const char *what)
{
    watch(what);
    for (size_t i = 0; i < n; i += CHUNK) {
        int count = (int)(n - i < CHUNK ? n - i : CHUNK);
        mpi_check(MPI_Allreduce(MPI_IN_PLACE, (char *)v + i * size, count, type, op,
                                MPI_COMM_WORLD), "MPI_Allreduce", what);
    }
    watch(NULL);
}

void dist_sum_float(float *v, size_t n, const char *what)
{
    if (g.size > 1)
        all_reduce(v, n, MPI_FLOAT, sizeof *v, MPI_SUM, what);
}

void dist_sum_double(double *v, size_t n, const char *what)
{
    if (g.size > 1)
        all_reduce(v, n, MPI_DOUBLE, sizeof *v, MPI_SUM, what);
}

void dist_max_long(long *v, size_t n, const char *what)
{
    if (g.size > 1)
        all_reduce(v, n, MPI_LONG, sizeof *v, MPI_MAX, what);
}

void dist_allgather_u32(uint32_t v, uint32_t *all, const char *what)
{
    all[0] = v;
    if (g.size == 1)
        return;
    watch(what);
    mpi_check(MPI_Allgather(&v, 1, MPI_UINT32_T, all, 1, MPI_UINT32_T, MPI_COMM_WORLD),
              "MPI_Allgather", what);
    watch(NULL);
}

void dist_gather_bytes(const void *text, size_t len, void *all, const char *what)
{
    if (g.size == 1) {
        memcpy(all, text, len);
        return;
    }
    if (len > INT_MAX)
        die("%s: %zu bytes are too many for one MPI exchange", what, len);
    watch(what);
    mpi_check(MPI_Gather(text, (int)len, MPI_BYTE, all, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD),
              "MPI_Gather", what);
    watch(NULL);
}

void dist_gather_ints(const int *v, int n, int *all, const int *counts, const char *what)
{
    if (g.size == 1) {
        memcpy(all, v, (size_t)n * sizeof *v);
        return;
    }
    int *at = NULL;
    if (g.rank == 0) {
        at = xmalloc((size_t)g.size * sizeof *at);
        for (int r = 0, sum = 0; r < g.size; sum += counts[r], r++)
            at[r] = sum;
    }
    watch(what);
    mpi_check(MPI_Gatherv(v, n, MPI_INT, all, counts, at, MPI_INT, 0, MPI_COMM_WORLD),
              "MPI_Gatherv", what);
    watch(NULL);
    free(at);
}

void dist_bcast_int(int *v, const char *what)
{
    if (g.size == 1)
        return;
    watch(what);
    mpi_check(MPI_Bcast(v, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast", what);
    watch(NULL);
}

void dist_fail(int status)
{
    fflush(stdout);
    fflush(stderr);
    if (g.on) { /* every rank ends here: rank 0's line is out before any of them exits */
        watch("the end of a refused run");
        MPI_Barrier(MPI_COMM_WORLD);
        dist_finalize();
    }
    exit(status);
}
