/* fuzz_idx.c: libFuzzer target for the IDX reader (raw and gzip), through a file as clnet reads
 * it, with both ranks. Build and run: make fuzz. */
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
    for (int rank = 1; rank <= 3; rank += 2) {
        uint32_t dims[3];
        uint8_t *payload = NULL;
        char err[512];
        if (idx_read(path, rank, dims, &payload, err, sizeof err) == 0) {
            uint64_t n = dims[0];
            for (int i = 1; i < rank; i++)
                n *= dims[i];
            volatile uint8_t sum = 0;
            for (uint64_t i = 0; i < n; i++) /* the whole payload must be readable */
                sum ^= payload[i];
        }
        free(payload);
    }
    return 0;
}
