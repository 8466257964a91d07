/* flags.h: command-line flags from tables. A command is a list of groups, each a titled list of
 * rows, one row per flag: its name, the word for its value, its help text, where the value goes
 * and how it is checked. The same rows drive the parser, --help (with each default taken from
 * the command's defaults) and the test that every documented flag is accepted. Adding a flag is
 * one row (and its use). */
#ifndef CLNET_FLAGS_H
#define CLNET_FLAGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct flag flag;
/* Checks value (NULL for a switch) and stores it at to (the row's field); exits 2 naming the flag
 * when the value is bad. */
typedef void (*flag_set)(const flag *f, const char *value, void *to);

struct flag {
    const char *name;           /* "--batch"; NULL ends a group's rows */
    const char *arg;            /* "N", or NULL for a switch */
    const char *help;           /* lines joined by '\n' */
    flag_set set;
    size_t off;                 /* offsetof the field in the group's struct */
    double lo, hi;              /* the range of a number */
    const char *const *choices; /* set_choice: the words, NULL-terminated */
    const char *shown;          /* the default as --help shows it; NULL: read from the
                                   defaults by the setter's type; "": none shown */
};

typedef struct {
    const char *title;          /* "flags (default in brackets):"; NULL: go on the last one */
    const flag *rows;
    size_t base;                /* offsetof the group's struct in the command's options */
} flag_group;

typedef struct {
    const char *name;           /* "train", "study init": as in "see clnet NAME --help" */
    const char *about;          /* the paragraph under the usage line */
    const flag_group *groups;
    int ngroups;
    const char *after;          /* text after the flags, or NULL */
    const char *usage_args;     /* after "clnet NAME": "[FLAGS]" unless set */
} command;

/* Parses argv[first..argc) into opts (starting as defaults, which --help shows). Returns 1 when
 * --help was given and printed (the command then exits 0), else 0. */
int flags_parse(const command *c, int argc, char **argv, int first, void *opts,
                const void *defaults);
/* The same for a command that also takes words (file names): each argument that is not a flag
 * (does not start with '-', or comes after "--") goes into args (argc entries of room), counted
 * in *nargs (set to 0 by the caller). */
int flags_parse_args(const command *c, int argc, char **argv, int first, void *opts,
                     const void *defaults, char **args, int *nargs);
void flags_help(const command *c, FILE *out, const void *defaults);

/* Setters for flag.set (the field's type in brackets). */
void set_string(const flag *f, const char *v, void *to);      /* const char *, any text */
void set_file(const flag *f, const char *v, void *to);        /* const char *, a file name */
void set_folder(const flag *f, const char *v, void *to);      /* const char *, a folder name */
void set_long(const flag *f, const char *v, void *to);        /* long in [lo, hi] */
void set_int(const flag *f, const char *v, void *to);         /* int in [lo, hi] */
void set_positive(const flag *f, const char *v, void *to);    /* double in (0, hi] */
void set_positive_f(const flag *f, const char *v, void *to);  /* float in (0, hi] */
void set_below_f(const flag *f, const char *v, void *to);     /* float in [lo, hi) */
void set_within_f(const flag *f, const char *v, void *to);    /* float in [lo, hi] */
void set_share(const flag *f, const char *v, void *to);       /* double in (0, 1) */
void set_choice(const flag *f, const char *v, void *to);      /* int (or an enum): an index */
void set_on(const flag *f, const char *v, void *to);          /* int: 1 */
void set_off(const flag *f, const char *v, void *to);         /* int: 0 */
void set_seed(const flag *f, const char *v, void *to);        /* uint64_t */
void set_size(const flag *f, const char *v, void *to);        /* int[2]: WxH, each in [lo, hi] */
void set_augment(const flag *f, const char *v, void *to);     /* int[2]: flip, crop pad <= hi */
void set_input(const flag *f, const char *v, void *to);       /* int[3]: WxHxC, W, H in [lo, hi] */

/* The checks behind the setters, for a command's own: each returns the value or exits 2 with a
 * message naming the flag. */
long flag_long(const char *name, const char *s, long min, long max);
double flag_positive(const char *name, const char *s, double max);
double flag_range(const char *name, const char *s, double lo, double hi, int hi_in);
const char *flag_path(const char *name, const char *s, const char *kind);

#endif
