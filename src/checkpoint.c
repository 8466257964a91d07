/* checkpoint.c: encode, decode and validate checkpoints; durable atomic writes. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/checkpoint.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "clnet/data.h"
#include "clnet/files.h"
#include "clnet/util.h"

#define MAGIC "CLNETCKP"
#define HEADER 24 /* magic, version, crc, payload length */


/* ---- encoding ---- */

typedef struct {
    uint8_t *p;
    size_t len;
} wbuf;

static void put(wbuf *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static void put_floats(wbuf *b, const float *f, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &f[i], 4);
        put(b, u, 4);
    }
}

static uint8_t *encode(const checkpoint *c, size_t *out_len)
{
    size_t spec = strlen(c->spec);
    size_t norm = c->normalized ? 8 * (size_t)c->C : 0;
    size_t payload = 4 + spec + 7 * 4 + 3 * 8 + 2 * 4 + 2 * 4 + c->names_len + 4 + norm + 8 +
                     4 * 8 + 8 + 8 + 4 * c->nparams + 8 + 4 * c->nstate;
    wbuf b = {xmalloc(HEADER + payload), 0};
    memcpy(b.p, MAGIC, 8);
    b.len = 8;
    put(&b, CKPT_VERSION, 4);
    put(&b, 0, 4); /* CRC, below */
    put(&b, payload, 8);
    put(&b, spec, 4);
    memcpy(b.p + b.len, c->spec, spec);
    b.len += spec;
    uint32_t u32s[7] = {c->C, c->H, c->W, c->batch, c->shuffle, c->init, c->optim};
    for (int i = 0; i < 7; i++)
        put(&b, u32s[i], 4);
    put(&b, c->seed, 8);
    put(&b, c->step, 8);
    put(&b, c->train_count, 8);
    put(&b, c->pixels_crc, 4);
    put(&b, c->labels_crc, 4);
    put(&b, c->classes, 4);
    put(&b, c->names_len, 4);
    if (c->names_len)
        memcpy(b.p + b.len, c->names, c->names_len);
    b.len += c->names_len;
    put(&b, c->normalized, 4);
    if (c->normalized) {
        put_floats(&b, c->mean, c->C);
        put_floats(&b, c->sd, c->C);
    }
    put(&b, c->flip, 4);
    put(&b, c->pad, 4);
    for (int i = 0; i < 4; i++)
        put(&b, c->epoch_rng.s[i], 8);
    uint64_t lr;
    memcpy(&lr, &c->lr, 8);
    put(&b, lr, 8);
    put(&b, c->nparams, 8);
    put_floats(&b, c->params, c->nparams);
    put(&b, c->nstate, 8);
    put_floats(&b, c->state, c->nstate);
    uint32_t crc = (uint32_t)crc32(0L, b.p + HEADER, (uInt)payload);
    for (int i = 0; i < 4; i++)
        b.p[12 + i] = (uint8_t)(crc >> (8 * i));
    *out_len = b.len;
    return b.p;
}

/* Index of the first non-finite value of f[0..n), or n. */
static uint64_t first_nonfinite(const float *f, uint64_t n)
{
    uint64_t i = 0;
    while (i < n && isfinite(f[i]))
        i++;
    return i;
}

int ckpt_save(const char *path, const checkpoint *c, char *err, size_t errlen)
{
    uint64_t bad = first_nonfinite(c->params, c->nparams);
    if (bad < c->nparams) /* it would replace a good checkpoint with one no run can load */
        return errorf(err, errlen, "--save %s: parameter %llu is %g: not written (the previous "
                      "checkpoint, if any, is unchanged)", path, (unsigned long long)bad,
                      c->params[bad]);
    if ((bad = first_nonfinite(c->state, c->nstate)) < c->nstate)
        return errorf(err, errlen, "--save %s: optimizer value %llu is %g: not written (the "
                      "previous checkpoint, if any, is unchanged)", path, (unsigned long long)bad,
                      c->state[bad]);
    size_t n;
    uint8_t *data = encode(c, &n);
    int rc = write_file_replacing(path, data, n, 1, ckpt_is_own);
    int e = errno;
    free(data);
    if (rc == -2)
        return errorf(err, errlen, "--save %s: now holds a file that is not a clnet checkpoint "
                      "(put there during the run); not written over", path);
    if (rc)
        return errorf(err, errlen, "--save %s: cannot write: %s (the previous checkpoint, if any, "
                    "is unchanged)", path, strerror(e));
    return 0;
}

