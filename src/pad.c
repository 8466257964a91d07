/* pad.c: zero padding forward and its crop backward (layout in ops.h). */
#include "clnet/ops.h"

static void pad_launch(clrt *rt, enum kernel_id id, cl_mem src, size_t src_off, cl_mem dst,
                       size_t dst_off, int H, int W, int OH, int OW, int top, int left,
                       size_t items)
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
    karg_int(k, 8, (int)src_off);
    karg_int(k, 9, (int)dst_off);
    clrt_launch(rt, id, items, 0);
}

void pad_forward(clrt *rt, cl_mem out, cl_mem in, int planes, int H, int W, int OH, int OW,
                 int top, int left)
{
    pad_planes(rt, out, 0, in, 0, planes, H, W, OH, OW, top, left);
}

void pad_planes(clrt *rt, cl_mem out, size_t out_off, cl_mem in, size_t in_off, int planes,
                int H, int W, int OH, int OW, int top, int left)
{
    pad_launch(rt, K_pad_forward, in, in_off, out, out_off, H, W, OH, OW, top, left,
               (size_t)planes * OH);
}

void crop_planes(clrt *rt, cl_mem out, size_t out_off, cl_mem in, size_t in_off, int planes,
                 int H, int W, int IH, int IW, int top, int left)
{
    pad_launch(rt, K_pad_backward, in, in_off, out, out_off, H, W, IH, IW, top, left,
               (size_t)planes * H);
}

void pad_backward(clrt *rt, cl_mem din, cl_mem dout, int planes, int H, int W, int OH, int OW,
                  int top, int left)
{
    crop_planes(rt, din, 0, dout, 0, planes, H, W, OH, OW, top, left);
}

static void crop_fused(clrt *rt, enum kernel_id id, cl_mem grid, size_t grid_off, cl_mem out0,
                       cl_mem out1, int planes, int H, int W, int IH, int IW)
{
    cl_kernel k = rt->kernels[id];
    karg_mem(k, 0, grid);
    karg_mem(k, 1, out0);
    karg_mem(k, 2, out1);
    karg_int(k, 3, H);
    karg_int(k, 4, W);
    karg_int(k, 5, IH);
    karg_int(k, 6, IW);
    karg_int(k, 7, (int)grid_off);
    clrt_launch(rt, id, (size_t)planes * H, 0);
}

void crop_relu(clrt *rt, cl_mem z, cl_mem a, cl_mem grid, size_t grid_off, int planes, int H,
               int W, int IH, int IW)
{
    crop_fused(rt, K_crop_relu, grid, grid_off, z, a, planes, H, W, IH, IW);
}

void crop_relu_backward(clrt *rt, cl_mem dx, cl_mem z, cl_mem grid, size_t grid_off, int planes,
                        int H, int W, int IH, int IW)
{
    crop_fused(rt, K_crop_relu_backward, grid, grid_off, dx, z, planes, H, W, IH, IW);
}
