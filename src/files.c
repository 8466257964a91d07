/* files.c: regular-file reads, atomic writes, output checks, locks and the exit list (files.h). */
#define _DEFAULT_SOURCE
#include "clnet/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clnet/util.h"

/* ---- the exit list ---- */

#define EXIT_SLOTS 256
static char exit_path[EXIT_SLOTS][PATH_BUF];
static _Atomic int exit_kind[EXIT_SLOTS]; /* 0 free, 1 file, 2 folder; lock-free: a handler reads it */

static void exit_add(const char *path, int kind)
{
    static int registered;
    if (!registered)
        registered = atexit(exit_cleanup) == 0;
    if (strlen(path) >= PATH_BUF)
        die("%s: a path too long to remove at exit", path);
    for (int i = 0; i < EXIT_SLOTS; i++)
        if (!atomic_load(&exit_kind[i])) {
            memcpy(exit_path[i], path, strlen(path) + 1);
            atomic_store_explicit(&exit_kind[i], kind, memory_order_release); /* path first */
            return;
        }
    die("%s: more than %d files and folders of this run to remove at exit", path, EXIT_SLOTS);
}

static void exit_forget(const char *path)
{
    for (int i = 0; i < EXIT_SLOTS; i++)
        if (atomic_load(&exit_kind[i]) && !strcmp(exit_path[i], path))
            atomic_store(&exit_kind[i], 0);
}

void exit_cleanup(void)
{
    for (int i = EXIT_SLOTS - 1; i >= 0; i--) {
        int kind = atomic_exchange_explicit(&exit_kind[i], 0, memory_order_acquire);
        if (kind == 1)
            unlink(exit_path[i]);
        else if (kind == 2)
            rmdir(exit_path[i]);
    }
}

/* ---- reading ---- */

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "is a folder, not a regular file"
           : S_ISFIFO(m) ? "is a FIFO, not a regular file"
           : S_ISCHR(m) || S_ISBLK(m) ? "is a device, not a regular file"
           : S_ISSOCK(m) ? "is a socket, not a regular file" : "is not a regular file";
}

int open_regular(const char *path, char *why, size_t len)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errorf(why, len, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        errorf(why, len, "%s", fstat(fd, &st) ? "cannot open: fstat failed" : kind_of(st.st_mode));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int check_folder(const char *path, char *why, size_t len)
{
    struct stat st;
    if (stat(path, &st))
        return errorf(why, len, "%s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return errorf(why, len, "is not a folder");
    return 0;
}

uint8_t *read_file(const char *path, size_t limit, size_t *n, char *why, size_t len)
{
    int fd = open_regular(path, why, len);
    if (fd < 0)
        return NULL;
    struct stat st; /* the buffer starts at the file's size: one read, no copies, when it holds */
    size_t cap = fstat(fd, &st) == 0 && st.st_size > 0 && (size_t)st.st_size <= limit
                     ? (size_t)st.st_size + 1 : 1 << 14;
    uint8_t *buf = xmalloc(cap + 1);
    int fail = 0;
    *n = 0;
    for (ssize_t got; (got = read(fd, buf + *n, cap - *n)) != 0;) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || (*n += (size_t)got) > limit) {
            fail = got < 0 ? errno : EFBIG;
            break;
        }
        if (*n == cap) {
            uint8_t *bigger = realloc(buf, (cap *= 2) + 1);
            if (!bigger)
                die("out of host memory reading %s", path);
            buf = bigger;
        }
    }
    close(fd);
    if (fail) {
        if (fail == EFBIG)
            errorf(why, len, "%s (clnet reads at most %zu bytes of it)", strerror(EFBIG), limit);
        else
            errorf(why, len, "cannot read it: %s", strerror(fail));
        free(buf);
        return NULL;
    }
    buf[*n] = '\0';
    return buf;
}

char *read_text(const char *path, size_t limit, char *why, size_t len)
{
    size_t n;
    return (char *)read_file(path, limit, &n, why, len);
}

/* ---- writing ---- */

