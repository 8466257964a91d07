/* flags.c: the parser and --help of flag tables (flags.h), and the checks of every kind of
 * value. */
#define _POSIX_C_SOURCE 200809L
#include "clnet/flags.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clnet/util.h"

#define HELP_COL 20   /* where the help text of a row starts */
#define HELP_WIDTH 96 /* the widest line --help writes */

/* ---- the checks ---- */

long flag_long(const char *name, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || (errno && errno != ERANGE))
        die_status(EXIT_USAGE, "%s '%s': not an integer", name, s);
    if (errno == ERANGE || v < min || v > max)
        die_status(EXIT_USAGE, "%s %s: must be between %ld and %ld", name, s, min, max);
    return v;
}

static double number(const char *name, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end)
        die_status(EXIT_USAGE, "%s '%s': not a number", name, s);
    if (errno == ERANGE)
        die_status(EXIT_USAGE, "%s %s: out of range (%s for a number)", name, s,
                   fabs(v) < 1 ? "too close to 0" : "too large");
    return v;
}

/* The device computes in 32-bit floats: a value that passes as a double but not as the float it
 * becomes (0.99999999999 is 1.0, 1e-50 is 0) is refused. */
static void check_float(const char *name, const char *s, double v, double hi, int hi_in)
{
    float f = (float)v;
    if (v > 0 && f < FLT_MIN)
        die_status(EXIT_USAGE, "%s %s: too small for the 32-bit floats the device computes in "
                   "(the smallest is %g)", name, s, FLT_MIN);
    if (!hi_in && f >= hi)
        die_status(EXIT_USAGE, "%s %s: must be below %g, and as the 32-bit float the device "
                   "computes with it is %.9g", name, s, hi, f);
}

double flag_positive(const char *name, const char *s, double max)
{
    double v = number(name, s);
    if (!isfinite(v) || v <= 0 || v > max)
        die_status(EXIT_USAGE, "%s %s: must be a number above 0 and at most %g", name, s, max);
    check_float(name, s, v, max, 1);
    return v;
}

double flag_range(const char *name, const char *s, double lo, double hi, int hi_in)
{
    double v = number(name, s);
    if (!isfinite(v) || v < lo || v > hi || (!hi_in && v == hi))
        die_status(EXIT_USAGE, "%s %s: must be at least %g and %s %g", name, s, lo,
                   hi_in ? "at most" : "below", hi);
    check_float(name, s, v, hi, hi_in);
    return v;
}

const char *flag_path(const char *name, const char *s, const char *kind)
{
    if (!*s)
        die_status(EXIT_USAGE, "%s: empty %s name", name, kind);
    if (strlen(s) > CLNET_PATH_MAX)
        die_status(EXIT_USAGE, "%s: a %s name of %zu characters; at most %d", name, kind,
                   strlen(s), CLNET_PATH_MAX);
    return s;
}

/* ---- the setters ---- */

void set_string(const flag *f, const char *v, void *to)
{
    (void)f;
    *(const char **)to = v;
}

void set_file(const flag *f, const char *v, void *to)
{
    *(const char **)to = flag_path(f->name, v, "file");
}

void set_folder(const flag *f, const char *v, void *to)
{
    *(const char **)to = flag_path(f->name, v, "folder");
}

void set_long(const flag *f, const char *v, void *to)
{
    *(long *)to = flag_long(f->name, v, (long)f->lo, (long)f->hi);
}

void set_int(const flag *f, const char *v, void *to)
{
    *(int *)to = (int)flag_long(f->name, v, (long)f->lo, (long)f->hi);
}

void set_positive(const flag *f, const char *v, void *to)
{
    *(double *)to = flag_positive(f->name, v, f->hi);
}

void set_positive_f(const flag *f, const char *v, void *to)
{
    *(float *)to = (float)flag_positive(f->name, v, f->hi);
}

void set_below_f(const flag *f, const char *v, void *to)
{
    *(float *)to = (float)flag_range(f->name, v, f->lo, f->hi, 0);
}

void set_share(const flag *f, const char *v, void *to)
{
    double x = flag_range(f->name, v, 0, 1, 0);
    if (x <= 0)
        die_status(EXIT_USAGE, "%s %s: must be above 0 and below 1", f->name, v);
    *(double *)to = x;
}

void set_within_f(const flag *f, const char *v, void *to)
{
    *(float *)to = (float)flag_range(f->name, v, f->lo, f->hi, 1);
}

