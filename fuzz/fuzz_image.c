/* fuzz_image.c: libFuzzer target for the image decoder (image_decode: stb_image behind clnet's
 * limits, then the resize) and the channel conversion. The first byte picks the channels (1 to
 * 4) and the size (1 to 16 a side) the image becomes; the rest is the file. A decoded image
 * must fill exactly its buffer (ASan sees any byte beyond); a refusal must have a reason. Images
 * of over 2^16 pixels are left out (each would take seconds). Build and run: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"
#include "stb_image.h" /* the declarations; image.c holds the implementation */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int iw, ih, ic;
    if (size > 1 && stbi_info_from_memory(data + 1, (int)(size - 1), &iw, &ih, &ic) &&
        (long)iw * ih > (1 << 16))
        return 0; /* a huge image decodes for seconds: its header's limits are the unit tests' */
    int channels = 1 + (data[0] & 3), w = 1 + (data[0] >> 2 & 15), h = 1 + (data[0] >> 4 & 15);
    uint8_t *px = malloc((size_t)w * h * channels);
    char err[512] = "";
    if (image_decode(data + 1, size - 1, "fuzz", channels, w, h, px, err, sizeof err) == 0) {
        dataset d = {.count = 1, .rows = h, .cols = w, .channels = channels, .pixels = px};
        int to = 1 + (data[0] >> 1 & 3);
        if (image_convert(&d, to, w + 1, h, err, sizeof err) || d.channels != to ||
            d.cols != w + 1)
            abort();
        px = d.pixels;
    } else if (!err[0]) {
        abort(); /* every refusal has a reason */
    }
    free(px);
    return 0;
}
