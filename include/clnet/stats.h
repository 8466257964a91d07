/* stats.h: what a capture reads back of one tensor (hist.h computes it on the device, ref.h in
 * plain C, report.h draws it). Host only. */
#ifndef CLNET_STATS_H
#define CLNET_STATS_H

#include <stdint.h>

typedef struct {
    uint64_t count;      /* finite values */
    uint64_t le0;        /* finite values <= 0 (dead after a ReLU) */
    uint64_t nonfinite;  /* NaN and infinities */
    double min, max;     /* of the finite values */
    double mean, std;    /* population standard deviation */
    float lo, hi, scale; /* bin range: value v is in bin (int)((v - lo) * scale), clamped */
} hist_stats;

/* Percent of the finite values that are <= 0 (0 when there are none). */
double hist_le0_percent(const hist_stats *s);

#endif