int ckpt_is_own(const uint8_t *head, size_t n)
{
    return n >= 8 && !memcmp(head, MAGIC, 8);
}

/* ---- decoding ---- */

typedef struct {
    const uint8_t *p;
    size_t len, at;
} rbuf;

static int get(rbuf *b, uint64_t *v, int bytes)
{
    if (b->len - b->at < (size_t)bytes)
        return -1;
    *v = 0;
    for (int i = 0; i < bytes; i++)
        *v |= (uint64_t)b->p[b->at++] << (8 * i);
    return 0;
}

static int get_floats(rbuf *b, float **out, uint64_t n)
{
    if (n > (b->len - b->at) / 4)
        return -1;
    *out = xmalloc((size_t)(n ? n : 1) * sizeof **out);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t u = 0;
        get(b, &u, 4);
        uint32_t u32 = (uint32_t)u;
        memcpy(&(*out)[i], &u32, 4);
    }
    return 0;
}

/* The header of a file of len bytes: magic, version, and a payload length that matches. */
static int check_header(const uint8_t *buf, size_t len, uint32_t *version, uint32_t *crc,
                        char *err, size_t errlen)
{
    if (len < HEADER)
        return errorf(err, errlen, "truncated (%zu bytes; the header alone is %d)", len, HEADER);
    if (memcmp(buf, MAGIC, 8))
        return errorf(err, errlen, "not a clnet checkpoint (wrong magic number)");
    rbuf b = {buf, HEADER, 8};
    uint64_t v, c, payload;
    get(&b, &v, 4), get(&b, &c, 4), get(&b, &payload, 8);
    if (v > CKPT_VERSION)
        return errorf(err, errlen, "format version %llu is newer than this clnet's (%d): use a newer "
                    "clnet", (unsigned long long)v, CKPT_VERSION);
    if (v == 0)
        return errorf(err, errlen, "format version 0 does not exist");
    if (payload != len - HEADER)
        return errorf(err, errlen, "%s (%zu payload bytes, the header says %llu)",
                    payload > len - HEADER ? "truncated" : "trailing data", len - HEADER,
                    (unsigned long long)payload);
    *version = (uint32_t)v, *crc = (uint32_t)c;
    return 0;
}

static int check_crc(const uint8_t *buf, size_t len, uint32_t crc, char *err, size_t errlen)
{
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* let the fuzzer past the checksum */
    if ((uint32_t)crc32(0L, buf + HEADER, (uInt)(len - HEADER)) != crc)
        return errorf(err, errlen, "checksum mismatch: the file is corrupt");
#else
    (void)buf, (void)len, (void)crc, (void)err, (void)errlen;
#endif
    return 0;
}

/* The classes and their names: names_len bytes of NUL-ended names, one per class, or none. */
static int decode_classes(rbuf *b, checkpoint *c, char *err, size_t errlen)
{
    uint64_t k, n;
    if (get(b, &k, 4) || get(b, &n, 4) || n > b->len - b->at)
        return errorf(err, errlen, "truncated class names");
    if (k < 2 || k > CLNET_MAX_CLASSES)
        return errorf(err, errlen, "%llu classes (2 to %d)", (unsigned long long)k,
                      CLNET_MAX_CLASSES);
    c->classes = (uint32_t)k, c->names_len = (uint32_t)n;
    if (!n)
        return 0;
    c->names = xmalloc((size_t)n);
    memcpy(c->names, b->p + b->at, (size_t)n);
    b->at += (size_t)n;
    uint64_t ends = 0;
    for (uint64_t i = 0; i < n; i++)
        if (!c->names[i] && (i == 0 || !c->names[i - 1]))
            return errorf(err, errlen, "an empty class name");
        else
            ends += !c->names[i];
    if (ends != k || c->names[n - 1])
        return errorf(err, errlen, "%llu class names for %llu classes", (unsigned long long)ends,
                      (unsigned long long)k);
    return 0;
}