/* The folder of path, fsync'd so a rename in it survives a crash. */
static void sync_parent(const char *path)
{
    char dir[PATH_BUF];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int temp_name(const char *path, char *tmp, size_t len)
{
    if (snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid()) >= (int)len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* The temporary written, then (unless own says path is no longer replaceable) renamed over it. */
static int write_renamed(const char *path, const void *data, size_t len, int durable, own_kind own)
{
    char tmp[PATH_BUF + 32];
    if (temp_name(path, tmp, sizeof tmp))
        return -1;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, len, f) == len && fflush(f) == 0 && (!durable || fsync(fileno(f)) == 0);
    int e = errno;
    ok = fclose(f) == 0 && ok;
    if (ok && own && !file_replaceable(path, own)) { /* checked last, just before the rename */
        remove(tmp);
        errno = EEXIST;
        return -2;
    }
    if (ok && rename(tmp, path) == 0) {
        if (durable)
            sync_parent(path);
        return 0;
    }
    e = errno ? errno : e;
    remove(tmp);
    errno = e;
    return -1;
}

int write_file_atomic(const char *path, const void *data, size_t len, int durable)
{
    return write_renamed(path, data, len, durable, NULL);
}

int write_file_replacing(const char *path, const void *data, size_t len, int durable,
                         own_kind own)
{
    return write_renamed(path, data, len, durable, own);
}

int mkdir_new(const char *path)
{
    if (mkdir(path, 0777))
        return -1;
    exit_add(path, 2);
    return 0;
}

static int make_dir(const char *path)
{
    return mkdir_new(path) == 0 || errno == EEXIST ? 0 : -1;
}

int mkdir_p(const char *path)
{
    char buf[PATH_BUF];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (make_dir(buf))
            return -1;
        *p = '/';
    }
    return make_dir(buf);
}

/* ---- outputs ---- */

/* Splits path into its folder and its last part (both into caller buffers of PATH_BUF). */
static void split_path(const char *path, char *dir, char *base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, PATH_BUF, ".");
        snprintf(base, PATH_BUF, "%s", path);
    } else {
        snprintf(dir, PATH_BUF, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        snprintf(base, PATH_BUF, "%s", slash + 1);
    }
}

/* Removes path.tmp.<pid> files of processes that no longer exist (runs killed mid-write). */
static void remove_stale_temps(const char *path)
{
    char dir[PATH_BUF], base[PATH_BUF], full[2 * PATH_BUF + 8];
    split_path(path, dir, base);
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t n = strlen(base);
    for (struct dirent *e; (e = readdir(d));) {
        const char *tail = e->d_name + n;
        if (strncmp(e->d_name, base, n) || strncmp(tail, ".tmp.", 5) || !tail[5] ||
            strspn(tail + 5, "0123456789") != strlen(tail + 5))
            continue;
        long pid = strtol(tail + 5, NULL, 10);
        if (pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
            unlink(full);
        }
    }
    closedir(d);
}

/* Writes a small temporary beside path and removes it: the folder exists, is writable and has
 * room for a first block. */
static int test_write(const char *path, char *why, size_t len)
{
    char tmp[PATH_BUF + 32], block[4096] = {0}; /* a first block of the file to come */
    if (temp_name(path, tmp, sizeof tmp))
        return errorf(why, len, "%s", strerror(errno));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errorf(why, len, "cannot write there: %s", strerror(errno));
    int ok = write(fd, block, sizeof block) == (ssize_t)sizeof block && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    e = ok ? 0 : errno ? errno : e;
    unlink(tmp);
    return ok ? 0 : errorf(why, len, "cannot write there: %s", strerror(e));
}

int check_output_file(const char *path, own_kind own, const char *kind, char *why, size_t len)
{
    if (!*path)
        return errorf(why, len, "empty file name");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return errorf(why, len, "%s", kind_of(st.st_mode));
        uint8_t head[OWN_HEAD];
        int fd = open_regular(path, why, len);
        if (fd < 0)
            return -1;
        ssize_t n = read(fd, head, sizeof head);
        close(fd);
        if (n < 0)
            return errorf(why, len, "cannot read it: %s", strerror(errno));
        if (n > 0 && !own(head, (size_t)n))
            return errorf(why, len, "exists and is not a %s; clnet replaces only its own files "
                          "(remove it or choose another name)", kind);
    } else if (errno != ENOENT) {
        return errorf(why, len, "%s", strerror(errno));
    }
    remove_stale_temps(path);
    return test_write(path, why, len);
}

int file_replaceable(const char *path, own_kind own)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT;
    uint8_t head[OWN_HEAD];
    char why[256];
    int fd = S_ISREG(st.st_mode) ? open_regular(path, why, sizeof why) : -1;
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    return n == 0 || (n > 0 && own(head, (size_t)n));
}

