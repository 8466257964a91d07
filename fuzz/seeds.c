/* seeds.c: writes the fuzzers' starting inputs into DIR/idx, DIR/ckpt and DIR/spec: small valid
 * IDX files (raw and gzip, images and labels), a checkpoint of a tiny network, and network specs
 * (two size bytes, then the spec) using every layer kind and option, CIFAR records and class
 * names, and small images (a selector byte, then a PNG, JPEG, BMP or TGA file) in DIR/image,
 * decoded image caches in DIR/imgcache, image folder trees in DIR/imgdir. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "clnet/checkpoint.h"
#include "clnet/imgcache.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"

static void put(const char *path, const void *p, size_t n, int gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzwrite(g, p, (unsigned)n);
        gzclose(g);
        return;
    }
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

static void append(void *f, void *data, int n)
{
    fwrite(data, 1, (size_t)n, f);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    char path[4096];
    unsigned char img[16 + 2 * 4 * 4] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4};
    for (int i = 16; i < (int)sizeof img; i++)
        img[i] = (unsigned char)(i * 7);
    unsigned char lab[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 3, 9};
    snprintf(path, sizeof path, "%s/idx/images", argv[1]);
    put(path, img, sizeof img, 0);
    snprintf(path, sizeof path, "%s/idx/images.gz", argv[1]);
    put(path, img, sizeof img, 1);
    snprintf(path, sizeof path, "%s/idx/labels", argv[1]);
    put(path, lab, sizeof lab, 0);
    snprintf(path, sizeof path, "%s/idx/labels.gz", argv[1]);
    put(path, lab, sizeof lab, 1);
    checkpoint c;
    memset(&c, 0, sizeof c);
    strcpy(c.spec, "conv2,pool,fc10");
    c.C = 1, c.H = 4, c.W = 4, c.batch = 2, c.shuffle = 1, c.seed = 1, c.step = 3, c.lr = 0.01;
    c.train_count = 2, c.epoch_rng.s[0] = 42, c.classes = 10;
    float p[64];
    for (int i = 0; i < 64; i++)
        p[i] = (float)i / 7;
    c.nparams = 64, c.params = p;
    char err[256];
    snprintf(path, sizeof path, "%s/ckpt/tiny", argv[1]);
    if (ckpt_save(path, &c, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* a CIFAR-10 record (selector byte 0: version 10, 2 classes) and one of CIFAR-100 (1) */
    static unsigned char rec[1 + 2 + 3072];
    for (int i = 0; i < (int)sizeof rec; i++)
        rec[i] = (unsigned char)(i * 13);
    rec[0] = 0, rec[1] = 1;
    snprintf(path, sizeof path, "%s/cifar/10", argv[1]);
    put(path, rec, 1 + 1 + 3072, 0);
    rec[0] = 1, rec[2] = 1;
    snprintf(path, sizeof path, "%s/cifar/100", argv[1]);
    put(path, rec, sizeof rec, 0);
    snprintf(path, sizeof path, "%s/cifar/names", argv[1]);
    put(path, "\x04airplane\nautomobile\r\n\nbird  \n", 33, 0);
    const char *specs[] = {"\x1b\x1bltfn", "\x1b\x1bmlp", "\x1b\x1bvgg",
                           "\x1b\x1b" "conv6:5x5:s2,conv4:valid,avgpool,pool:3x3:s1,fc7,fc10",
                           "\x06\x07pad9,conv2:3x3:s2,avgpool:3x3:s2,fc10"};
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        snprintf(path, sizeof path, "%s/spec/%zu", argv[1], i);
        put(path, specs[i], strlen(specs[i]), 0);
    }
    /* 5 x 3 images of 1 to 4 channels in the formats stb writes, after a selector byte */
    unsigned char px[5 * 3 * 4];
    for (int i = 0; i < (int)sizeof px; i++)
        px[i] = (unsigned char)(i * 29);
    const char *fmt[] = {"png", "jpg", "bmp", "tga"};
    for (int f = 0; f < 4; f++)
        for (int c = 1; c <= 4; c++) {
            snprintf(path, sizeof path, "%s/image/%s%d", argv[1], fmt[f], c);
            FILE *o = fopen(path, "wb");
            fputc(c * 37 + f * 11, o);
            if (f == 0)
                stbi_write_png_to_func(append, o, 5, 3, c, px, 5 * c);
            else if (f == 1)
                stbi_write_jpg_to_func(append, o, 5, 3, c, px, 90);
            else if (f == 2)
                stbi_write_bmp_to_func(append, o, 5, 3, c, px);
            else
                stbi_write_tga_to_func(append, o, 5, 3, c, px);
            fclose(o);
        }
    /* decoded caches of 2 colour images of 3 x 2 pixels, with and without class names */
    unsigned char cpx[2 * 3 * 2 * 3];
    uint16_t clab[2] = {0, 1};
    for (int i = 0; i < (int)sizeof cpx; i++)
        cpx[i] = (unsigned char)(i * 17);
    dataset cd = {.count = 2, .rows = 2, .cols = 3, .channels = 3, .classes = 2, .pixels = cpx,
                  .labels = clab, .names = "cat\0dog", .names_len = 8};
    snprintf(path, sizeof path, "%s/imgcache/named", argv[1]);
    if (imgcache_save(path, 0x5eed, &cd))
        return 1;
    cd.names = NULL, cd.names_len = 0;
    snprintf(path, sizeof path, "%s/imgcache/plain", argv[1]);
    if (imgcache_save(path, 7, &cd))
        return 1;
    /* an image folder (fuzz_imgdir's entries): train/a/x.png, train/b/y.png, test/a/z.png of
     * 2 x 2 grey pixels, and an empty class folder in a second tree */
    snprintf(path, sizeof path, "%s/imgdir/two-classes", argv[1]);
    FILE *o = fopen(path, "wb");
    const char *entry[][3] = {{"\0", "a", "x.png"}, {"\0", "b", "y.png"}, {"\1", "a", "z.png"}};
    for (int e = 0; e < 3; e++) {
        fputc(entry[e][0][0], o);
        fputc(1, o), fputs(entry[e][1], o);
        fputc(5, o), fputs(entry[e][2], o);
        long at = ftell(o);
        fputc(0, o); /* the length, patched below */
        unsigned char g[4] = {(unsigned char)(e * 60), 20, 200, (unsigned char)(e * 30)};
        stbi_write_png_to_func(append, o, 2, 2, 1, g, 2);
        long n = ftell(o) - at - 1;
        fseek(o, at, SEEK_SET);
        fputc((int)n, o);
        fseek(o, 0, SEEK_END);
    }
    fclose(o);
    snprintf(path, sizeof path, "%s/imgdir/empty-class", argv[1]);
    put(path, "\2\1c\0\1a\5x.png\0", 11, 0);
    return 0;
}
