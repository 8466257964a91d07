/* tuned.c: the stored Xgemm parameters of clnet tune (tuned.h): where they live, how they read,
 * and applying them to CLBlast. */
#define _DEFAULT_SOURCE
#include "clnet/tuned.h"

#include <clblast_c.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clnet/files.h"
#include "clnet/util.h"

const char *const tuned_names[TUNED_NPARAM] = {"GEMMK", "KREG",  "KWG",   "KWI", "MDIMA", "MDIMC",
                                               "MWG",   "NDIMB", "NDIMC", "NWG", "SA",    "SB",
                                               "STRM",  "STRN",  "VWM",   "VWN"};

/* A device string into the file name's hash, ended by a newline (the names of files already
 * tuned depend on it). */
static uint64_t hash_line(uint64_t h, const char *s)
{
    return fnv1a(fnv1a(h, s, strlen(s)), "\n", 1);
}

static void device_info(cl_device_id d, cl_device_info what, char *buf, size_t len)
{
    if (clGetDeviceInfo(d, what, len, buf, NULL) != CL_SUCCESS)
        snprintf(buf, len, "?");
    buf[len - 1] = '\0';
}

int tuned_path(cl_device_id dev, const char *platform, const char *device, char *path,
               size_t len)
{
    char base[PATH_BUF];
    if (cache_dir(base, sizeof base))
        return -1;
    char driver[256], version[256];
    device_info(dev, CL_DRIVER_VERSION, driver, sizeof driver);
    device_info(dev, CL_DEVICE_VERSION, version, sizeof version);
    uint64_t h = 0xcbf29ce484222325ULL;
    h = hash_line(hash_line(hash_line(hash_line(h, platform), device), driver), version);
    int n = snprintf(path, len, "%s/clblast-xgemm-%016llx.txt", base, (unsigned long long)h);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Reads "NAME=VALUE" words (lines from '#' on are comments) into values, ordered as tuned_names;
 * every parameter exactly once, other names (the tuner's PRECISION) ignored. */
int tuned_parse(const char *text, size_t values[TUNED_NPARAM], char *err, size_t errlen)
{
    int seen[TUNED_NPARAM] = {0};
    const char *p = text;
    while (*p) {
        if (*p == '#') {
            p += strcspn(p, "\n");
            continue;
        }
        if (strchr(" \t\r\n", *p)) {
            p++;
            continue;
        }
        size_t wlen = strcspn(p, " \t\r\n"), nlen = strcspn(p, "=");
        if (nlen >= wlen)
            return errorf(err, errlen, "'%.*s' is not NAME=VALUE", (int)(wlen > 40 ? 40 : wlen), p);
        char *end;
        errno = 0;
        unsigned long v = strtoul(p + nlen + 1, &end, 10);
        if (end != p + wlen || end == p + nlen + 1 || errno || v > 4096)
            return errorf(err, errlen, "'%.*s': the value is not a whole number 0..4096",
                          (int)(wlen > 40 ? 40 : wlen), p);
        for (int i = 0; i < TUNED_NPARAM; i++)
            if (strlen(tuned_names[i]) == nlen && !strncmp(p, tuned_names[i], nlen)) {
                if (seen[i]++)
                    return errorf(err, errlen, "%s is given twice", tuned_names[i]);
                values[i] = v;
            }
        p += wlen;
    }
    for (int i = 0; i < TUNED_NPARAM; i++)
        if (!seen[i])
            return errorf(err, errlen, "%s is missing", tuned_names[i]);
    return 0;
}

int tuned_is_own(const uint8_t *head, size_t n)
{
    size_t k = strlen(TUNED_HEAD);
    return n >= k && !memcmp(head, TUNED_HEAD, k);
}

void tuned_apply(cl_device_id dev, const char *platform, const char *device, char *applied,
                 size_t len)
{
    char path[PATH_BUF + 64], err[512];
    applied[0] = '\0';
    if (tuned_path(dev, platform, device, path, sizeof path))
        return;
    struct stat st;
    if (lstat(path, &st) && (errno == ENOENT || errno == ENOTDIR))
        return; /* never tuned */
    char *text = read_text(path, 1 << 16, err, sizeof err);
    const char *again = text && !tuned_is_own((const uint8_t *)text, strlen(text))
                            ? "it was not written by clnet tune: delete it"
                            : "delete the file or run clnet tune again";
    if (!text)
        die("%s: %s (the parameters of clnet tune; %s)", path, err, again);
    size_t values[TUNED_NPARAM];
    if (tuned_parse(text, values, err, sizeof err))
        die("%s: %s (the parameters of clnet tune; %s)", path, err, again);
    free(text);
    CLB_CHECK(CLBlastOverrideParameters(dev, "Xgemm", CLBlastPrecisionSingle, TUNED_NPARAM,
                                        (const char **)tuned_names, values));
    snprintf(applied, len, "%s", path);
}