/* --normalize's channel means (in [0, 1]) and standard deviations (in (0, 1]), and --augment. */
static int decode_normalization(rbuf *b, checkpoint *c, char *err, size_t errlen)
{
    uint64_t on;
    if (get(b, &on, 4))
        return errorf(err, errlen, "truncated settings");
    if (on > 1)
        return errorf(err, errlen, "bad normalization flag %llu", (unsigned long long)on);
    c->normalized = (uint32_t)on;
    for (uint32_t k = 0; on && k < 2 * c->C; k++) {
        uint64_t u;
        if (get(b, &u, 4))
            return errorf(err, errlen, "truncated normalization");
        uint32_t u32 = (uint32_t)u;
        float v;
        memcpy(&v, &u32, 4);
        int is_sd = k >= c->C;
        if (!(v >= 0.0f && v <= 1.0f) || (is_sd && v == 0.0f))
            return errorf(err, errlen, "normalization %s %g of channel %u is outside %s",
                          is_sd ? "sd" : "mean", v, k % c->C, is_sd ? "(0, 1]" : "[0, 1]");
        (is_sd ? c->sd : c->mean)[k % c->C] = v;
    }
    uint64_t flip, pad;
    if (get(b, &flip, 4) || get(b, &pad, 4))
        return errorf(err, errlen, "truncated settings");
    if (flip > 1 || pad > AUGMENT_MAX_PAD)
        return errorf(err, errlen, "augmentation settings out of range");
    c->flip = (uint32_t)flip, c->pad = (uint32_t)pad;
    return 0;
}

static int decode(rbuf *b, uint32_t version, checkpoint *c, char *err, size_t errlen)
{
    uint64_t v[7], spec;
    if (get(b, &spec, 4) || spec == 0 || spec > CLNET_SPEC_MAX || spec > b->len - b->at)
        return errorf(err, errlen, "bad network spec length");
    memcpy(c->spec, b->p + b->at, spec);
    c->spec[spec] = '\0';
    b->at += spec;
    for (size_t i = 0; i < spec; i++)
        if (c->spec[i] < 0x21 || c->spec[i] > 0x7e)
            return errorf(err, errlen, "bad network spec");
    for (int i = 0; i < 7; i++)
        if (get(b, &v[i], 4))
            return errorf(err, errlen, "truncated settings");
    c->C = (uint32_t)v[0], c->H = (uint32_t)v[1], c->W = (uint32_t)v[2];
    c->batch = (uint32_t)v[3], c->shuffle = (uint32_t)v[4], c->init = (uint32_t)v[5];
    c->optim = (uint32_t)v[6];
    if (!c->C || c->C > 4 || !c->H || c->H > CLNET_MAX_SIDE || !c->W || c->W > CLNET_MAX_SIDE ||
        !c->batch || c->batch > 65536 || c->shuffle > 1 || c->init > INIT_SCALED || c->optim > 2)
        return errorf(err, errlen, "settings out of range");
    uint64_t lr;
    if (get(b, &c->seed, 8) || get(b, &c->step, 8) || get(b, &c->train_count, 8))
        return errorf(err, errlen, "truncated settings");
    c->has_data_crc = version >= 2;
    uint64_t pc = 0, lc = 0;
    if (c->has_data_crc && (get(b, &pc, 4) || get(b, &lc, 4)))
        return errorf(err, errlen, "truncated settings");
    c->pixels_crc = (uint32_t)pc, c->labels_crc = (uint32_t)lc;
    c->classes = 10; /* what every format 1 checkpoint has */
    if (c->has_data_crc && decode_classes(b, c, err, errlen))
        return -1;
    if (version >= 3 && decode_normalization(b, c, err, errlen))
        return -1;
    for (int i = 0; i < 4; i++)
        if (get(b, &c->epoch_rng.s[i], 8))
            return errorf(err, errlen, "truncated settings");
    if (get(b, &lr, 8))
        return errorf(err, errlen, "truncated settings");
    memcpy(&c->lr, &lr, 8);
    if (c->step > 1000000000ull || c->train_count > INT_MAX)
        return errorf(err, errlen, "settings out of range");
    if (get(b, &c->nparams, 8) || get_floats(b, &c->params, c->nparams))
        return errorf(err, errlen, "truncated parameters");
    if (get(b, &c->nstate, 8) || get_floats(b, &c->state, c->nstate))
        return errorf(err, errlen, "truncated optimizer state");
    if (b->at != b->len)
        return errorf(err, errlen, "%zu bytes after the optimizer state", b->len - b->at);
    uint64_t bad = first_nonfinite(c->params, c->nparams);
    if (bad < c->nparams)
        return errorf(err, errlen, "parameter %llu of %llu is %g: the weights are not usable",
                      (unsigned long long)bad, (unsigned long long)c->nparams, c->params[bad]);
    if ((bad = first_nonfinite(c->state, c->nstate)) < c->nstate)
        return errorf(err, errlen, "optimizer value %llu of %llu is %g: the state is not usable",
                      (unsigned long long)bad, (unsigned long long)c->nstate, c->state[bad]);
    return 0;
}

