// The fused in-place optimizer update: the book's rules (common/optimizer.py), formulas in lib/backend/types.ts
// (Backend.optimizerStep); TypeScript oracle lib/backend/ts/optim.ts. eps = 1e-7 as in the book.
#pragma once
#include <cstddef>

#include "core/ops_types.generated.h"

namespace simdnet {

// OptRule (the rules), kOptRuleStates (state arrays per rule) and OptimHyper (the hyperparameters):
// core/ops_types.generated.h, from native/ops.json.

// Float coefficients of one step, derived in double from OptimHyper (optim_coeffs).
struct OptimCoeffs {
  float lr;           // sgd, momentum, adagrad, rmsprop: lr
  float mu;           // momentum, nesterov
  float mu2;          // nesterov: momentum²
  float nest_g;       // nesterov: (1 + momentum)·lr
  float decay;        // rmsprop: decay
  float one_m_decay;  // rmsprop: 1 − decay
  float b1c, b2c;     // adam: 1 − β1, 1 − β2
  float lr_t;         // adam: lr·sqrt(1 − β2^t)/(1 − β1^t)
  float wd;           // adamw: lr·weightDecay
};

constexpr float kOptimEps = 1e-7f;

// Kernel contract: contiguous spans of any length; s1/s2 as the rule needs them (others may be null);
// every element sees the same arithmetic (vector tails masked), so results do not depend on the thread split.
struct OptimKernels {
  const char* name;
  void (*step)(OptRule rule, float* p, const float* g, float* s1, float* s2, size_t n, const OptimCoeffs& k);
};
extern const OptimKernels optim_kernels_ref;   // optim.cpp (scalar)
extern const OptimKernels optim_kernels_avx2;  // native/kernels/x86/optim_avx2.cpp

OptimCoeffs optim_coeffs(const OptimHyper& h);

// param[n] updated in place from grad[n]; s1/s2 state as above. Adam needs t >= 1 (the binding checks).
void optimizer_step(OptRule rule, float* param, const float* grad, float* s1, float* s2, size_t n,
                    const OptimHyper& h);

}  // namespace simdnet
