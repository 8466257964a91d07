/* stats.c: derived figures of a tensor's statistics (stats.h). */
#include "clnet/stats.h"

double hist_le0_percent(const hist_stats *s)
{
    return s->count ? 100.0 * (double)s->le0 / (double)s->count : 0.0;
}