/* "a, b or c" into buf. */
static const char *choice_list(const char *const *c, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; c[i]; i++) {
        size_t n = strlen(buf);
        snprintf(buf + n, len - n, "%s%s", i == 0 ? "" : c[i + 1] ? ", " : " or ", c[i]);
    }
    return buf;
}


void set_choice(const flag *f, const char *v, void *to)
{
    for (int i = 0; f->choices[i]; i++)
        if (!strcmp(v, f->choices[i])) {
            memcpy(to, &i, sizeof i);
            return;
        }
    char list[256];
    die_status(EXIT_USAGE, "%s '%s': expected %s", f->name, v, choice_list(f->choices, list,
                                                                           sizeof list));
}

void set_on(const flag *f, const char *v, void *to)
{
    (void)f, (void)v;
    *(int *)to = 1;
}

void set_off(const flag *f, const char *v, void *to)
{
    (void)f, (void)v;
    *(int *)to = 0;
}

void set_seed(const flag *f, const char *v, void *to)
{
    char *end;
    errno = 0;
    unsigned long long s = isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
    /* strtoull would skip blanks and take " -1" as 2^64 - 1 */
    if (!isdigit((unsigned char)*v) || *end || errno)
        die_status(EXIT_USAGE, "%s '%s': must be an integer from 0 to %llu", f->name, v,
                   (unsigned long long)UINT64_MAX);
    *(uint64_t *)to = (uint64_t)s;
}

void set_size(const flag *f, const char *v, void *to)
{
    const char *x = strchr(v, 'x');
    char w[32];
    if (!x || x == v || (size_t)(x - v) >= sizeof w)
        die_status(EXIT_USAGE, "%s '%s': not WIDTHxHEIGHT (such as 32x32)", f->name, v);
    snprintf(w, sizeof w, "%.*s", (int)(x - v), v);
    int *wh = to;
    wh[0] = (int)flag_long(f->name, w, (long)f->lo, (long)f->hi);
    wh[1] = (int)flag_long(f->name, x + 1, (long)f->lo, (long)f->hi);
}

void set_input(const flag *f, const char *v, void *to)
{
    int *whc = to;
    char w[32], h[32];
    const char *x1 = strchr(v, 'x'), *x2 = x1 ? strchr(x1 + 1, 'x') : NULL;
    if (!x1 || !x2 || x1 == v || x2 == x1 + 1 || (size_t)(x1 - v) >= sizeof w ||
        (size_t)(x2 - x1 - 1) >= sizeof h)
        die_status(EXIT_USAGE, "%s '%s': not WIDTHxHEIGHTxCHANNELS (such as 32x32x3)", f->name, v);
    snprintf(w, sizeof w, "%.*s", (int)(x1 - v), v);
    snprintf(h, sizeof h, "%.*s", (int)(x2 - x1 - 1), x1 + 1);
    whc[0] = (int)flag_long(f->name, w, (long)f->lo, (long)f->hi);
    whc[1] = (int)flag_long(f->name, h, (long)f->lo, (long)f->hi);
    whc[2] = (int)flag_long(f->name, x2 + 1, 1, 4);
}

void set_augment(const flag *f, const char *v, void *to)
{
    int *fp = to; /* flip, pad */
    fp[0] = fp[1] = 0;
    char word[64];
    for (const char *s = v; *s;) {
        size_t n = strcspn(s, ",");
        if (n == 0 || n >= sizeof word)
            die_status(EXIT_USAGE, "%s '%s': not a list of flip and crop:P", f->name, v);
        snprintf(word, sizeof word, "%.*s", (int)n, s);
        if (!strcmp(word, "flip") && !fp[0])
            fp[0] = 1;
        else if (!strncmp(word, "crop:", 5) && !fp[1]) {
            char *end;
            errno = 0;
            long p = strtol(word + 5, &end, 10);
            if (errno || end == word + 5 || *end || p < 1 || p > (long)f->hi)
                die_status(EXIT_USAGE, "%s '%s': the padding P of crop:P is a whole number of "
                           "pixels, 1..%d", f->name, v, (int)f->hi);
            fp[1] = (int)p;
        } else
            die_status(EXIT_USAGE, "%s '%s': '%s' is not flip or crop:P (P, the padding in "
                       "pixels, 1..%d), or it is given twice", f->name, v, word, (int)f->hi);
        s += n + (s[n] == ',');
        if (s[-1] == ',' && !*s)
            die_status(EXIT_USAGE, "%s '%s': ends with a comma", f->name, v);
    }
    if (!fp[0] && !fp[1])
        die_status(EXIT_USAGE, "%s: give flip, crop:P or both (flip,crop:4)", f->name);
}