int same_file(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

int abs_path(const char *path, char *out, size_t len)
{
    char buf[PATH_MAX], dir[PATH_BUF], base[PATH_BUF];
    if (realpath(path, buf))
        return snprintf(out, len, "%s", buf) < (int)len ? 0 : -1;
    split_path(path, dir, base);
    if (!strcmp(dir, path) || abs_path(dir, out, len))
        return -1;
    if (!*base || !strcmp(base, "."))
        return 0;
    char *last = strrchr(out, '/');
    if (!strcmp(base, "..")) {
        if (last)
            *(last == out ? last + 1 : last) = '\0';
        return 0;
    }
    size_t n = strlen(out);
    return snprintf(out + n, len - n, "%s%s", n && out[n - 1] == '/' ? "" : "/", base) <
           (int)(len - n) ? 0 : -1;
}

int path_inside(const char *path, const char *dir)
{
    char p[PATH_MAX + 256], d[PATH_MAX + 256];
    if (abs_path(path, p, sizeof p) || abs_path(dir, d, sizeof d))
        return 0;
    size_t n = strlen(d);
    return !strncmp(p, d, n) && (p[n] == '/' || p[n] == '\0' || (n == 1 && d[0] == '/'));
}

/* ---- locks ---- */

#define LOCK_TEXT "clnet lock: pid "

static long lock_pid(int fd)
{
    char buf[64] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    size_t k = strlen(LOCK_TEXT);
    return strncmp(buf, LOCK_TEXT, k) ? -1 : strtol(buf + k, NULL, 10);
}

/* One try: -1 failed (why set), -2 the file was replaced or probed meanwhile (try again), else
 * the fd. */
static int lock_once(const char *path, int last, char *why, size_t len)
{
    int created = 1;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
        created = 0, fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errorf(why, len, "cannot create the lock file %s: %s", path, strerror(errno));
    struct stat a, b;
    int rc = -1;
    if (fstat(fd, &a) || !S_ISREG(a.st_mode)) {
        errorf(why, len, "the lock file %s is not a regular file", path);
    } else if (flock(fd, LOCK_EX | LOCK_NB)) {
        int e = errno;
        long pid = lock_pid(fd);
        if (e == EWOULDBLOCK && !last)
            rc = -2; /* lock_holder's look takes a moment: try again before naming a holder */
        else if (e == EWOULDBLOCK && pid > 0)
            errorf(why, len, "in use by another clnet run (pid %ld)", pid);
        else
            errorf(why, len, "cannot lock %s: %s", path,
                   e == EWOULDBLOCK ? "another process holds it" : strerror(e));
    } else if (stat(path, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        rc = -2; /* its holder removed it as we opened it */
    } else if (a.st_size > 0 && lock_pid(fd) < 0) {
        errorf(why, len, "%s exists and is not a clnet lock file (remove it)", path);
    } else {
        char text[64];
        int n = snprintf(text, sizeof text, LOCK_TEXT "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)n, 0) == n) {
            exit_add(path, 1);
            return fd;
        }
        errorf(why, len, "cannot write the lock file %s: %s", path, strerror(errno));
        if (created) /* only while holding it: another run's lock is never removed */
            unlink(path);
    }
    close(fd);
    return rc;
}

int lock_take(const char *path, char *why, size_t len)
{
    for (int tries = 0; tries < 50; tries++) {
        int fd = lock_once(path, tries == 49, why, len);
        if (fd != -2)
            return fd;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return errorf(why, len, "cannot lock %s: it keeps being replaced", path);
}

long lock_holder(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long pid = 0;
    if (flock(fd, LOCK_SH | LOCK_NB))
        pid = errno == EWOULDBLOCK ? lock_pid(fd) : 0;
    close(fd); /* also releases the shared lock */
    return pid;
}

void lock_drop(int fd, const char *path)
{
    if (fd < 0)
        return;
    unlink(path); /* while holding it: a run waiting on this file sees it replaced and retries */
    exit_forget(path);
    close(fd);
}

int cache_dir(char *path, size_t len)
{
    const char *dir = getenv("CLNET_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    const char *var = dir && *dir ? "CLNET_CACHE_DIR" : xdg && *xdg ? "XDG_CACHE_HOME"
                      : home && *home ? "HOME" : NULL;
    if (!var)
        return -1;
    if (strlen(getenv(var)) > CLNET_PATH_MAX)
        die("$%s is longer than %d characters", var, CLNET_PATH_MAX);
    int n = dir && *dir ? snprintf(path, len, "%s", dir)
            : xdg && *xdg ? snprintf(path, len, "%s/clnet", xdg)
                          : snprintf(path, len, "%s/.cache/clnet", home);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* ---- folders ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **folder_entries(const char *dir, int *n, char *err, size_t len)
{
    DIR *d = opendir(dir);
    if (!d) {
        errorf(err, len, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    int cap = 64;
    char **e = xmalloc((size_t)cap * sizeof *e);
    *n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.') /* ., .. and hidden files such as .DS_Store */
            continue;
        if (*n == cap && !(e = realloc(e, (size_t)(cap *= 2) * sizeof *e)))
            die("out of host memory listing %s", dir);
        e[(*n)++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(e, (size_t)*n, sizeof *e, by_name);
    return e;
}

void folder_entries_free(char **e, int n)
{
    for (int i = 0; i < n; i++)
        free(e[i]);
    free(e);
}