int ckpt_parse(const uint8_t *buf, size_t len, checkpoint *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    uint32_t version, crc;
    if (check_header(buf, len, &version, &crc, err, errlen) || check_crc(buf, len, crc, err, errlen))
        return -1;
    rbuf b = {buf, len, HEADER};
    if (decode(&b, version, c, err, errlen)) {
        ckpt_free(c);
        return -1;
    }
    return 0;
}

/* Reads exactly n bytes at the descriptor's position; 0, or -1 with errno set (EIO: the file
 * ended early). */
static int read_exact(int fd, uint8_t *p, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            errno = r == 0 ? EIO : errno;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

/* The header first: a file that is not a checkpoint, or whose length disagrees with it, is
 * refused before the rest is read. */
static int load_fd(int fd, checkpoint *c, char *why, size_t len)
{
    struct stat st;
    if (fstat(fd, &st))
        return errorf(why, len, "cannot read: %s", strerror(errno));
    size_t n = (size_t)st.st_size, head = n < HEADER ? n : HEADER;
    uint8_t *buf = xmalloc(HEADER);
    uint32_t version, crc;
    int rc = read_exact(fd, buf, head) ? errorf(why, len, "cannot read: %s", strerror(errno))
             : check_header(buf, n, &version, &crc, why, len);
    if (rc == 0) {
        buf = realloc(buf, n);
        if (!buf)
            die("out of host memory for a checkpoint of %zu bytes", n);
        rc = read_exact(fd, buf + HEADER, n - HEADER)
                 ? errorf(why, len, "cannot read: %s", strerror(errno))
                 : ckpt_parse(buf, n, c, why, len);
    }
    free(buf);
    return rc;
}

int ckpt_load(const char *path, checkpoint *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    char why[512];
    int fd = open_regular(path, why, sizeof why);
    if (fd < 0)
        return errorf(err, errlen, "%s: %s", path, why);
    int rc = load_fd(fd, c, why, sizeof why);
    close(fd);
    if (rc)
        errorf(err, errlen, "checkpoint %s: %s", path, why);
    return rc;
}

void ckpt_free(checkpoint *c)
{
    free(c->params);
    free(c->state);
    free(c->names);
    c->params = c->state = NULL;
    c->names = NULL;
}
