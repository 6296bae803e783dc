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
// writing anything, or -1 when done.
int64_t max_pool_backward(const float* dy, const int32_t* argmax, const WindowGeom& g, float* dx);

// x[N,C,H,W] -> y[N,C,OH,OW] = window sum / (KH*KW)
void avg_pool_forward(const float* x, const WindowGeom& g, float* y);

// dy[N,C,OH,OW] -> dx[N,C,H,W] (overwritten): each window's real elements get dy / (KH*KW)
void avg_pool_backward(const float* dy, const WindowGeom& g, float* dx);

}  // namespace simdnet
