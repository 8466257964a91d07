/* fuzz_imgdir.c: libFuzzer target for the image-folder scanner (imgdir_load): the input becomes
 * a folder tree of class folders and files, then both splits are read. Each entry of the input
 * is a flags byte (bit 0: test/ rather than train/; bit 1: a class folder only), a class name,
 * a file name (a length byte, then the bytes; '/' and NUL become '_', "." and ".." become "_")
 * and the file's contents (a length byte, then the bytes). A data set that loads must hold
 * labels below its classes and one name per class; a refusal must say why. Build and run:
 * make fuzz (the decoded cache is off here). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clnet/data.h"

#define MAX_ENTRIES 24

static char root[64];

/* A name of up to 8 bytes from the input at *p (advanced), made safe as one path part. */
static int take_name(const uint8_t **p, const uint8_t *end, char *name)
{
    if (*p >= end)
        return -1;
    size_t n = (size_t)(**p % 9);
    (*p)++;
    if (n == 0 || (size_t)(end - *p) < n)
        return -1;
    for (size_t i = 0; i < n; i++)
        name[i] = (*p)[i] == '/' || (*p)[i] == '\0' ? '_' : (char)(*p)[i];
    name[n] = '\0';
    *p += n;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        strcpy(name, "_");
    return 0;
}

/* Removes root's tree (three levels: split, class, file). */
static void clear(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[PATH_BUF];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (depth < 3 && unlink(path) != 0)
            clear(path, depth + 1);
        else if (depth >= 3)
            unlink(path);
    }
    if (d)
        closedir(d);
    if (depth > 0)
        rmdir(dir);
}

static void check(const char *split)
{
    dataset d;
    char err[MSG_BUF] = "";
    image_opts io = {0, 0, 0, FORMAT_IMAGES};
    if (imgdir_load(root, split, &io, &d, err, sizeof err) == 0) {
        size_t ends = 0;
        for (size_t i = 0; i < d.names_len; i++)
            ends += d.names[i] == '\0';
        if (d.count < 1 || (int)ends != d.classes)
            abort();
        for (int i = 0; i < d.count; i++)
            if (d.labels[i] >= d.classes)
                abort();
        dataset_free(&d);
    } else if (!err[0]) {
        abort();
    }
}

static void remove_root(void)
{
    clear(root, 0);
    rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        setenv("CLNET_IMAGE_CACHE", "off", 1);
        snprintf(root, sizeof root, "/tmp/fuzz-imgdir-%ld", (long)getpid());
        mkdir(root, 0700);
        atexit(remove_root);
    }
    clear(root, 0);
    const uint8_t *p = data, *end = data + size;
    for (int e = 0; e < MAX_ENTRIES && p < end; e++) {
        int flags = *p++;
        char cls[16], file[16], path[PATH_BUF];
        if (take_name(&p, end, cls))
            break;
        snprintf(path, sizeof path, "%s/%s", root, flags & 1 ? "test" : "train");
        mkdir(path, 0700);
        snprintf(path, sizeof path, "%s/%s/%s", root, flags & 1 ? "test" : "train", cls);
        mkdir(path, 0700);
        if (flags & 2)
            continue;
        if (take_name(&p, end, file) || p >= end)
            break;
        size_t n = *p++;
        n = n < (size_t)(end - p) ? n : (size_t)(end - p);
        snprintf(path, sizeof path, "%s/%s/%s/%s", root, flags & 1 ? "test" : "train", cls, file);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(p, 1, n, f);
            fclose(f);
        }
        p += n;
    }
    check("train");
    check("t10k");
    return 0;
}
