/* fuzz_idx.c: libFuzzer target for the IDX reader (raw and gzip), through a file as clnet reads
 * it, as labels and as images (every rank and type). Build and run: make fuzz. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clnet/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/clnet-fuzz-idx-%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    for (int kind = IDX_LABELS; kind <= IDX_IMAGES; kind += 2) {
        idx_shape sh;
        uint8_t *payload = NULL;
        char err[512];
        if (idx_read(path, kind, &sh, &payload, err, sizeof err) == 0) {
            uint64_t n = (uint64_t)sh.elem;
            for (int i = 0; i < sh.rank; i++)
                n *= sh.dims[i];
            volatile uint8_t sum = 0;
            for (uint64_t i = 0; i < n; i++) /* the whole payload must be readable */
                sum ^= payload[i];
        }
        free(payload);
    }
    return 0;
}
