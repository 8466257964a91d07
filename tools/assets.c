/* assets.c: builds the image-folder assets from files Debian ships (tools/assets.sh runs it):
 *   assets.c digits CSV.gz OUT   the UCI handwritten digits (sklearn's digits.csv.gz: 64 pixels
 *                                of 0..16, then the label, a line each) as 8x8 grey PNGs in
 *                                OUT/train/<digit>/ and OUT/test/<digit>/ (every fifth image)
 *   assets.c photos OUT NAME=FILE...  32x32 colour patches of photographs, the class being the
 *                                photograph: each is scaled so its shorter side is 160 pixels,
 *                                training patches come from its left two thirds, test patches
 *                                from the right third (so no test pixel was seen in training)
 * Everything is seeded: the same inputs give the same files. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image_resize.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"

#define PATCH 32
#define SIDE 160       /* a photograph's shorter side before cropping */
#define TRAIN_EACH 150 /* patches per photograph */
#define TEST_EACH 50

static void fail(const char *what, const char *path)
{
    fprintf(stderr, "assets: %s: %s\n", path, what);
    exit(1);
}

static void folder(const char *a, const char *b, const char *c)
{
    char p[4096];
    snprintf(p, sizeof p, "%s%s%s%s%s", a, b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "");
    if (mkdir(p, 0755) && access(p, F_OK))
        fail("cannot make the folder", p);
}

static void png(const char *path, int w, int h, int c, const uint8_t *px)
{
    if (!stbi_write_png(path, w, h, c, px, w * c))
        fail("cannot write", path);
}

static int digits(const char *csv, const char *out)
{
    gzFile f = gzopen(csv, "rb");
    if (!f)
        fail("cannot open", csv);
    folder(out, NULL, NULL), folder(out, "train", NULL), folder(out, "test", NULL);
    char line[1024];
    int n = 0;
    while (gzgets(f, line, sizeof line)) {
        int v[65], k = 0;
        for (char *s = line, *end; k < 65; s = end + (*end == ','), k++) {
            v[k] = (int)strtol(s, &end, 10);
            if (end == s || v[k] < 0 || v[k] > (k < 64 ? 16 : 9))
                fail("not 64 pixels of 0..16 and a label", csv);
        }
        uint8_t px[64];
        for (int i = 0; i < 64; i++)
            px[i] = (uint8_t)((v[i] * 255 + 8) / 16); /* 0..16 to 0..255, rounded */
        const char *split = n % 5 == 4 ? "test" : "train";
        char d[8], path[4096];
        snprintf(d, sizeof d, "%d", v[64]);
        folder(out, split, d);
        snprintf(path, sizeof path, "%s/%s/%d/%04d.png", out, split, v[64], n);
        png(path, 8, 8, 1, px);
        n++;
    }
    gzclose(f);
    printf("%s: %d digits\n", out, n);
    return n == 1797 ? 0 : 1;
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static int below(int n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17; /* xorshift64 */
    return (int)(rng % (uint64_t)n);
}

static void photo(const char *out, const char *name, const char *file)
{
    int w, h, c;
    uint8_t *px = stbi_load(file, &w, &h, &c, 3);
    if (!px)
        fail(stbi_failure_reason(), file);
    int sw = w < h ? SIDE : (int)((long)w * SIDE / h), sh = w < h ? (int)((long)h * SIDE / w) : SIDE;
    uint8_t *small = malloc((size_t)sw * sh * 3), patch[PATCH * PATCH * 3];
    if (!small || !stbir_resize_uint8(px, w, h, 0, small, sw, sh, 0, 3))
        fail("cannot scale", file);
    folder(out, "train", name), folder(out, "test", name);
    int cut = sw * 2 / 3; /* train patches lie left of it, test patches right of it */
    for (int i = 0; i < TRAIN_EACH + TEST_EACH; i++) {
        int test = i >= TRAIN_EACH;
        int x = test ? cut + below(sw - cut - PATCH + 1) : below(cut - PATCH + 1);
        int y = below(sh - PATCH + 1);
        for (int r = 0; r < PATCH; r++)
            memcpy(patch + r * PATCH * 3, small + ((size_t)(y + r) * sw + x) * 3, PATCH * 3);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/%s/%03d.png", out, test ? "test" : "train", name, i);
        png(path, PATCH, PATCH, 3, patch);
    }
    printf("%s: %s (%dx%d, scaled to %dx%d)\n", name, file, w, h, sw, sh);
    stbi_image_free(px), free(small);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "digits"))
        return digits(argv[2], argv[3]);
    if (argc >= 4 && !strcmp(argv[1], "photos")) {
        folder(argv[2], NULL, NULL), folder(argv[2], "train", NULL), folder(argv[2], "test", NULL);
        for (int i = 3; i < argc; i++) {
            char *eq = strchr(argv[i], '=');
            if (!eq)
                fail("not NAME=FILE", argv[i]);
            *eq = '\0';
            photo(argv[2], argv[i], eq + 1);
        }
        return 0;
    }
    fprintf(stderr, "usage: assets digits CSV.gz OUT | assets photos OUT NAME=FILE...\n");
    return 2;
}
