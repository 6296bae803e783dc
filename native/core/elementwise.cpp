// Scalar reference kernels (elementwise_kernels_ref) and the threaded drivers of the dense, activation, loss and
// dropout ops. Baseline x86-64; the AVX2 table is in native/kernels/x86/elementwise_avx2.cpp.
#include "core/elementwise.h"

#include <cmath>
#include <vector>

#include "core/kernels.h"
#include "core/rng.h"

namespace simdnet {
namespace {

// ---- reference kernels -------------------------------------------------------------------------------------------

void add_ref(float* y, const float* b, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] += b[i];
}

void axpy_ref(float a, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

void scale_ref(const float* x, float s, float* y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = s * x[i];
}

void col_sum_ref(const float* x, size_t rows, size_t cols, size_t ld, double* acc) {
  for (size_t r = 0; r < rows; r++) {
    const float* row = x + r * ld;
    for (size_t c = 0; c < cols; c++) acc[c] += row[c];
  }
}

void act_fwd_ref(Act kind, const float* x, float* y, size_t n, float alpha) {
  switch (kind) {
    case Act::relu:
      for (size_t i = 0; i < n; i++) y[i] = x[i] <= 0.0f ? 0.0f : x[i];
      break;
    case Act::leaky_relu:
      for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
      break;
    case Act::sigmoid:
      for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
      break;
    case Act::tanh:
      for (size_t i = 0; i < n; i++) y[i] = std::tanh(x[i]);
      break;
  }
}

void act_bwd_ref(Act kind, const float* dy, const float* x, const float* y, float* dx, size_t n, float alpha) {
  switch (kind) {
    case Act::relu:
      for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case Act::leaky_relu:
      for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
      break;
    case Act::sigmoid:
      for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i]) * y[i];
      break;
    case Act::tanh:
      for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      break;
  }
}

float max_ref(const float* x, size_t n) {
  float m = x[0];
  for (size_t i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

double exp_sub_ref(const float* x, float m, float* y, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    y[i] = std::exp(x[i] - m);
    sum += y[i];
  }
  return sum;
}

void dropout_fwd_ref(const float* x, float* y, uint8_t* mask, size_t n, float ratio, float s, uint32_t base,
                     uint32_t first) {
  for (size_t i = 0; i < n; i++) {
    const bool keep = stream_uniform(base, first + static_cast<uint32_t>(i)) > ratio;
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i] * s : 0.0f;
  }
}

void mask_scale_ref(const float* dy, const uint8_t* mask, float s, float* dx, size_t n) {
  for (size_t i = 0; i < n; i++) dx[i] = mask[i] ? dy[i] * s : 0.0f;
}

void add_relu_ref(const float* a, const float* b, float* y, size_t n, bool relu) {
  for (size_t i = 0; i < n; i++) {
    const float v = a[i] + b[i];
    y[i] = relu && v <= 0.0f ? 0.0f : v;
  }
}

void relu_grad_sum_ref(const float* dy0, const float* dy1, const float* y, float* dx, size_t n) {
  if (dy1 == nullptr) {
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy0[i] : 0.0f;
  } else {
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy0[i] + dy1[i] : 0.0f;
  }
}

}  // namespace

const ElementwiseKernels elementwise_kernels_ref = {
    "reference", add_ref,     axpy_ref,    scale_ref,       col_sum_ref,    act_fwd_ref,       act_bwd_ref,
    max_ref,     exp_sub_ref, dropout_fwd_ref, mask_scale_ref, add_relu_ref, relu_grad_sum_ref,
};


// ---- drivers -------------------------------------------------------------------------------------------------------

void add_bias(float* y, const float* b, size_t rows, size_t cols) {
  if (rows == 0 || cols == 0) return;
  const ElementwiseKernels& k = *kernels().elementwise;
  // rows are the unit of work: chunk over rows (each row's elements see the same arithmetic anywhere)
  const size_t total = rows * cols;
  if (total < kParallelMin || threads() <= 1 || rows == 1) {
    for (size_t r = 0; r < rows; r++) k.add(y + r * cols, b, cols);
    return;
  }
  parallel_for(rows, grain_for(rows), [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) k.add(y + r * cols, b, cols);
  });
}

void sum_rows(const float* x, size_t rows, size_t cols, float* out) {
  if (cols == 0) return;
  const ElementwiseKernels& k = *kernels().elementwise;
  std::vector<double> acc(cols, 0.0);
  const size_t total = rows * cols;
  if (total < kParallelMin || threads() <= 1) {
    k.col_sum(x, rows, cols, cols, acc.data());
  } else if (cols >= 1024) {
    // wide: each thread owns a column range (the result does not depend on the thread count)
    const size_t blocks = (cols + 15) / 16;
    const int tasks = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads()), blocks));
    parallel_run(
        [&](int ith, int nth) {
          size_t b, e;
          split_range(blocks, ith, nth, b, e);
          b *= 16;
          e = std::min(e * 16, cols);
          if (b < e) k.col_sum(x + b, rows, e - b, cols, acc.data() + b);
        },
        tasks);
  } else {
    // tall: each thread sums a row range into its own partial; partials are added in thread order
    const int tasks = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads()), rows));
    std::vector<double> part(static_cast<size_t>(tasks) * cols, 0.0);
    int used = 1;
    parallel_run(
        [&](int ith, int nth) {
          if (ith == 0) used = nth;
          size_t r0, r1;
          split_range(rows, ith, nth, r0, r1);
          if (r0 < r1) k.col_sum(x + r0 * cols, r1 - r0, cols, cols, part.data() + static_cast<size_t>(ith) * cols);
        },
        tasks);
    for (int t = 0; t < used; t++)
      for (size_t c = 0; c < cols; c++) acc[c] += part[static_cast<size_t>(t) * cols + c];
  }
  for (size_t c = 0; c < cols; c++) out[c] = static_cast<float>(acc[c]);
}

