/* image.c: one image file into (row, column, channel) bytes through stb_image (data.h): PNG,
 * JPEG, BMP, GIF (the first frame), TGA, PNM; palette and 16-bit PNGs come as 8-bit. The file is
 * checked to be regular and its header read (stbi_info) before anything is decoded, so a huge
 * image is refused from its size alone. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clnet/data.h"
#include "clnet/files.h"
#include "clnet/util.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_HDR /* float images are not images of bytes */
#define STBI_NO_LINEAR
#define STBI_NO_PSD
#define STBI_NO_PIC
#include "stb_image.h"
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image_resize.h"

#define MAX_FILE ((size_t)256 << 20) /* an image file larger than this is not read */

/* The format the first bytes of a file claim (those with a signature), or NULL. */
static const char *claimed_format(const uint8_t *b, size_t n)
{
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
        return "PNG";
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return "JPEG";
    if (n >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6)))
        return "GIF";
    if (n >= 2 && b[0] == 'B' && b[1] == 'M')
        return "BMP";
    return NULL;
}

int image_info(const char *path, int *w, int *h, int *channels, char *err, size_t len)
{
    char why[256];
    int fd = open_regular(path, why, sizeof why);
    if (fd < 0)
        return errorf(err, len, "%s: %s", path, why);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return errorf(err, len, "%s: cannot open: %s", path, strerror(errno));
    }
    uint8_t head[8];
    size_t n = fread(head, 1, sizeof head, f);
    int ok = n > 0 && fseek(f, 0, SEEK_SET) == 0 && stbi_info_from_file(f, w, h, channels);
    fclose(f); /* the header only: nothing is decoded yet */
    const char *format = claimed_format(head, n);
    if (!ok && n == 0)
        return errorf(err, len, "%s: an empty file, not an image", path);
    if (!ok && format) /* stb_image's reason is that of the last format it tried */
        return errorf(err, len, "%s: a %s file whose header is corrupt or too large to decode",
                      path, format);
    if (!ok)
        return errorf(err, len, "%s: not an image clnet reads (PNG, JPEG, BMP, GIF, TGA, PNM)",
                      path);
    if (*w < 1 || *h < 1 || (long)*w * *h > IMAGE_MAX_PIXELS)
        return errorf(err, len, "%s: %d x %d pixels; at most %d in all are read", path, *w, *h,
                      IMAGE_MAX_PIXELS);
    return 0;
}

int image_decode(const uint8_t *buf, size_t n, const char *path, int channels, int w, int h,
                 uint8_t *out, char *err, size_t len)
{
    int iw, ih, ic;
    int ok = n > 0 && n <= MAX_FILE && stbi_info_from_memory(buf, (int)n, &iw, &ih, &ic) &&
             iw > 0 && ih > 0 && (long)iw * ih <= IMAGE_MAX_PIXELS;
    /* stb converts grey, grey + alpha, RGB and RGBA to the channels asked for */
    uint8_t *px = ok ? stbi_load_from_memory(buf, (int)n, &iw, &ih, &ic, channels) : NULL;
    if (!px)
        return errorf(err, len, "%s: %s%s", path, ok ? "cannot decode it: stb_image: "
                      : "not an image clnet reads, or too large", ok ? stbi_failure_reason() : "");
    int rc = 0;
    if (iw == w && ih == h)
        memcpy(out, px, (size_t)w * h * channels);
    else if (!stbir_resize_uint8(px, iw, ih, 0, out, w, h, 0, channels))
        rc = errorf(err, len, "%s: cannot resize %d x %d to %d x %d", path, iw, ih, w, h);
    stbi_image_free(px);
    return rc;
}

int image_read(const char *path, int channels, int w, int h, uint8_t *out, char *err, size_t len)
{
    size_t n;
    char why[MSG_BUF];
    uint8_t *buf = read_file(path, MAX_FILE, &n, why, sizeof why);
    if (!buf)
        return errorf(err, len, "%s: %s", path, why);
    int rc = image_decode(buf, n, path, channels, w, h, out, err, len);
    free(buf);
    return rc;
}

/* One pixel of from channels as to channels: grey to colour repeated, colour to grey by the
 * luma of ITU-R BT.601 (stb_image's own weights), alpha dropped or made opaque. */
static void convert_pixel(const uint8_t *in, int from, uint8_t *out, int to)
{
    int grey = from >= 3 ? (in[0] * 77 + in[1] * 150 + in[2] * 29) >> 8 : in[0];
    int alpha = from == 2 || from == 4 ? in[from - 1] : 255;
    for (int c = 0; c < to; c++)
        out[c] = (uint8_t)(c == 3 || (to == 2 && c == 1) ? alpha : to <= 2 ? grey
                           : from >= 3 ? in[c] : grey);
}

int image_convert(dataset *d, int channels, int w, int h, char *err, size_t len)
{
    int C = channels ? channels : d->channels, W = w ? w : d->cols, H = h ? h : d->rows;
    if (C == d->channels && W == d->cols && H == d->rows)
        return 0;
    size_t in = (size_t)d->rows * d->cols, out = (size_t)W * H;
    uint8_t *px = xmalloc((size_t)d->count * out * C), *tmp = xmalloc(in * C);
    for (int i = 0; i < d->count; i++) {
        const uint8_t *src = d->pixels + (size_t)i * in * d->channels;
        for (size_t p = 0; p < in; p++)
            convert_pixel(src + p * d->channels, d->channels, tmp + p * C, C);
        uint8_t *dst = px + (size_t)i * out * C;
        if (W == d->cols && H == d->rows)
            memcpy(dst, tmp, in * C);
        else if (!stbir_resize_uint8(tmp, d->cols, d->rows, 0, dst, W, H, 0, C)) {
            free(px), free(tmp);
            return errorf(err, len, "cannot resize %d x %d images to %d x %d", d->cols, d->rows,
                          W, H);
        }
    }
    free(tmp);
    free(d->pixels);
    d->pixels = px, d->channels = C, d->cols = W, d->rows = H;
    return 0;
}
