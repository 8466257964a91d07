/* confusion.h: per-class test results: accuracy per class, the confusion matrix (counts of
 * true class x predicted class) and the most frequent confusions, for the terminal, the report
 * and its image. Host only. */
#ifndef CLNET_CONFUSION_H
#define CLNET_CONFUSION_H

#include <stdint.h>
#include <stdio.h>

#include "clnet/data.h"
#include "clnet/plot.h"

#define CONFUSION_PRINT_MAX 20   /* classes the terminal shows the whole matrix for */
#define CONFUSION_IMAGE_MAX 100  /* classes the report draws the matrix for */
#define CONFUSION_LIST_MAX 100   /* classes listed one by one; beyond, the worst ones */
#define CONFUSION_TOP 10         /* confusions (and worst classes) listed beyond those */

typedef struct {
    int truth, pred, n;
} confusion_pair;

typedef struct {
    int classes, count, right_total;
    int *total, *right;      /* per true class */
    confusion_pair *pairs;   /* every (true, predicted) pair that occurred wrongly, most first */
    int npairs;
    int *matrix;             /* classes x classes (row: true) when classes <= CONFUSION_IMAGE_MAX */
} confusion;

/* Counts count (label, predicted class) pairs, each below classes. */
void confusion_count(confusion *c, const uint16_t *labels, const int *pred, int count,
                     int classes);
void confusion_free(confusion *c);
/* Per-class accuracy with the names of d (numbers if it has none), then the matrix (up to
 * CONFUSION_PRINT_MAX classes) or the most frequent confusions. */
void confusion_print(FILE *out, const confusion *c, const dataset *d);
/* The matrix as an image (needs c->matrix): cells shaded by the share of their row, counts in
 * the cells that have room, class numbers on both axes and the names beside. */
canvas confusion_canvas(const confusion *c, const dataset *d);

#endif
