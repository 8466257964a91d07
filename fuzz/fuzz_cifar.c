/* fuzz_cifar.c: libFuzzer target for the CIFAR readers: the record decoder (cifar_records) and
 * the class-names parser. The first byte picks CIFAR-10 or CIFAR-100 and how many classes the
 * labels are checked against; the rest is the records, and also the names text. A decoded set
 * must hold exactly its records, every label a class. Build and run: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int version = data[0] & 1 ? 100 : 10, classes = 2 + data[0] / 2 % 120;
    dataset d;
    memset(&d, 0, sizeof d);
    char err[512] = "";
    if (cifar_records(data + 1, size - 1, version, classes, "fuzz", &d, err, sizeof err) == 0) {
        size_t rec = (version == 100 ? 2 : 1) + 3072;
        if ((size_t)d.count * rec != size - 1 || d.channels != 3 || d.rows != 32)
            abort();
        for (int i = 0; i < d.count; i++)
            if (d.labels[i] >= classes)
                abort();
    } else if (!err[0]) {
        abort(); /* every refusal has a reason */
    }
    free(d.pixels), free(d.labels);
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    memset(&d, 0, sizeof d);
    err[0] = '\0';
    int n = class_names_parse(text, "fuzz", 0, &d, err, sizeof err);
    if (n >= 0) {
        size_t ends = 0;
        for (size_t i = 0; i < d.names_len; i++)
            ends += d.names[i] == '\0';
        if ((int)ends != n)
            abort();
    } else if (!err[0]) {
        abort();
    }
    free(d.names);
    free(text);
    return 0;
}
