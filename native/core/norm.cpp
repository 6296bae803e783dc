// Batch normalization drivers (contract in core/norm.h). Memory-bound: a training forward reads x twice and
// writes y once, backward reads dy and x twice (the ReLU mask is recomputed from x, not read from y) and writes dx once. Each task walks its
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
void finish_stats(size_t c, double sum, double sumsq, double shift, double M, double momentum, double eps,
                   float* run_mean, float* run_var, float* mean_out, float* std_out) {
  const double m1 = sum / M;
  const double var = std::max(0.0, sumsq / M - m1 * m1);
  const double mean = shift + m1;
  const double sd = std::sqrt(var + eps);
  run_mean[c] = static_cast<float>(momentum * run_mean[c] + (1.0 - momentum) * mean);
  run_var[c] = static_cast<float>(momentum * run_var[c] + (1.0 - momentum) * var);
  mean_out[c] = static_cast<float>(mean);
  std_out[c] = static_cast<float>(sd);
}

// The dense layout's output before the ReLU, in double (forward, and backward's recomputed mask: the same bits).
inline double dense_value(float x, double mean, double inv, float gamma, float beta) {
  return gamma * ((x - mean) * inv) + beta;
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
    for (size_t c = c0; c < c1; c++)
      finish_stats(c, 0.0, sq[c - c0], mean[c - c0], static_cast<double>(N), momentum, eps, run_mean, run_var,
                   mean_out, std_out);
  } else {
    for (size_t c = c0; c < c1; c++) {
      mean_out[c] = run_mean[c];
      std_out[c] = static_cast<float>(std::sqrt(static_cast<double>(run_var[c]) + eps));
    }
  }
  // y from the float statistics written (backward recomputes the fused ReLU's mask from them: dense_value)
  for (size_t c = c0; c < c1; c++) {
    mean[c - c0] = mean_out[c];
    inv[c - c0] = 1.0 / static_cast<double>(std_out[c]);
  }
  for (size_t n = 0; n < N; n++)
    for (size_t c = c0; c < c1; c++) {
      const size_t j = c - c0;
      const double v = dense_value(x[n * C + c], mean[j], inv[j], gamma[c], beta[c]);
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
      if (training) {
        const float shift = xc[0];
        double sum = 0.0, sumsq = 0.0;
        for (size_t n = 0; n < N; n++) k.moments(xc + n * CS, S, shift, &sum, &sumsq);
        finish_stats(c, sum, sumsq, shift, M, momentum, eps, run_mean, run_var, mean_out, std_out);
      } else {
        mean_out[c] = run_mean[c];
        std_out[c] = static_cast<float>(std::sqrt(static_cast<double>(run_var[c]) + eps));
      }
      const BnAffine f = bn_affine(gamma[c], beta[c], mean_out[c], std_out[c]);
      for (size_t n = 0; n < N; n++) k.affine(xc + n * CS, S, f.a, f.b, relu, y + c * S + n * CS);
    }
  });
}

void batch_norm_backward(const float* dy, const float* x, bool relu, const float* mean, const float* std_in,
                         const float* gamma, const float* beta, size_t N, size_t C, size_t S, float* dx,
                         float* dgamma, float* dbeta) {
  const NormKernels& k = *kernels().norm;
  const size_t CS = C * S;
  const double M = static_cast<double>(N * S);
  for_channels(N * CS, C, S, [&](size_t c0, size_t c1) {
    for (size_t c = c0; c < c1; c++) {
      const size_t o = c * S;
      double sg = 0.0, sxg = 0.0, sx = 0.0;
      const double inv = 1.0 / static_cast<double>(std_in[c]);
      const BnAffine f = bn_affine(gamma[c], beta[c], mean[c], std_in[c]);
      const ReluMask rm{relu, f.a, f.b};
      // the dense layout's g: dy, or 0 where the forward's dense_value was not > 0
      const auto dense_g = [&](size_t i) {
        return !relu || dense_value(x[i], mean[c], inv, gamma[c], beta[c]) > 0.0 ? static_cast<double>(dy[i]) : 0.0;
      };
      if (S == 1) {
        const double m = mean[c];
        for (size_t n = 0; n < N; n++) {
          const size_t i = n * C + c;
          const double g = dense_g(i), d = x[i] - m;
          sg += g;
          sxg += d * g;
          sx += d;
        }
      } else {
        for (size_t n = 0; n < N; n++) k.grad_sums(dy + o + n * CS, x + o + n * CS, rm, S, mean[c], &sg, &sxg, &sx);
      }
      // In x̂ terms (x̂ = (x − mean)·inv): Σx̂·g = inv·sxg, Σx̂ = inv·sx. dx = kk·g − kk·a·x̂ − kk·shift.
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
          dx[i] = static_cast<float>(ca * dense_g(i) + cb * (x[i] - m) + cc);
        }
      } else {
        const float fa = static_cast<float>(ca), fb = static_cast<float>(cb), fc = static_cast<float>(cc);
        for (size_t n = 0; n < N; n++)
          k.grad_apply(dy + o + n * CS, x + o + n * CS, rm, S, mean[c], fa, fb, fc, dx + o + n * CS);
      }
    }
  });
}

}  // namespace simdnet
