/* fuzz_imgcache.c: libFuzzer target for the decoded image cache's reader (imgcache_parse). The
 * key it must match is the one the input itself holds, so the fuzzer gets past it (and past the
 * checksum, skipped in fuzzing builds). A decoded cache must hold exactly its images and every
 * label must be a class. Build and run: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/imgcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t key = 0;
    for (int i = 0; i < 8 && 16 + i < (int)size; i++)
        key |= (uint64_t)data[16 + i] << (8 * i);
    dataset d;
    char err[512] = "";
    if (imgcache_parse(data, size, key, &d, err, sizeof err) == 0) {
        if (d.count < 1 || d.classes < 1 || !d.pixels || !d.labels)
            abort();
        for (int i = 0; i < d.count; i++)
            if (d.labels[i] >= d.classes)
                abort();
        size_t last = dataset_bytes(&d) - 1; /* the whole of it was copied: ASan checks */
        volatile uint8_t v = d.pixels[last];
        (void)v;
        dataset_free(&d);
    } else if (!err[0]) {
        abort(); /* every refusal has a reason */
    }
    return 0;
}
