/* export.h: clnet export: a checkpoint's network as an ONNX model (opset 13, IR version 7) that
 * ONNX Runtime runs with clnet eval's results. Input "image": (N, C, H, W) floats, the pixels
 * / 255 as clnet reads them; the checkpoint's --normalize (if any) is the first two nodes (Sub,
 * Div); then Pad, Conv + Relu, MaxPool / AveragePool, Flatten (clnet's (c, y, x) order is
 * ONNX's), Gemm (+ Relu) per layer. Outputs "logits" (N, classes) and "probabilities" (their
 * Softmax). metadata_props: "classes" (the class names, one per line), "clnet_version",
 * "clnet_spec", "normalized". */
#ifndef CLNET_EXPORT_H
#define CLNET_EXPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *model;   /* the checkpoint */
    const char *onnx;    /* where the model goes */
    int force;           /* replace an existing file */
    const char *version; /* clnet's, into the metadata */
} export_opts;

int export_run(const export_opts *o);

/* The ONNX model of a checkpoint in memory (caller frees *out); exits on a bad checkpoint. */
void export_model(const char *model_path, const char *version, uint8_t **out, size_t *len);

#endif
