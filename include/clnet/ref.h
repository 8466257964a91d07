/* ref.h: plain-C reference implementations (direct loops, double accumulation) in the layouts of
 * ops.h: whole tensors for small shapes, single elements for sampling big ones. Host only. */
#ifndef CLNET_REF_H
#define CLNET_REF_H

#include <stddef.h>
#include <stdint.h>

#include "clnet/geom.h"
#include "clnet/stats.h"

/* One element each: output (k, b, oy, ox); input gradient (c, b, y, x) from dz; weight gradient
 * (k, c, ky, kx); bias gradient k. x (C, n, H, W), w (K, C, KH, KW), dz (K, n, OH, OW). */
double ref_conv_out(const float *x, const float *w, const float *b, const conv_geom *g, int n,
                    int k, int bi, int oy, int ox);
double ref_conv_dx(const float *dz, const float *w, const conv_geom *g, int n, int c, int bi, int y,
                   int x);
double ref_conv_dw(const float *dz, const float *x, const conv_geom *g, int n, int k, int c, int ky,
                   int kx);
double ref_conv_db(const float *dz, const conv_geom *g, int n, int k);

/* Direct convolution, channel-major (C, n, H, W) in, (K, n, OH, OW) out, W (K, C, KH, KW). */
void ref_conv_forward(float *z, const float *x, const float *w, const float *b, const conv_geom *g,
                      int n);
void ref_maxpool_forward(float *out, const float *in, const pool_geom *g, int n);
void ref_avgpool_forward(float *out, const float *in, const pool_geom *g, int n);
void ref_pad_forward(float *out, const float *in, int planes, int H, int W, int OH, int OW,
                     int top, int left);
void ref_dense_forward(float *z, const float *x, const float *w, const float *b, int n, int F, int K);
/* Per-example loss and probabilities; returns the mean loss. */
double ref_softmax_xent(float *probs, const float *logits, const uint8_t *labels, int n, int K,
                        int *correct);

/* Statistics of x[0..n) in double (count, le0, nonfinite, min, max, mean, std; not the range). */
void ref_hist_stats(hist_stats *s, const float *x, size_t n);
/* Counts the finite values of x[0..n) into nbins bins: (int)((v - lo) * scale) in float, clamped
 * to [0, nbins-1], the same operations as the device. */
void ref_hist_bins(uint32_t *bins, const float *x, size_t n, float lo, float scale, int nbins);

#endif
