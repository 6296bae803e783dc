// Max and average pooling per channel on NCHW float arrays, parallel over the N*C planes.
// Max: padding reads as -inf and the first maximum (row-major window order) wins; argmax is the flat index
// into x, so a window must hold at least one real element (pad < KH and pad < KW; the binding checks).
// Average: padding counts as zeros, every window divides by KH*KW.
#pragma once
#include <cstdint>

#include "core/im2col.h"

namespace simdnet {

// x[N,C,H,W] -> y[N,C,OH,OW], argmax[N*C*OH*OW] (flat index into x; N*C*H*W <= INT32_MAX)
void max_pool_forward(const float* x, const WindowGeom& g, float* y, int32_t* argmax);

// dy[N,C,OH,OW], argmax -> dx[N,C,H,W] (overwritten): dx[argmax[i]] += dy[i].
// Checks every argmax first: returns the position i of the first argmax[i] outside [0, N*C*H*W) without
// writing anything, or -1 when done. argmax may change while this runs (shared memory): every write still lands
// inside dx (a changed index is re-checked where it is used, and its gradient dropped if out of place).
int64_t max_pool_backward(const float* dy, const int32_t* argmax, const WindowGeom& g, float* dx);

// The book's 2x2 window, stride 2, no padding, one plane at a time (a scalar reference and an AVX2 tier,
// in the tier tables of kernels.h; both bit-identical). Plane x[H, W], OH = H/2, OW = W/2;
// `base` is the plane's offset in the batch (argmax values are base + index in the plane).
struct MaxPool2x2Kernels {
  const char* name;
  // x[H,W] -> y[OH,OW], argmax[OH,OW]: strict '>' in window order (a, b / c, d), the first maximum wins.
  void (*forward)(const float* x, int64_t W, int64_t OH, int64_t OW, float* y, int32_t* argmax, int32_t base);
  // dy[OH,OW], argmax[OH,OW] -> dx[H,W], the whole plane overwritten: each window's argmax element gets
  // dy + 0 (the sum 0 + dy of the scatter path: -0 becomes +0), the rest of dx 0. Contract: every argmax is
  // one of its own window's four elements (the caller checks; see max_pool_2x2_in_window).
  void (*backward)(const float* dy, const int32_t* argmax, int64_t H, int64_t W, int64_t OH, int64_t OW, float* dx,
                   int32_t base);
};
void max_pool_2x2_forward_ref(const float* x, int64_t W, int64_t OH, int64_t OW, float* y, int32_t* argmax,
                              int32_t base);
void max_pool_2x2_backward_ref(const float* dy, const int32_t* argmax, int64_t H, int64_t W, int64_t OH, int64_t OW,
                               float* dx, int32_t base);
extern const MaxPool2x2Kernels max_pool_2x2_kernels_ref;
// native/kernels/x86/pool_avx2.cpp: 8 windows per step (even/odd lanes split by shuffles), scalar tails.
void max_pool_2x2_forward_avx2(const float* x, int64_t W, int64_t OH, int64_t OW, float* y, int32_t* argmax,
                               int32_t base);
void max_pool_2x2_backward_avx2(const float* dy, const int32_t* argmax, int64_t H, int64_t W, int64_t OH, int64_t OW,
                                float* dx, int32_t base);
extern const MaxPool2x2Kernels max_pool_2x2_kernels_avx2;
// Whether every argmax[OH,OW] of a plane is one of its own 2x2 window's elements.
bool max_pool_2x2_in_window(const int32_t* argmax, int64_t W, int64_t OH, int64_t OW, int32_t base);

// x[N,C,H,W] -> y[N,C,OH,OW] = window sum / (KH*KW)
void avg_pool_forward(const float* x, const WindowGeom& g, float* y);

// dy[N,C,OH,OW] -> dx[N,C,H,W] (overwritten): each window's real elements get dy / (KH*KW)
void avg_pool_backward(const float* dy, const WindowGeom& g, float* dx);

}  // namespace simdnet
