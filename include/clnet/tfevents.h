/* tfevents.h: a TensorBoard event file (events.out.tfevents.<time>.<host>.clnet) in a run
 * folder: TFRecord framing (length, masked CRC-32C of the length, the record, masked CRC-32C
 * of the record) around Event protobufs (proto/tensorboard.proto, encoded by protobuf-c).
 * Every record goes to the file in one write() as it is made, so a live TensorBoard follows
 * the run and a run killed at any point leaves whole records (a reader stops at a torn one).
 * After the first failed write the file is closed and nothing more is written. */
#ifndef CLNET_TFEVENTS_H
#define CLNET_TFEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/stats.h"

typedef struct {
    int open;      /* writing (a zeroed struct is a writer that was never opened) */
    int fd;
    char *path;
    int failed;    /* the file could not be made or written (the reason is in err) */
    char err[256];
} tfevents;

/* Creates dir/events.out.tfevents.<seconds>.<host>.clnet (never over an existing file) and
 * writes its version record. Returns 0, or -1 with the reason in w->err (w->failed set). */
int tfevents_open(tfevents *w, const char *dir);
void tfevents_close(tfevents *w);
/* Each returns 0, or -1 when the record could not be written (a writer never opened, or closed
 * by a failure, writes nothing and returns 0, resp. -1). */
int tfevents_scalar(tfevents *w, long step, const char *tag, double value);
/* A histogram of clnet's capture: the finite values' count, min, max, sum and sum of squares
 * (from s), and its bins of equal width from s->lo (the first and last also hold the values
 * clamped into them, as clnet counts them) from the first to the last non-empty one, the last
 * ending at the maximum. */
int tfevents_histogram(tfevents *w, long step, const char *tag, const hist_stats *s,
                       const uint32_t *bins, int nbins);
/* A text summary (TensorBoard's text plugin renders it as Markdown). */
int tfevents_text(tfevents *w, long step, const char *tag, const char *text);

/* The record framing alone (for the tests too): rec holds the n bytes of a record at rec + 12;
 * fills its 12-byte header and 4-byte trailer. */
void tfrecord_frame(uint8_t *rec, size_t n);

#endif
