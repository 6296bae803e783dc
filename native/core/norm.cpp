// Batch normalization (contract in core/norm.h). Scalar C++ at baseline: the loops are contiguous over s (or over
// a channel range when S = 1) and the compiler vectorizes them; the op is memory-bound, so no AVX2 table.
#include "core/norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/elementwise.h"
#include "core/threadpool.h"

namespace simdnet {
namespace {

// Runs f(c0, c1) over channel ranges claimed over the pool, when the tensor is large and has several channels.
template <typename F>
void for_channels(size_t total, size_t C, F&& f) {
  if (total < kParallelMin || threads() <= 1 || C == 1) {
    f(size_t(0), C);
    return;
  }
  parallel_for(C, grain_for(C), f);  // each channel's arithmetic is the same in any range
}

}  // namespace

void batch_norm_forward(const float* x, size_t N, size_t C, size_t S, const float* gamma, const float* beta,
                        float* run_mean, float* run_var, double momentum, double eps, bool training, float* y,
                        float* xn, float* std_out) {
  const size_t CS = C * S;
  const double M = static_cast<double>(N * S);
  for_channels(N * CS, C, [&](size_t c0, size_t c1) {
    const size_t w = c1 - c0;
    std::vector<double> mean(w), inv(w);
    if (training) {
      std::vector<double> sum(w, 0.0), sq(w, 0.0);
      for (size_t n = 0; n < N; n++)
        for (size_t c = c0; c < c1; c++) {
          const float* p = x + n * CS + c * S;
          double s = 0.0;
          for (size_t k = 0; k < S; k++) s += p[k];
          sum[c - c0] += s;
        }
      for (size_t j = 0; j < w; j++) mean[j] = sum[j] / M;
      for (size_t n = 0; n < N; n++)
        for (size_t c = c0; c < c1; c++) {
          const float* p = x + n * CS + c * S;
          const double m = mean[c - c0];
          double s = 0.0;
          for (size_t k = 0; k < S; k++) {
            const double d = p[k] - m;
            s += d * d;
          }
          sq[c - c0] += s;
        }
      for (size_t c = c0; c < c1; c++) {
        const double var = sq[c - c0] / M;
        const double sd = std::sqrt(var + eps);
        std_out[c] = static_cast<float>(sd);
        inv[c - c0] = 1.0 / sd;
        run_mean[c] = static_cast<float>(momentum * run_mean[c] + (1.0 - momentum) * mean[c - c0]);
        run_var[c] = static_cast<float>(momentum * run_var[c] + (1.0 - momentum) * var);
      }
    } else {
      for (size_t c = c0; c < c1; c++) {
        const double sd = std::sqrt(static_cast<double>(run_var[c]) + eps);
        mean[c - c0] = run_mean[c];
        std_out[c] = static_cast<float>(sd);
        inv[c - c0] = 1.0 / sd;
      }
    }
    for (size_t n = 0; n < N; n++)
      for (size_t c = c0; c < c1; c++) {
        const size_t o = n * CS + c * S;
        const double m = mean[c - c0], iv = inv[c - c0], g = gamma[c], b = beta[c];
        for (size_t k = 0; k < S; k++) {
          const double v = (x[o + k] - m) * iv;
          xn[o + k] = static_cast<float>(v);
          y[o + k] = static_cast<float>(g * v + b);
        }
      }
  });
}

void batch_norm_backward(const float* dy, const float* xn, const float* std_in, const float* gamma, size_t N,
                         size_t C, size_t S, float* dx, float* dgamma, float* dbeta) {
  const size_t CS = C * S;
  const double M = static_cast<double>(N * S);
  for_channels(N * CS, C, [&](size_t c0, size_t c1) {
    const size_t w = c1 - c0;
    std::vector<double> sdy(w, 0.0), sxdy(w, 0.0), sx(w, 0.0);
    for (size_t n = 0; n < N; n++)
      for (size_t c = c0; c < c1; c++) {
        const size_t o = n * CS + c * S;
        double a = 0.0, b = 0.0, d = 0.0;
        for (size_t k = 0; k < S; k++) {
          const double g = dy[o + k], v = xn[o + k];
          a += g;
          b += v * g;
          d += v;
        }
        sdy[c - c0] += a;
        sxdy[c - c0] += b;
        sx[c - c0] += d;
      }
    std::vector<double> kk(w), aa(w), shift(w);
    for (size_t c = c0; c < c1; c++) {
      const size_t j = c - c0;
      dbeta[c] = static_cast<float>(sdy[j]);
      dgamma[c] = static_cast<float>(sxdy[j]);
      kk[j] = static_cast<double>(gamma[c]) / static_cast<double>(std_in[c]);
      aa[j] = sxdy[j] / M;
      shift[j] = (sdy[j] - aa[j] * sx[j]) / M;
    }
    for (size_t n = 0; n < N; n++)
      for (size_t c = c0; c < c1; c++) {
        const size_t o = n * CS + c * S, j = c - c0;
        const double k = kk[j], a = aa[j], sh = shift[j];
        for (size_t i = 0; i < S; i++) dx[o + i] = static_cast<float>(k * (dy[o + i] - xn[o + i] * a - sh));
      }
  });
}

}  // namespace simdnet
