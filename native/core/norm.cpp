// Batch normalization drivers (contract in core/norm.h). Memory-bound: a training forward reads x twice and
// writes y once, backward reads dy, x (and y for the ReLU mask) twice and writes dx once. Each task walks its
// channels one at a time, so the second read of a channel's N rows comes from cache where they fit (a 100×28×28
// channel is 314 KB). Per-channel scalars are computed in double and the row kernels run in float.
#include "core/norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/elementwise.h"
#include "core/kernels.h"
#include "core/threadpool.h"

namespace simdnet {
namespace {

// Runs f(c0, c1) over channel ranges claimed over the pool, when the tensor is large and has several channels.
// Dense layouts (S = 1) keep per-range double statistics (4 doubles per channel): one range per thread, as many
// allocations as threads; S > 1 allocates nothing and claims small ranges.
template <typename F>
void for_channels(size_t total, size_t C, size_t S, F&& f) {
  if (total < kParallelMin || threads() <= 1 || C == 1) {
    f(size_t(0), C);
    return;
  }
  const size_t nth = static_cast<size_t>(threads());
  parallel_for(C, S == 1 ? (C + nth - 1) / nth : grain_for(C), f);  // a channel's arithmetic is the same in any range
}

// Statistics of one channel from its sums: writes mean, std, the running statistics (training).
struct Stats {
  double mean, inv;
};

Stats finish_stats(size_t c, double sum, double sumsq, double shift, double M, double momentum, double eps,
                   float* run_mean, float* run_var, float* mean_out, float* std_out) {
  const double m1 = sum / M;
  const double var = std::max(0.0, sumsq / M - m1 * m1);
  const double mean = shift + m1;
  const double sd = std::sqrt(var + eps);
  run_mean[c] = static_cast<float>(momentum * run_mean[c] + (1.0 - momentum) * mean);
  run_var[c] = static_cast<float>(momentum * run_var[c] + (1.0 - momentum) * var);
  mean_out[c] = static_cast<float>(mean);
  std_out[c] = static_cast<float>(sd);
  return {mean, 1.0 / sd};
}

// S = 1 (dense [N, C]): loops over contiguous channels, sums in double.
void forward_dense(const float* x, size_t N, size_t C, size_t c0, size_t c1, const float* gamma, const float* beta,
                   float* run_mean, float* run_var, double momentum, double eps, bool training, bool relu, float* y,
                   float* mean_out, float* std_out) {
  const size_t w = c1 - c0;
  std::vector<double> mean(w), inv(w);
  if (training) {
    std::vector<double> sum(w, 0.0), sq(w, 0.0);
    for (size_t n = 0; n < N; n++)
      for (size_t c = c0; c < c1; c++) sum[c - c0] += x[n * C + c];
    for (size_t j = 0; j < w; j++) mean[j] = sum[j] / static_cast<double>(N);
    for (size_t n = 0; n < N; n++)
      for (size_t c = c0; c < c1; c++) {
        const double d = x[n * C + c] - mean[c - c0];
        sq[c - c0] += d * d;
      }
    for (size_t c = c0; c < c1; c++) {
      const Stats s = finish_stats(c, 0.0, sq[c - c0], mean[c - c0], static_cast<double>(N), momentum, eps, run_mean,
                                   run_var, mean_out, std_out);
      inv[c - c0] = s.inv;
    }
  } else {
    for (size_t c = c0; c < c1; c++) {
      const double sd = std::sqrt(static_cast<double>(run_var[c]) + eps);
      mean[c - c0] = run_mean[c];
      mean_out[c] = run_mean[c];
      std_out[c] = static_cast<float>(sd);
      inv[c - c0] = 1.0 / sd;
    }
  }
  for (size_t n = 0; n < N; n++)
    for (size_t c = c0; c < c1; c++) {
      const size_t j = c - c0;
      const double v = gamma[c] * ((x[n * C + c] - mean[j]) * inv[j]) + beta[c];
      y[n * C + c] = static_cast<float>(relu && !(v > 0.0) ? 0.0 : v);
    }
}

}  // namespace

void batch_norm_forward(const float* x, size_t N, size_t C, size_t S, const float* gamma, const float* beta,
                        float* run_mean, float* run_var, double momentum, double eps, bool training, bool relu,
                        float* y, float* mean_out, float* std_out) {
  const NormKernels& k = *kernels().norm;
  const size_t CS = C * S;
  const double M = static_cast<double>(N * S);
  for_channels(N * CS, C, S, [&](size_t c0, size_t c1) {
    if (S == 1) {
      forward_dense(x, N, C, c0, c1, gamma, beta, run_mean, run_var, momentum, eps, training, relu, y, mean_out,
                    std_out);
      return;
    }
    for (size_t c = c0; c < c1; c++) {
      const float* xc = x + c * S;
      double mean, inv;
      if (training) {
        const float shift = xc[0];
        double sum = 0.0, sumsq = 0.0;
        for (size_t n = 0; n < N; n++) k.moments(xc + n * CS, S, shift, &sum, &sumsq);
        const Stats s = finish_stats(c, sum, sumsq, shift, M, momentum, eps, run_mean, run_var, mean_out, std_out);
        mean = s.mean;
        inv = s.inv;
      } else {
        const double sd = std::sqrt(static_cast<double>(run_var[c]) + eps);
        mean = run_mean[c];
        inv = 1.0 / sd;
        mean_out[c] = run_mean[c];
        std_out[c] = static_cast<float>(sd);
      }
      const double a = gamma[c] * inv;
      const float af = static_cast<float>(a), bf = static_cast<float>(beta[c] - mean * a);
      for (size_t n = 0; n < N; n++) k.affine(xc + n * CS, S, af, bf, relu, y + c * S + n * CS);
    }
  });
}

void batch_norm_backward(const float* dy, const float* x, const float* y, const float* mean, const float* std_in,
                         const float* gamma, size_t N, size_t C, size_t S, float* dx, float* dgamma, float* dbeta) {
  const NormKernels& k = *kernels().norm;
  const size_t CS = C * S;
  const double M = static_cast<double>(N * S);
  for_channels(N * CS, C, S, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; c++) {
      const size_t o = c * S;
      double sg = 0.0, sxg = 0.0, sx = 0.0;
      if (S == 1) {
        const double m = mean[c];
        for (size_t n = 0; n < N; n++) {
          const size_t i = n * C + c;
          const double g = y == nullptr || y[i] > 0.0f ? dy[i] : 0.0, d = x[i] - m;
          sg += g;
          sxg += d * g;
          sx += d;
        }
      } else {
        for (size_t n = 0; n < N; n++)
          k.grad_sums(dy + o + n * CS, x + o + n * CS, y == nullptr ? nullptr : y + o + n * CS, S, mean[c], &sg, &sxg,
                      &sx);
      }
      // In x̂ terms (x̂ = (x − mean)·inv): Σx̂·g = inv·sxg, Σx̂ = inv·sx. dx = kk·g − kk·a·x̂ − kk·shift.
      const double inv = 1.0 / static_cast<double>(std_in[c]);
      const double sxn_g = inv * sxg, sxn = inv * sx;
      dbeta[c] = static_cast<float>(sg);
      dgamma[c] = static_cast<float>(sxn_g);
      const double kk = static_cast<double>(gamma[c]) * inv;
      const double a = sxn_g / M;
      const double shift = (sg - a * sxn) / M;
      const double ca = kk, cb = -kk * a * inv, cc = -kk * shift;
      if (S == 1) {
        const double m = mean[c];
        for (size_t n = 0; n < N; n++) {
          const size_t i = n * C + c;
          const double g = y == nullptr || y[i] > 0.0f ? dy[i] : 0.0;
          dx[i] = static_cast<float>(ca * g + cb * (x[i] - m) + cc);
        }
      } else {
        const float fa = static_cast<float>(ca), fb = static_cast<float>(cb), fc = static_cast<float>(cc);
        for (size_t n = 0; n < N; n++)
          k.grad_apply(dy + o + n * CS, x + o + n * CS, y == nullptr ? nullptr : y + o + n * CS, S, mean[c], fa, fb,
                       fc, dx + o + n * CS);
      }
    }
  });
}

}  // namespace simdnet