/* ---- parsing ---- */

/* The row named a, and its group, or NULL. */
static const flag *find(const command *c, const char *a, const flag_group **group)
{
    for (int g = 0; g < c->ngroups; g++)
        for (const flag *f = c->groups[g].rows; f->name; f++)
            if (!strcmp(f->name, a)) {
                *group = &c->groups[g];
                return f;
            }
    return NULL;
}

int flags_parse(const command *c, int argc, char **argv, int first, void *opts,
                const void *defaults)
{
    return flags_parse_args(c, argc, argv, first, opts, defaults, NULL, NULL);
}

int flags_parse_args(const command *c, int argc, char **argv, int first, void *opts,
                     const void *defaults, char **args, int *nargs)
{
    int only_args = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (args && (only_args || a[0] != '-' || !a[1])) {
            args[(*nargs)++] = argv[i];
            continue;
        }
        if (args && !strcmp(a, "--")) {
            only_args = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            flags_help(c, stdout, defaults);
            return 1;
        }
        const flag_group *g;
        const flag *f = find(c, a, &g);
        if (!f)
            die_status(EXIT_USAGE, "unknown flag '%s' (see clnet %s --help)", a, c->name);
        if (f->arg && i + 1 >= argc)
            die_status(EXIT_USAGE, "%s needs a value (see clnet %s --help)", a, argv[1]);
        f->set(f, f->arg ? argv[++i] : NULL, (char *)opts + g->base + f->off);
    }
    return 0;
}

/* ---- --help ---- */

/* The default of row f as --help shows it ("" for none), from the defaults of its group. */
static const char *shown(const flag *f, const void *group_defaults, char *buf, size_t len)
{
    if (f->shown)
        return f->shown;
    const void *at = (const char *)group_defaults + f->off;
    buf[0] = '\0';
    if (f->set == set_long)
        snprintf(buf, len, "%ld", *(const long *)at);
    else if (f->set == set_int)
        snprintf(buf, len, "%d", *(const int *)at);
    else if (f->set == set_positive)
        snprintf(buf, len, "%g", *(const double *)at);
    else if (f->set == set_positive_f || f->set == set_below_f || f->set == set_within_f)
        snprintf(buf, len, "%g", *(const float *)at);
    else if (f->set == set_seed)
        snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)at);
    else if (f->set == set_choice)
        snprintf(buf, len, "%s", f->choices[*(const int *)at]);
    else if ((f->set == set_string || f->set == set_file || f->set == set_folder) &&
             *(const char *const *)at)
        snprintf(buf, len, "%s", *(const char *const *)at);
    return buf;
}

/* One row: "  --name ARG" in a column, then its help lines, the default after the last. */
static void help_row(FILE *out, const flag *f, const char *dflt)
{
    char left[64];
    snprintf(left, sizeof left, "%s%s%s", f->name, f->arg ? " " : "", f->arg ? f->arg : "");
    /* a name that fills the column gets three spaces before its help, as it reads best */
    int col = strlen(left) < HELP_COL - 3 ? fprintf(out, "  %-*s ", HELP_COL - 3, left)
                                          : fprintf(out, "  %s   ", left);
    const char *line = f->help;
    for (;;) {
        size_t n = strcspn(line, "\n");
        col += fprintf(out, "%.*s", (int)n, line);
        if (!line[n])
            break;
        fprintf(out, "\n%*s", HELP_COL, "");
        col = HELP_COL;
        line += n + 1;
    }
    if (*dflt && col + 3 + (int)strlen(dflt) > HELP_WIDTH)
        fprintf(out, "\n%*s[%s]", HELP_COL, "", dflt);
    else if (*dflt)
        fprintf(out, " [%s]", dflt);
    fputc('\n', out);
}

void flags_help(const command *c, FILE *out, const void *defaults)
{
    fprintf(out, "usage: clnet %s %s\n\n%s\n", c->name, c->usage_args ? c->usage_args : "[FLAGS]",
            c->about);
    for (int g = 0; g < c->ngroups; g++) {
        const flag_group *grp = &c->groups[g];
        if (grp->title)
            fprintf(out, "\n%s\n", grp->title);
        for (const flag *f = grp->rows; f->name; f++) {
            char buf[256];
            help_row(out, f, shown(f, (const char *)defaults + grp->base, buf, sizeof buf));
        }
    }
    fprintf(out, "  %-*s show this text\n", HELP_COL - 3, "--help");
    if (c->after)
        fprintf(out, "\n%s", c->after);
}
