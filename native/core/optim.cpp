// Fused optimizer update (contract in core/optim.h): scalar reference kernel and the threaded driver.
#include "core/optim.h"

#include <cmath>

#include "core/elementwise.h"
#include "core/kernels.h"

namespace simdnet {
namespace {

void step_ref(OptRule rule, float* p, const float* g, float* s1, float* s2, size_t n, const OptimCoeffs& k) {
  switch (rule) {
    case OptRule::sgd:
      for (size_t i = 0; i < n; i++) p[i] -= k.lr * g[i];
      break;
    case OptRule::momentum:
      for (size_t i = 0; i < n; i++) {
        s1[i] = k.mu * s1[i] - k.lr * g[i];
        p[i] += s1[i];
      }
      break;
    case OptRule::nesterov:
      for (size_t i = 0; i < n; i++) {
        s1[i] = k.mu * s1[i] - k.lr * g[i];
        p[i] += k.mu2 * s1[i];
        p[i] -= k.nest_g * g[i];
      }
      break;
    case OptRule::adagrad:
      for (size_t i = 0; i < n; i++) {
        s1[i] += g[i] * g[i];
        p[i] -= k.lr * g[i] / (std::sqrt(s1[i]) + kOptimEps);
      }
      break;
    case OptRule::rmsprop:
      for (size_t i = 0; i < n; i++) {
        s1[i] = k.decay * s1[i] + k.one_m_decay * g[i] * g[i];
        p[i] -= k.lr * g[i] / (std::sqrt(s1[i]) + kOptimEps);
      }
      break;
    case OptRule::adam:
    case OptRule::adamw: {
      const float wd = rule == OptRule::adamw ? k.wd : 0.0f;
      for (size_t i = 0; i < n; i++) {
        const float old = p[i];
        s1[i] += k.b1c * (g[i] - s1[i]);
        s2[i] += k.b2c * (g[i] * g[i] - s2[i]);
        p[i] = old - k.lr_t * s1[i] / (std::sqrt(s2[i]) + kOptimEps) - wd * old;
      }
      break;
    }
  }
}

}  // namespace

const OptimKernels optim_kernels_ref = {"reference", step_ref};


OptimCoeffs optim_coeffs(const OptimHyper& h) {
  OptimCoeffs k{};
  k.lr = static_cast<float>(h.lr);
  k.mu = static_cast<float>(h.momentum);
  k.mu2 = static_cast<float>(h.momentum * h.momentum);
  k.nest_g = static_cast<float>((1.0 + h.momentum) * h.lr);
  k.decay = static_cast<float>(h.decay_rate);
  k.one_m_decay = static_cast<float>(1.0 - h.decay_rate);
  k.b1c = static_cast<float>(1.0 - h.beta1);
  k.b2c = static_cast<float>(1.0 - h.beta2);
  k.lr_t = h.t >= 1.0 ? static_cast<float>(h.lr * std::sqrt(1.0 - std::pow(h.beta2, h.t)) / (1.0 - std::pow(h.beta1, h.t)))
                      : 0.0f;
  k.wd = static_cast<float>(h.lr * h.weight_decay);
  return k;
}

void optimizer_step(OptRule rule, float* param, const float* grad, float* s1, float* s2, size_t n,
                    const OptimHyper& h) {
  const OptimKernels& kern = *kernels().optim;
  const OptimCoeffs k = optim_coeffs(h);
  const int ns = kOptRuleStates[static_cast<int>(rule)];
  for_each_chunk(n, [&](size_t b, size_t e) {
    kern.step(rule, param + b, grad + b, ns >= 1 ? s1 + b : nullptr, ns >= 2 ? s2 + b : nullptr, e - b, k);
  });
}

}  // namespace simdnet
