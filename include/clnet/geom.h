/* geom.h: the shapes of convolutions and pools, on the host (the --arch parser, the plain-C
 * references and the ops all use them; nothing here touches a device). */
#ifndef CLNET_GEOM_H
#define CLNET_GEOM_H

/* How a convolution's GEMMs run: clnet's own kernel (gemm.cl, built for CPUs), CLBlast (for
 * GPUs), or auto: tiled on CPU devices, CLBlast elsewhere (gemm.h: gemm_device_algo). */
enum conv_algo { CONV_AUTO, CONV_TILED, CONV_CLBLAST };

typedef struct {
    int C, H, W;          /* input channels and size */
    int K, KH, KW;        /* filters and their size */
    int pad, stride;
    int OH, OW;           /* output size */
    enum conv_algo algo;  /* CONV_AUTO from conv_make */
} conv_geom;

typedef struct {
    int C, H, W;          /* input */
    int size, stride;     /* window and step (2, 2 for 2x2/2) */
    int OH, OW;           /* output */
} pool_geom;

conv_geom conv_make(int C, int H, int W, int K, int KH, int KW, int pad, int stride);
pool_geom pool_make(int C, int H, int W, int size, int stride);

#endif
