// Scalar reference of the NormKernels row kernels (contract in core/norm.h): the fallback of the reference tier
// and the oracle of kernels/x86/norm_avx2.cpp. Elementwise arithmetic in float as the vector kernel; the row
// sums in double (one scalar float accumulator would lose ~1e-6 over a 1000-value row, more than the 8–16
// lane accumulators of the vector kernel).
#include <cstddef>

#include "core/norm.h"

namespace simdnet {
namespace {

// dy, or 0 where the forward's v = a·x + b (affine_ref's arithmetic) is not > 0
inline float masked(const float* dy, const float* x, ReluMask m, size_t i) {
  if (!m.on) return dy[i];
  const float v = m.a * x[i] + m.b;
  return v > 0.0f ? dy[i] : 0.0f;
}

void moments_ref(const float* x, size_t S, float shift, double* sum, double* sumsq) {
  double s = 0.0, q = 0.0;
  for (size_t i = 0; i < S; i++) {
    const float d = x[i] - shift;
    s += d;
    q += static_cast<double>(d) * d;
  }
  *sum += s;
  *sumsq += q;
}

void affine_ref(const float* x, size_t S, float a, float b, bool relu, float* y) {
  if (relu) {
    for (size_t i = 0; i < S; i++) {
      const float v = a * x[i] + b;
      y[i] = v > 0.0f ? v : 0.0f;
    }
  } else {
    for (size_t i = 0; i < S; i++) y[i] = a * x[i] + b;
  }
}

void grad_sums_ref(const float* dy, const float* x, ReluMask m, size_t S, float mean, double* sg, double* sxg,
                   double* sx) {
  double a = 0.0, b = 0.0, c = 0.0;
  for (size_t i = 0; i < S; i++) {
    const float g = masked(dy, x, m, i), d = x[i] - mean;
    a += g;
    b += static_cast<double>(d) * g;
    c += d;
  }
  *sg += a;
  *sxg += b;
  *sx += c;
}

void grad_apply_ref(const float* dy, const float* x, ReluMask m, size_t S, float mean, float a, float b, float c,
                    float* dx) {
  for (size_t i = 0; i < S; i++) dx[i] = a * masked(dy, x, m, i) + b * (x[i] - mean) + c;
}

}  // namespace

const NormKernels norm_kernels_ref = {"reference", moments_ref, affine_ref, grad_sums_ref, grad_apply_ref};

}  // namespace simdnet
