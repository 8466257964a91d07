/* files.h: every file clnet reads or writes goes through these helpers.
 *
 * Reading: a path is opened only if it is a regular file (opened without blocking, then checked),
 * so a FIFO, a device or a folder in its place is refused with a reason instead of hanging the
 * run. Writing: a temporary file beside the target, renamed over it; an existing target is
 * replaced only if it is clnet's own kind (check_output_file), and that is checked, with a test
 * write, before any work. Locks (flock) keep two runs off one output. What a run made that must
 * not outlive a failure (its lock files, and folders it created while they are still empty) is
 * removed at exit, also after die(). */
#ifndef CLNET_FILES_H
#define CLNET_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Opens path for reading if it is a regular file: returns the descriptor, or -1 with the reason
 * in why, worded to follow "PATH: " ("cannot open: No such file or directory", "is a folder, not
 * a regular file", "is a FIFO, not a regular file", ...). */
int open_regular(const char *path, char *why, size_t len);
/* 0 if path is a folder, else -1 with the reason in why. */
int check_folder(const char *path, char *why, size_t len);
/* The entries of a folder that do not start with '.' (., .. and hidden files such as
 * .DS_Store), sorted bytewise, their count in *n: free with folder_entries_free. NULL with
 * "DIR: reason" in err when it cannot be listed. */
char **folder_entries(const char *dir, int *n, char *err, size_t len);
void folder_entries_free(char **e, int n);
/* The whole of a regular file as a NUL-terminated string of at most limit bytes (the caller frees
 * it), or NULL with the reason in why. */
char *read_text(const char *path, size_t limit, char *why, size_t len);
/* The same for any bytes: *n of them (the buffer is NUL-terminated beyond them too). */
uint8_t *read_file(const char *path, size_t limit, size_t *n, char *why, size_t len);

/* Whether the first bytes of an existing file (at most OWN_HEAD) show it is the kind an output
 * writes, e.g. a checkpoint's magic number. */
typedef int (*own_kind)(const uint8_t *head, size_t n);
#define OWN_HEAD 64

/* Writes len bytes to path through a temporary file in the same folder (path.tmp.<pid>) renamed
 * over it, so a reader never sees a partial file and a failure leaves no file behind. durable:
 * the file is fsync'd before the rename and the folder after it, so a crash at any moment leaves
 * the old file or the new one. Returns 0, or -1 with errno set. */
int write_file_atomic(const char *path, const void *data, size_t len, int durable);
/* The same for a file written again and again (a checkpoint): the rename happens only if path
 * is still absent, empty or of own's kind (checked just before it); -2 otherwise (nothing
 * replaced, the temporary removed). */
int write_file_replacing(const char *path, const void *data, size_t len, int durable,
                         own_kind own);

/* Creates path and every missing folder above it; 0, or -1 with errno set. The folders it creates
 * are removed again at exit if they are still empty then. */
int mkdir_p(const char *path);
/* Creates the folder path, which must not exist (EEXIST otherwise), likewise removed at exit if
 * still empty. */
int mkdir_new(const char *path);

/* Checks, before any work, that path can take an output: a name, not a folder or any other
 * non-regular file, absent or empty or of own's kind (kind names it in the reason), and room to
 * write beside it (a small temporary is written and removed). Removes temporaries beside it that
 * killed runs left. 0, or -1 with the reason in why. */
int check_output_file(const char *path, own_kind own, const char *kind, char *why, size_t len);
/* 1 if path may be replaced now: absent, empty or of own's kind (the check before each rename
 * of a file written more than once, e.g. every checkpoint). */
int file_replaceable(const char *path, own_kind own);
/* 1 if a and b name the same existing file. */
int same_file(const char *a, const char *b);
/* path made absolute, symbolic links resolved as far as its parts exist (the rest appended as
 * written, "." and ".." applied); 0, or -1 if it does not fit in len. */
int abs_path(const char *path, char *out, size_t len);
/* 1 if path is dir or lies inside it (symbolic links resolved where the parts exist). */
int path_inside(const char *path, const char *dir);

/* Takes the lock file path (created if missing; it then holds "clnet lock: pid N"): returns its
 * descriptor, held until lock_drop or exit, or -1 with the reason in why ("in use by another clnet
 * run (pid N)" while another process holds it). The file is removed by lock_drop and at exit. */
int lock_take(const char *path, char *why, size_t len);
/* The pid of the process holding the lock file path, -1 if one does but its pid is unreadable,
 * 0 if none does. */
long lock_holder(const char *path);
void lock_drop(int fd, const char *path);

/* Removes what the exit list holds, newest first: lock files, and the folders mkdir_p created if
 * they are empty. Async-signal-safe (a second signal calls it); atexit runs it too. */
void exit_cleanup(void);
/* clnet's cache folder: $CLNET_CACHE_DIR, else $XDG_CACHE_HOME/clnet, else ~/.cache/clnet (not
 * created here). 0, or -1 when none of them is set. */
int cache_dir(char *path, size_t len);

#endif
