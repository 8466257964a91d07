/* hparams.c: optimizer names and what follows from the settings (hparams.h). */
#include "clnet/hparams.h"

#include <math.h>
#include <string.h>

int optim_parse(const char *s, optim_kind *out)
{
    static const char *names[] = {"sgd", "momentum", "adam"};
    for (int k = 0; k < 3; k++)
        if (!strcmp(s, names[k])) {
            *out = (optim_kind)k;
            return 0;
        }
    return -1;
}

const char *optim_name(optim_kind k)
{
    static const char *names[] = {"sgd", "momentum", "adam"};
    return names[k];
}

int optim_state_arenas(optim_kind k)
{
    return k == OPT_SGD ? 0 : k == OPT_MOMENTUM ? 1 : 2;
}

double optim_step_lr(const optim_hparams *h, double lr, long t)
{
    if (h->kind != OPT_ADAM)
        return lr;
    return lr * sqrt(1 - pow(h->beta2, (double)t)) / (1 - pow(h->beta1, (double)t));
}
