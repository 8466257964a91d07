/* fuzz_checkpoint.c: libFuzzer target for the checkpoint decoder (ckpt_parse, which ckpt_load
 * calls on the whole file). A decoded checkpoint must hold exactly what it says, all of it
 * finite. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    checkpoint c;
    char err[512];
    if (ckpt_parse(data, size, &c, err, sizeof err) == 0) {
        if (strlen(c.spec) == 0 || strlen(c.spec) > CLNET_SPEC_MAX)
            abort();
        for (uint64_t i = 0; i < c.nparams; i++)
            if (!isfinite(c.params[i]))
                abort(); /* non-finite weights are refused */
        for (uint64_t i = 0; i < c.nstate; i++)
            if (!isfinite(c.state[i]))
                abort();
        ckpt_free(&c);
    } else if (!err[0]) {
        abort(); /* every refusal has a reason */
    }
    return 0;
}