void activation_forward(Act kind, const float* x, float* y, size_t n, float alpha) {
  const ElementwiseKernels& k = *kernels().elementwise;
  for_each_chunk(n, [&](size_t b, size_t e) { k.act_fwd(kind, x + b, y + b, e - b, alpha); });
}

void activation_backward(Act kind, const float* dy, const float* x, const float* y, float* dx, size_t n,
                         float alpha) {
  const ElementwiseKernels& k = *kernels().elementwise;
  // relu/leaky read x, sigmoid/tanh read y; the unused one may be shorter than n, so it is not offset
  const bool uses_x = kind == Act::relu || kind == Act::leaky_relu;
  for_each_chunk(n, [&](size_t b, size_t e) {
    k.act_bwd(kind, dy + b, uses_x ? x + b : nullptr, uses_x ? nullptr : y + b, dx + b, e - b, alpha);
  });
}

void axpy(float a, const float* x, float* y, size_t n) {
  const ElementwiseKernels& k = *kernels().elementwise;
  for_each_chunk(n, [&](size_t b, size_t e) { k.axpy(a, x + b, y + b, e - b); });
}

void add_forward(const float* a, const float* b, bool relu, float* y, size_t n) {
  const ElementwiseKernels& k = *kernels().elementwise;
  for_each_chunk(n, [&](size_t s, size_t e) { k.add_relu(a + s, b + s, y + s, e - s, relu); });
}

void relu_backward_sum(const float* dy0, const float* dy1, const float* y, float* dx, size_t n) {
  const ElementwiseKernels& k = *kernels().elementwise;
  for_each_chunk(n, [&](size_t s, size_t e) {
    k.relu_grad_sum(dy0 + s, dy1 == nullptr ? nullptr : dy1 + s, y + s, dx + s, e - s);
  });
}

void scale(const float* x, float s, float* y, size_t n) {
  const ElementwiseKernels& k = *kernels().elementwise;
  for_each_chunk(n, [&](size_t b, size_t e) { k.scale(x + b, s, y + b, e - b); });
}

double softmax_cross_entropy(const float* logits, size_t N, size_t C, const int32_t* labels, const float* onehot,
                             float* probs, const float* weights) {
  if (N == 0 || C == 0) return 0.0;
  const ElementwiseKernels& k = *kernels().elementwise;
  // rows [r0, r1): probabilities, and the sum of their weighted losses in double
  auto rows_loss = [&](size_t r0, size_t r1) {
    double total = 0.0;
    for (size_t n = r0; n < r1; n++) {
      const float* x = logits + n * C;
      float* p = probs + n * C;
      const float m = k.max(x, C);
      const double sum = k.exp_sub(x, m, p, C);
      k.scale(p, static_cast<float>(1.0 / sum), p, C);
      const double lse = static_cast<double>(m) + std::log(sum);
      double row = 0.0;
      if (labels) {
        row = lse - x[labels[n]];
      } else {
        const float* t = onehot + n * C;
        for (size_t c = 0; c < C; c++)
          if (t[c] != 0.0f) row += static_cast<double>(t[c]) * (lse - x[c]);
      }
      total += weights ? static_cast<double>(weights[n]) * row : row;
    }
    return total;
  };
  double total = 0.0;
  if (N * C < kParallelMin || threads() <= 1 || N == 1) {
    total = rows_loss(0, N);
  } else {
    const int tasks = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads()), N));
    std::vector<double> part(static_cast<size_t>(tasks), 0.0);
    parallel_run(
        [&](int ith, int nth) {
          size_t r0, r1;
          split_range(N, ith, nth, r0, r1);
          part[static_cast<size_t>(ith)] = rows_loss(r0, r1);
        },
        tasks);
    for (double v : part) total += v;  // in thread order: deterministic for a given thread count
  }
  return total / static_cast<double>(N);
}

void softmax_cross_entropy_backward(const float* probs, size_t N, size_t C, const int32_t* labels,
                                    const float* onehot, float scale_, const float* weights, float* dx) {
  auto rows = [&](size_t r0, size_t r1) {
    for (size_t n = r0; n < r1; n++) {
      const float s = weights ? static_cast<float>(static_cast<double>(scale_) * weights[n]) : scale_;
      const float* p = probs + n * C;
      float* d = dx + n * C;
      if (labels) {
        for (size_t c = 0; c < C; c++) d[c] = p[c] * s;
        const size_t l = static_cast<size_t>(labels[n]);
        d[l] = (p[l] - 1.0f) * s;
      } else {
        const float* t = onehot + n * C;
        for (size_t c = 0; c < C; c++) d[c] = (p[c] - t[c]) * s;
      }
    }
  };
  if (N * C < kParallelMin || threads() <= 1 || N == 1) {
    rows(0, N);
    return;
  }
  parallel_for(N, grain_for(N), rows);
}

void dropout_forward(const float* x, float* y, uint8_t* mask, size_t n, float ratio, float scale_, uint32_t seed,
                     uint32_t counter) {
  const ElementwiseKernels& k = *kernels().elementwise;
  const uint32_t base = stream_base(seed, counter);
  for_each_chunk(n, [&](size_t b, size_t e) {
    k.dropout_fwd(x + b, y + b, mask + b, e - b, ratio, scale_, base, static_cast<uint32_t>(b));
  });
}

void dropout_backward(const float* dy, const uint8_t* mask, float scale_, float* dx, size_t n) {
  const ElementwiseKernels& k = *kernels().elementwise;
  for_each_chunk(n, [&](size_t b, size_t e) { k.mask_scale(dy + b, mask + b, scale_, dx + b, e - b); });
}

}  // namespace simdnet
