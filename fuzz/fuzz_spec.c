/* fuzz_spec.c: libFuzzer target for the --arch parser (net_parse), which reads a flag and every
 * checkpoint's network. The first two bytes give the input's channels (1..3), size (1..64
 * each) and classes (2..5); the rest is the spec. A parsed network must be consistent, its
 * classifier the classes'; a refusal must say why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/net.h"

static void check(const net *nt)
{
    size_t end = 0;
    for (int i = 0; i < nt->nlayers; i++) {
        const layer *l = &nt->layers[i];
        if (l->out_c < 1 || l->out_h < 1 || l->out_w < 1)
            abort();
        if (i && (l->in_c != nt->layers[i - 1].out_c || l->in_h != nt->layers[i - 1].out_h))
            abort();
        if (l->nw && (l->w_off < end || l->b_off < l->w_off + l->nw))
            abort();
        if (l->nw)
            end = l->b_off + l->nb;
    }
    if (end > nt->nparams || nt->layers[nt->nlayers - 1].out_c != nt->classes ||
        strlen(nt->spec) > CLNET_SPEC_MAX)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 4096)
        return 0;
    char *spec = malloc(size - 1);
    memcpy(spec, data + 2, size - 2);
    spec[size - 2] = '\0';
    net nt;
    char err[512];
    err[0] = '\0';
    if (net_parse(spec, 1 + data[0] % 3, 1 + data[1] % 64, 1 + data[0] / 3 % 64, 2 + data[1] / 64,
                  &nt, err, sizeof err) == 0) {
        check(&nt);
        net_free_table(&nt);
    } else if (!err[0]) {
        abort();
    }
    free(spec);
    return 0;
}
