/* fuzz_checkpoint.c: libFuzzer target for the checkpoint decoder (ckpt_parse, which ckpt_load
 * calls on the whole file). A decoded checkpoint must hold exactly what it says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    checkpoint c;
    char err[512];
    if (ckpt_parse(data, size, &c, err, sizeof err) == 0) {
        if (strlen(c.spec) == 0 || strlen(c.spec) >= CKPT_MAX_SPEC)
            abort();
        volatile float sum = 0;
        for (uint64_t i = 0; i < c.nparams; i++)
            sum += c.params[i];
        for (uint64_t i = 0; i < c.nstate; i++)
            sum += c.state[i];
        ckpt_free(&c);
    } else if (!err[0]) {
        abort(); /* every refusal has a reason */
    }
    return 0;
}
