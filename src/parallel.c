/* parallel.c: the data-parallel parts of a training run: each rank's device, the agreement of
 * the ranks on the job, the gradient exchange and the weights' checksum. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/parallel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clnet/clerr.h"
#include "clnet/dist.h"
#include "clnet/util.h"

/* Several ranks on one CPU device: each gets its share of the cores, not all of them (PoCL
 * would run ranks x cores threads on the cores). */
static void share_cpu(int ranks)
{
    if (getenv("POCL_MAX_PTHREAD_COUNT"))
        return; /* the user's choice */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN), each = cpus / ranks;
    char v[32];
    snprintf(v, sizeof v, "%ld", each > 0 ? each : 1);
    setenv("POCL_MAX_PTHREAD_COUNT", v, 0);
}

/* Entry k of a comma list into buf; exits naming the list when it has too few. */
static const char *list_entry(const char *list, int k, int ranks, char *buf, size_t len)
{
    int entries = 1;
    for (const char *c = list; *c; c++)
        entries += *c == ',';
    if (k >= entries)
        die("--device %s: %d device%s for the %d ranks on this host: give one per rank", list,
            entries, entries == 1 ? "" : "s", ranks);
    const char *p = list;
    for (int i = 0; i < k; i++)
        p = strchr(p, ',') + 1;
    size_t n = strcspn(p, ",");
    if (n == 0)
        die("--device %s: entry %d is empty (see clnet devices)", list, k + 1);
    snprintf(buf, len, "%.*s", (int)n, p);
    return buf;
}

const char *par_device(const char *list, char *buf, size_t len)
{
    int k = dist_local_rank(), ranks = dist_local_size();
    if (ranks > 1)
        share_cpu(ranks);
    if (list && strchr(list, ',') && dist_launched()) /* without mpirun: a name, as before */
        return list_entry(list, k, ranks, buf, len);
    if (list || ranks == 1 || (getenv("CLNET_DEVICE") && *getenv("CLNET_DEVICE")))
        return list; /* one device for every rank of the host */
    int gpus, idx = clrt_gpu_index(k, &gpus);
    if (idx >= 0) {
        snprintf(buf, len, "%d", idx);
        return buf;
    }
    if (gpus > 0)
        die("%d ranks on this host but %d GPU%s: give --device with one entry per rank (see "
            "clnet devices)", ranks, gpus, gpus == 1 ? "" : "s");
    return NULL; /* no GPU: the CPU, shared */
}

#define SETTINGS_MAX 4096 /* bytes of one rank's settings text */

/* The first line of b (rank's) unlike a's (rank 0's), said on stderr; 0 when they agree. */
static int differs(const char *a, const char *b, int rank)
{
    while (*a || *b) {
        int la = (int)strcspn(a, "\n"), lb = (int)strcspn(b, "\n");
        if (la != lb || memcmp(a, b, (size_t)la)) {
            int key = (int)strcspn(a, "\t");
            key = key < la ? key : la;
            int vb = lb > key ? lb - key - 1 : 0, va = la > key ? la - key - 1 : 0;
            fflush(stdout);
            fprintf(stderr, "clnet: rank %d runs another job than rank 0: %.*s is '%.*s' there, "
                    "'%.*s' here (every rank needs the same flags and data)\n", rank, key, a,
                    vb, lb > key ? b + key + 1 : b, va, a + key + (la > key));
            return 1;
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    return 0;
}

void par_agree(const char *settings)
{
    int n = dist_size();
    if (n == 1)
        return;
    char *mine = xcalloc(1, SETTINGS_MAX);
    snprintf(mine, SETTINGS_MAX, "%s", settings);
    char *all = dist_rank() == 0 ? xcalloc((size_t)n, SETTINGS_MAX) : NULL;
    dist_gather_bytes(mine, SETTINGS_MAX, all, "the check that every rank runs the same job");
    int bad = 0;
    for (int r = 1; all && r < n && !bad; r++)
        bad = differs(mine, all + (size_t)r * SETTINGS_MAX, r);
    dist_bcast_int(&bad, "the check that every rank runs the same job");
    free(all);
    free(mine);
    if (bad)
        dist_fail(EXIT_USAGE);
}

#define DEVICE_TEXT 600

void par_print_devices(const clrt *rt)
{
    int n = dist_size();
    if (n == 1)
        return;
    char mine[DEVICE_TEXT] = "";
    snprintf(mine, sizeof mine, "%s / %s", rt->platform_name, rt->device_name);
    char *all = dist_rank() == 0 ? xcalloc((size_t)n, DEVICE_TEXT) : NULL;
    dist_gather_bytes(mine, DEVICE_TEXT, all, "the list of devices");
    for (int r = 1; all && r < n; r++)
        printf("device of rank %d: %s\n", r, all + (size_t)r * DEVICE_TEXT);
    free(all);
}

uint32_t par_same_weights(clrt *rt, const net *nt, const char *when)
{
    int n = dist_size();
    if (n == 1)
        return 0;
    size_t bytes = nt->nparams * sizeof(float);
    float *w = xmalloc(bytes);
    clrt_download(rt, nt->params, 0, bytes, w);
    uint32_t crc = crc32c(0, w, bytes), *all = xmalloc((size_t)n * sizeof *all);
    free(w);
    dist_allgather_u32(crc, all, "the weights' checksum");
    int bad = 0;
    while (bad < n && all[bad] == all[0])
        bad++;
    if (bad < n && dist_rank() == 0) {
        fflush(stdout);
        fprintf(stderr, "clnet: %s: the weights of rank %d differ from rank 0's (CRC-32C %08x, "
                "%08x here): the ranks no longer train one model; stopping\n", when, bad,
                all[bad], all[0]);
    }
    free(all);
    if (bad < n)
        dist_fail(EXIT_INPUT);
    return crc;
}

int par_exchange(clrt *rt, net *nt, cl_mem status, long step, double *mpi_s)
{
    size_t bytes = nt->nparams * sizeof(float);
    int latched = 0;
    CL_CHECK(clEnqueueReadBuffer(rt->queue, status, CL_FALSE, 0, sizeof latched, &latched, 0,
                                 NULL, NULL)); /* done when the map below is: in-order queue */
    /* mapped, not copied: on a CPU device the arena itself (a 64 MB vgg arena's two copies took
     * 35 ms a step), on a GPU one transfer each way */
    cl_int st;
    float *g = clEnqueueMapBuffer(rt->queue, nt->grads, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0,
                                  bytes, 0, NULL, NULL, &st); /* in order: after the latch */
    CL_CHECK(st);
    float flags[2] = {latched ? 1.0f : 0.0f, stop_requested() ? 1.0f : 0.0f};
    char what[64];
    snprintf(what, sizeof what, "the gradient exchange of step %ld", step);
    double t0 = now_seconds();
    dist_sum_float(flags, 2, what);
    dist_sum_float(g, nt->nparams, what); /* the loss divided by the global batch: the mean */
    *mpi_s += now_seconds() - t0;
    CL_CHECK(clEnqueueUnmapMemObject(rt->queue, nt->grads, g, 0, NULL, NULL));
    if (flags[0] > 0 && !latched) { /* another rank's cost was not finite: no rank updates */
        int one = 1;
        clrt_upload(rt, status, 0, sizeof one, &one);
    }
    return flags[1] > 0;
}

void par_share(int count, int rank, int *first, int *n)
{
    long size = dist_size();
    *first = (int)(count * (long)rank / size);
    *n = (int)(count * (long)(rank + 1) / size) - *first;
}
