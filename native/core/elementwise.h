// Dense, activation, loss and dropout ops on flat float arrays; the TypeScript oracle is
// lib/backend/ts/elementwise.ts (same semantics, float64 arithmetic there, float32 here).
//
// Kernel contract (ElementwiseKernels): contiguous spans of any length and alignment; every element goes through
// the same arithmetic whatever its position (vector tails are padded through a stack buffer, not done by a
// different scalar path), so a result never depends on where the thread split falls. Drivers take the
// active tier's table from kernels() (kernels.h).
//
// The drivers split large arrays (>= kParallelMin elements) over the thread pool in contiguous chunks.
// Elementwise results do not depend on the thread count; reductions (sum_rows, the softmax loss) are
// deterministic for a given thread count.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/ops_types.generated.h"
#include "core/threadpool.h"

namespace simdnet {

// Act (relu, sigmoid, tanh, leaky_relu): core/ops_types.generated.h, from native/ops.json.

struct ElementwiseKernels {
  const char* name;
  // y[i] += b[i]
  void (*add)(float* y, const float* b, size_t n);
  // y[i] += a·x[i]   (x may be y)
  void (*axpy)(float a, const float* x, float* y, size_t n);
  // y[i] = s·x[i]   (x may be y)
  void (*scale)(const float* x, float s, float* y, size_t n);
  // acc[c] += Σ_r x[r·ld + c] for c < cols, in double, r in order
  void (*col_sum)(const float* x, size_t rows, size_t cols, size_t ld, double* acc);
  // y = act(x) (x may be y). relu: x <= 0 ? +0 : x (NaN passes); leaky: x > 0 ? x : alpha·x;
  // sigmoid 1/(1 + e^−x); tanh.
  void (*act_fwd)(Act kind, const float* x, float* y, size_t n, float alpha);
  // dx = dy·act'(·) (dx may be dy). relu: x > 0 ? dy : 0; leaky: x > 0 ? dy : alpha·dy; sigmoid dy·(1 − y)·y;
  // tanh dy·(1 − y²).
  void (*act_bwd)(Act kind, const float* dy, const float* x, const float* y, float* dx, size_t n, float alpha);
  // max of x[0..n), n >= 1 (NaN-free input assumed; a NaN row yields NaN probabilities anyway)
  float (*max)(const float* x, size_t n);
  // y[i] = exp(x[i] − m); returns Σ y[i] accumulated in double
  double (*exp_sub)(const float* x, float m, float* y, size_t n);
  // mask[i] = stream_uniform(base, first + i) > ratio; y[i] = mask[i] ? x[i]·s : 0   (x may be y)
  void (*dropout_fwd)(const float* x, float* y, uint8_t* mask, size_t n, float ratio, float s, uint32_t base,
                      uint32_t first);
  // dx[i] = mask[i] ? dy[i]·s : 0   (dy may be dx)
  void (*mask_scale)(const float* dy, const uint8_t* mask, float s, float* dx, size_t n);
  // y[i] = a[i] + b[i], then relu: v <= 0 ? +0 : v (NaN passes)   (y may be a or b)
  void (*add_relu)(const float* a, const float* b, float* y, size_t n, bool relu);
  // dx[i] = y[i] > 0 ? dy0[i] + dy1[i] : 0, or dy0[i] where y > 0 when dy1 is null   (dx may be dy0 or dy1)
  void (*relu_grad_sum)(const float* dy0, const float* dy1, const float* y, float* dx, size_t n);
};

extern const ElementwiseKernels elementwise_kernels_ref;   // elementwise.cpp (scalar)
extern const ElementwiseKernels elementwise_kernels_avx2;  // native/kernels/x86/elementwise_avx2.cpp

// Below this many elements an op runs on the calling thread.
constexpr size_t kParallelMin = size_t(1) << 16;

// Runs f(begin, end) over [0, n) in contiguous chunks (multiples of 16 elements, so no two threads share a cache
// line of a float array), on the pool when n >= kParallelMin: about 4 chunks per thread of at least
// kParallelMin / 4 elements, claimed dynamically (threadpool.h), so a descheduled thread holds back one chunk.
template <typename F>
void for_each_chunk(size_t n, F&& f) {
  if (n < kParallelMin || threads() <= 1) {
    if (n > 0) f(size_t(0), n);
    return;
  }
  const size_t blocks = (n + 15) / 16;
  parallel_for(blocks, grain_for(blocks, kParallelMin / 4 / 16), [&](size_t b, size_t e) {
    b *= 16;
    e = std::min(e * 16, n);
    if (b < e) f(b, e);
  });
}

// ---- ops (shapes as in lib/backend/types.ts; sizes already checked by the binding) -----------------------------

// y[rows, cols] += b[cols] per row
void add_bias(float* y, const float* b, size_t rows, size_t cols);
// x[rows, cols] -> out[cols] = Σ_r x[r, c]   (double accumulation; deterministic for a given thread count)
void sum_rows(const float* x, size_t rows, size_t cols, float* out);
void activation_forward(Act kind, const float* x, float* y, size_t n, float alpha);
void activation_backward(Act kind, const float* dy, const float* x, const float* y, float* dx, size_t n, float alpha);
void axpy(float a, const float* x, float* y, size_t n);
// y = a + b (then the ReLU when relu): the Add layer's sum and the Relu after it in one pass (same bits)
void add_forward(const float* a, const float* b, bool relu, float* y, size_t n);
// dx = y > 0 ? dy0 + dy1 : 0 (dy1 may be null): a ReLU's backward taking the sum of its output's two gradients
void relu_backward_sum(const float* dy0, const float* dy1, const float* y, float* dx, size_t n);
void scale(const float* x, float s, float* y, size_t n);

// logits[N, C] -> probs[N, C], returns the mean over N of w_n·Σ_c −t_nc·log p_nc with the exact log-softmax
// (log p = x − max − log Σ exp(x − max); the book's +1e-7 inside the log is not used). Exactly one of labels
// (each in [0, C): the caller checks) and onehot[N, C] is non-null; weights[N] may be null.
double softmax_cross_entropy(const float* logits, size_t N, size_t C, const int32_t* labels, const float* onehot,
                             float* probs, const float* weights);
// dx[N, C] = (probs − t)·scale·(weights[n] or 1)
void softmax_cross_entropy_backward(const float* probs, size_t N, size_t C, const int32_t* labels,
                                    const float* onehot, float scale, const float* weights, float* dx);

// mask[i] = stream_uniform(stream_base(seed, counter), i) > ratio (core/rng.h); y = mask ? x·scale : 0
void dropout_forward(const float* x, float* y, uint8_t* mask, size_t n, float ratio, float scale, uint32_t seed,
                     uint32_t counter);
// dx = mask ? dy·scale : 0
void dropout_backward(const float* dy, const uint8_t* mask, float scale, float* dx, size_t n);

}  // namespace simdnet
