/* confusion.c: per-class results from the test labels and the predicted classes. */
#include "clnet/confusion.h"

#include <stdlib.h>
#include <string.h>

#include "clnet/util.h"

static int by_count(const void *a, const void *b)
{
    const confusion_pair *x = a, *y = b;
    if (x->n != y->n)
        return y->n - x->n;
    return x->truth != y->truth ? x->truth - y->truth : x->pred - y->pred;
}

static int by_key(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void confusion_count(confusion *c, const uint16_t *labels, const int *pred, int count,
                     int classes)
{
    memset(c, 0, sizeof *c);
    c->classes = classes, c->count = count;
    c->total = xcalloc((size_t)classes, sizeof(int));
    c->right = xcalloc((size_t)classes, sizeof(int));
    if (classes <= CONFUSION_IMAGE_MAX)
        c->matrix = xcalloc((size_t)classes * classes, sizeof(int));
    uint32_t *wrong = xmalloc((size_t)(count ? count : 1) * sizeof *wrong); /* true << 16 | pred */
    int nwrong = 0;
    for (int i = 0; i < count; i++) {
        int t = labels[i], p = pred[i];
        c->total[t]++;
        if (c->matrix)
            c->matrix[t * classes + p]++;
        if (t == p)
            c->right[t]++, c->right_total++;
        else
            wrong[nwrong++] = (uint32_t)t << 16 | (uint32_t)p;
    }
    qsort(wrong, (size_t)nwrong, sizeof *wrong, by_key);
    c->pairs = xmalloc((size_t)(nwrong ? nwrong : 1) * sizeof *c->pairs);
    for (int i = 0; i < nwrong; i++) {
        if (i && wrong[i] == wrong[i - 1]) {
            c->pairs[c->npairs - 1].n++;
            continue;
        }
        c->pairs[c->npairs++] = (confusion_pair){(int)(wrong[i] >> 16), (int)(wrong[i] & 0xffff), 1};
    }
    qsort(c->pairs, (size_t)c->npairs, sizeof *c->pairs, by_count);
    free(wrong);
}

void confusion_free(confusion *c)
{
    free(c->total);
    free(c->right);
    free(c->pairs);
    free(c->matrix);
    memset(c, 0, sizeof *c);
}

static double share(int right, int total)
{
    return total ? 100.0 * right / total : 0.0;
}

static const confusion *sorting; /* worst_first's comparison reads it (one thread here) */

static int by_accuracy(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    double sx = share(sorting->right[x], sorting->total[x]);
    double sy = share(sorting->right[y], sorting->total[y]);
    return sx != sy ? (sx > sy) - (sx < sy) : x - y;
}

/* The classes that have test images, worst accuracy first (ties by number), their count in *n. */
static int *worst_first(const confusion *c, int *n)
{
    int *k = xmalloc((size_t)c->classes * sizeof *k);
    *n = 0;
    for (int i = 0; i < c->classes; i++)
        if (c->total[i])
            k[(*n)++] = i;
    sorting = c;
    qsort(k, (size_t)*n, sizeof *k, by_accuracy);
    return k;
}

static void print_class(FILE *out, const confusion *c, const dataset *d, int k)
{
    char num[256];
    fprintf(out, "  %5d  %-20s %7.2f%%  %d of %d\n", k, dataset_class_name(d, k, num, sizeof num),
            share(c->right[k], c->total[k]), c->right[k], c->total[k]);
}

static void print_matrix(FILE *out, const confusion *c)
{
    fprintf(out, "confusion matrix (rows: the true class, columns: the predicted class):\n      ");
    for (int p = 0; p < c->classes; p++)
        fprintf(out, " %5d", p);
    fprintf(out, "\n");
    for (int t = 0; t < c->classes; t++) {
        fprintf(out, "%5d ", t);
        for (int p = 0; p < c->classes; p++)
            fprintf(out, " %5d", c->matrix[t * c->classes + p]);
        fprintf(out, "\n");
    }
}

void confusion_print(FILE *out, const confusion *c, const dataset *d)
{
    int *order = NULL, shown = c->classes;
    if (c->classes > CONFUSION_LIST_MAX) {
        int tested;
        order = worst_first(c, &tested);
        shown = tested < CONFUSION_TOP ? tested : CONFUSION_TOP;
        fprintf(out, "test accuracy per class, the %d worst of the %d with test images (%d "
                "classes):\n", shown, tested, c->classes);
    } else {
        fprintf(out, "test accuracy per class:\n");
    }
    for (int i = 0; i < shown; i++)
        print_class(out, c, d, order ? order[i] : i);
    free(order);
    if (c->matrix && c->classes <= CONFUSION_PRINT_MAX) {
        print_matrix(out, c);
        return;
    }
    char a[256], b[256];
    fprintf(out, "most frequent confusions (true class -> predicted: images):%s\n",
            c->npairs ? "" : " none");
    for (int i = 0; i < c->npairs && i < CONFUSION_TOP; i++)
        fprintf(out, "  %s -> %s: %d\n", dataset_class_name(d, c->pairs[i].truth, a, sizeof a),
                dataset_class_name(d, c->pairs[i].pred, b, sizeof b), c->pairs[i].n);
}

/* An ASCII rendering of a class name for the image's bitmap font ('?' for other bytes). */
static void ascii_name(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++)
        buf[n++] = (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?';
    buf[n] = '\0';
}

canvas confusion_canvas(const confusion *c, const dataset *d)
{
    int K = c->classes, cell = 600 / K < 8 ? 8 : 600 / K > 48 ? 48 : 600 / K;
    int left = 48, top = 56, names_w = K <= 40 ? 260 : 0;
    int w = left + K * cell + 24 + names_w, min_w = 440; /* the second title line */
    canvas cv = canvas_new(w > min_w ? w : min_w, top + K * cell + 32);
    rgb ink = {40, 40, 40};
    draw_text(&cv, 8, 8, "confusion matrix", 2, ink);
    draw_text(&cv, 8, 32, "rows: the true class; columns: the predicted class; shade: the share "
              "of the row", 1, ink);
    for (int t = 0; t < K; t++) {
        for (int p = 0; p < K; p++) {
            int n = c->matrix[t * K + p];
            double f = c->total[t] ? (double)n / c->total[t] : 0.0;
            uint8_t v = (uint8_t)(255 - 215 * f);
            rgb col = t == p ? (rgb){v, (uint8_t)(255 - 120 * f), v} /* green on the diagonal */
                             : (rgb){255, v, v};                    /* red off it */
            fill_rect(&cv, left + p * cell, top + t * cell, cell - 1, cell - 1, col);
            char num[16];
            snprintf(num, sizeof num, "%d", n);
            if (n && cell >= 24 && text_width(num, 1) < cell - 2)
                draw_text(&cv, left + p * cell + 2, top + t * cell + cell / 2 - 4, num, 1, ink);
        }
        char num[16];
        snprintf(num, sizeof num, "%d", t);
        if (cell >= 12 || t % 10 == 0) {
            draw_text(&cv, left - text_width(num, 1) - 4, top + t * cell + cell / 2 - 4, num, 1, ink);
            draw_text(&cv, left + t * cell + 1, top + K * cell + 4, num, 1, ink);
        }
    }
    for (int k = 0; names_w && k < K; k++) {
        char name[40], num[256], line[64];
        ascii_name(dataset_class_name(d, k, num, sizeof num), name, sizeof name);
        snprintf(line, sizeof line, "%d %s", k, name);
        draw_text(&cv, left + K * cell + 16, top + k * cell + cell / 2 - 4, line, 1, ink);
    }
    return cv;
}
