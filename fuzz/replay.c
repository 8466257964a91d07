/* replay.c: a main for the fuzz targets without libFuzzer: each file named on the command line
 * goes through LLVMFuzzerTestOneInput once. `make check` links every target this way, with only
 * the sources its fuzzer links (so each keeps linking only what it tests), and replays the
 * inputs of tests/fuzz-regressions/ through it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 24];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    return 0;
}
