/* geom.c: convolution and pooling shapes (geom.h). */
#include "clnet/geom.h"

conv_geom conv_make(int C, int H, int W, int K, int KH, int KW, int pad, int stride)
{
    conv_geom g = {C, H, W, K, KH, KW, pad, stride, 0, 0, CONV_AUTO};
    g.OH = (H + 2 * pad - KH) / stride + 1;
    g.OW = (W + 2 * pad - KW) / stride + 1;
    return g;
}

pool_geom pool_make(int C, int H, int W, int size, int stride)
{
    pool_geom g = {C, H, W, size, stride, 0, 0};
    g.OH = (H - size) / stride + 1;
    g.OW = (W - size) / stride + 1;
    return g;
}
