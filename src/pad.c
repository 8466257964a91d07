/* pad.c: zero padding forward and its crop backward (layout in ops.h). */
#include "clnet/ops.h"

static void pad_launch(clrt *rt, enum kernel_id id, cl_mem src, cl_mem dst, int H, int W, int OH,
                       int OW, int top, int left, size_t items)
{
    cl_kernel k = rt->kernels[id];
    karg_mem(k, 0, src);
    karg_mem(k, 1, dst);
    karg_int(k, 2, H);
    karg_int(k, 3, W);
    karg_int(k, 4, OH);
    karg_int(k, 5, OW);
    karg_int(k, 6, top);
    karg_int(k, 7, left);
    clrt_launch(rt, id, items, 0);
}

void pad_forward(clrt *rt, cl_mem out, cl_mem in, int planes, int H, int W, int OH, int OW,
                 int top, int left)
{
    pad_launch(rt, K_pad_forward, in, out, H, W, OH, OW, top, left, (size_t)planes * OH * OW);
}

void pad_backward(clrt *rt, cl_mem din, cl_mem dout, int planes, int H, int W, int OH, int OW,
                  int top, int left)
{
    pad_launch(rt, K_pad_backward, dout, din, H, W, OH, OW, top, left, (size_t)planes * H * W);
}
