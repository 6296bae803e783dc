// Fused convolution (the book's Convolution layer, common/layers.py) on NCHW float arrays.
// Images are split over the thread pool; per image the window is unrolled into colT[C*KH*KW, OH*OW]
// (im2col.h, in bands of output rows that stay in cache) and multiplied with the filters by sgemm.
// Workspaces are per thread and only grow: no allocation per call once warm.
#pragma once
#include <cstdint>

#include "core/im2col.h"

namespace simdnet {

// x[N,C,H,W], w[F, C*KH*KW], b[F] -> y[N,F,OH,OW] = conv(x, w) + b, or with `relu` max(0, conv(x, w) + b)
// (v > 0 ? v : 0, as the Relu layer computes it) applied per image while y is still in cache.
// `r` (nullable, [N,F,OH,OW], not overlapping y): a residual added before the ReLU, y = relu?(conv(x, w) + b + r)
// (inference of a residual block's last convolution, its shortcut sum and the ReLU after it), per image while y
// is in cache, by the elementwise add and ReLU kernels: bit-identical to conv_forward, then the Add and Relu
// layers' ops. Every forward path (direct, im2col, whole-pool GEMMs) honours it.
// Returns false (y partly written) only when a workspace cannot be allocated.
bool conv_forward(const float* x, const float* w, const float* b, const WindowGeom& g, int64_t F, float* y,
                  bool relu = false, const float* r = nullptr);

// Inference: conv_forward (with its residual r, nullable) where it is not Winograd's, and Winograd F(4x4, 3x3) where
// winograd_fwd_applies (winograd.h; ConvPlan::inference says "winograd"): there within its rounding, not bit-identical,
// the residual added and the ReLU applied per image after it as in conv_forward. Returns false only when a workspace
// cannot be allocated.
bool conv_forward_inference(const float* x, const float* w, const float* b, const WindowGeom& g, int64_t F, float* y,
                            bool relu, const float* r);

// x[N,C,H,W] -> z[N,F,PH,PW] = max_pool(conv(x, w) + b (ReLU'd when `relu`)) over the window `pool`
// (its KH, KW, stride, pad; N, C, H, W are ignored: the pool reads the convolution's output [F, OH, OW]). Where the
// direct forward applies and the window is the book's 2x2 stride 2, each image's convolution output stays in a
// per-thread buffer (in cache) and is pooled from there: the full y is never written or read back; elsewhere
// conv_forward into a workspace, then max_pool_forward. Bit-identical to those two calls (the same kernels per
// image). `argmax` (nullable: inference drops it): max_pool_forward's argmax [N*F*PH*PW] (flat indices into the
// unwritten y), for training's conv_backward_max_pool. At inference (no argmax) the convolution takes Winograd
// F(4x4, 3x3) where it applies (winograd.h; ConvPlan::inference says "winograd"): there not bit-identical but within
// its rounding error. Returns false only when a workspace cannot be allocated.
bool conv_forward_max_pool(const float* x, const float* w, const float* b, const WindowGeom& g, int64_t F, bool relu,
                           const WindowGeom& pool, float* z, int32_t* argmax = nullptr);

// Inference of two convolutions then a max pool (a VGG block): z = max_pool(conv2(conv1(x))) with conv2 over g2
// (N = g1.N, C = F1, H = g1.OH, W = g1.OW; the caller checks) and the pool as in conv_forward_max_pool. Where the
// direct forward applies to both and the window is 2x2 stride 2, each image runs through both convolutions and the
// pool in per-thread buffers (in cache); elsewhere conv_forward into a workspace, then conv_forward_max_pool.
// Bit-identical to the three ops except where a convolution takes Winograd (as in conv_forward_max_pool). Returns
// false only when a workspace cannot be allocated.
bool conv2_forward_max_pool(const float* x, const float* w1, const float* b1, const WindowGeom& g1, int64_t F1,
                            bool relu1, const float* w2, const float* b2, const WindowGeom& g2, int64_t F2, bool relu2,
                            const WindowGeom& pool, float* z);

// dy[N,F,OH,OW], x[N,C,H,W], w[F, C*KH*KW] -> dw[F, C*KH*KW], db[F] (overwritten), dx[N,C,H,W]
// (overwritten; skipped when null). `y` (nullable): the fused-ReLU output of conv_forward; when given the
// gradient is taken through the ReLU, dy_eff = y > 0 ? dy : 0 (masked per image into a workspace; dy is
// not written). dw/db sum per-task partials in a fixed order: deterministic for a given thread count.
// Returns false only when a workspace cannot be allocated.
bool conv_backward(const float* dy, const float* x, const float* w, const WindowGeom& g, int64_t F, float* dx,
                   float* dw, float* db, const float* y = nullptr);

// Training, a convolution (its ReLU fused when `relu`) read only by a max pool with the window `pool` (its KH, KW,
// stride, pad; N, C, H, W are ignored: the pool reads the convolution's output [N, F, OH, OW]): the gradients of
// conv_backward for dy = max_pool_backward(relu ? (z > 0 ? dz : 0) : dz, argmax), with dz, argmax (flat indices into
// the convolution's output) and z (the pool's output) [N, F, PH, PW]. When z is the pool's output over the
// (ReLU'd) y, that is bit for bit conv_backward(max_pool_backward(dz, argmax), x, w, g, F, dx, dw, db, relu ? y :
// null): the pool's backward folded into the convolution's (conv_pool_grad.cpp); y is not read. For the 2x2
// stride-2 window each image's dy stays in cache; other windows go through a workspace. Returns -1 when done, -2
// when a workspace cannot be allocated, else the position i of the first argmax[i] outside [0, N*F*OH*OW)
// (dw, db not written; dx may be partly written).
int64_t conv_backward_max_pool(const float* dz, const int32_t* argmax, const float* z, const float* x, const float* w,
                               const WindowGeom& g, int64_t F, bool relu, const WindowGeom& pool, float* dx, float* dw,
                               float* db);

// Which path each part of a convolution takes under the active ISA and thread count (for tests and the
// benchmark's breakdown): "direct" (conv_direct.h: no unrolled columns), "strided" (conv_strided.h: stride > 1,
// the direct kernels over the phases of the input, or of dx), "im2col" (unrolled columns + SGEMM),
// "gemm" (1x1: SGEMM on the image itself), "col2im" (dx = col2im(W^T dy)), "none" (no dx asked for). `inference`:
// the forward of the inference ops (conv_forward_max_pool, conv2_forward_max_pool with a 2x2 stride-2 pool):
// "winograd" (winograd.h) where it applies, else `forward`.
struct ConvPlan {
  const char* forward;
  const char* weight_grad;
  const char* input_grad;
  const char* inference;
};
ConvPlan conv_plan(const WindowGeom& g, int64_t F, bool need_dx);

}  // namespace simdnet
