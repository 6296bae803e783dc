// AVX2/FMA optimizer update (contract in core/optim.h; scalar reference in core/optim.cpp). Compiled with
// -mavx2 -mfma; reached only through the avx2 table (core/kernels.h). 8 parameters per step, sqrt and division vectorized; the tail
// (< 8) goes through the same code with masked loads/stores, so results do not depend on the thread split.
#include <immintrin.h>

#include "core/optim.h"

namespace simdnet {
namespace {

inline __m256i tail_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Loads/stores through a mask (all lanes for a full step). `full` is a compile-time choice per call site.
struct Lanes {
  bool full;
  __m256i m;
  __m256 load(const float* a) const { return full ? _mm256_loadu_ps(a) : _mm256_maskload_ps(a, m); }
  void store(float* a, __m256 v) const {
    if (full)
      _mm256_storeu_ps(a, v);
    else
      _mm256_maskstore_ps(a, m, v);
  }
};

// One step of 8 (or fewer, masked) elements at offset 0 of the given pointers.
template <OptRule R>
inline void step8(float* p, const float* g, float* s1, float* s2, const OptimCoeffs& k, const Lanes& L) {
  const __m256 gv = L.load(g);
  __m256 pv = L.load(p);
  const __m256 eps = _mm256_set1_ps(kOptimEps);
  if constexpr (R == OptRule::sgd) {
    pv = _mm256_fnmadd_ps(_mm256_set1_ps(k.lr), gv, pv);
  } else if constexpr (R == OptRule::momentum || R == OptRule::nesterov) {
    // v = mu·v − lr·g
    const __m256 v = _mm256_fmsub_ps(_mm256_set1_ps(k.mu), L.load(s1), _mm256_mul_ps(_mm256_set1_ps(k.lr), gv));
    L.store(s1, v);
    if constexpr (R == OptRule::momentum) {
      pv = _mm256_add_ps(pv, v);
    } else {
      pv = _mm256_fmadd_ps(_mm256_set1_ps(k.mu2), v, pv);
      pv = _mm256_fnmadd_ps(_mm256_set1_ps(k.nest_g), gv, pv);
    }
  } else if constexpr (R == OptRule::adagrad || R == OptRule::rmsprop) {
    __m256 h;
    if constexpr (R == OptRule::adagrad)
      h = _mm256_fmadd_ps(gv, gv, L.load(s1));
    else
      h = _mm256_fmadd_ps(_mm256_set1_ps(k.decay), L.load(s1), _mm256_mul_ps(_mm256_set1_ps(k.one_m_decay), _mm256_mul_ps(gv, gv)));
    L.store(s1, h);
    const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(h), eps);
    pv = _mm256_sub_ps(pv, _mm256_div_ps(_mm256_mul_ps(_mm256_set1_ps(k.lr), gv), den));
  } else {  // adam, adamw
    __m256 m = L.load(s1);
    __m256 v = L.load(s2);
    m = _mm256_fmadd_ps(_mm256_set1_ps(k.b1c), _mm256_sub_ps(gv, m), m);
    v = _mm256_fmadd_ps(_mm256_set1_ps(k.b2c), _mm256_fmsub_ps(gv, gv, v), v);
    L.store(s1, m);
    L.store(s2, v);
    const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(v), eps);
    __m256 np = _mm256_sub_ps(pv, _mm256_div_ps(_mm256_mul_ps(_mm256_set1_ps(k.lr_t), m), den));
    if constexpr (R == OptRule::adamw) np = _mm256_fnmadd_ps(_mm256_set1_ps(k.wd), pv, np);
    pv = np;
  }
  L.store(p, pv);
}

template <OptRule R>
void run(float* p, const float* g, float* s1, float* s2, size_t n, const OptimCoeffs& k) {
  const Lanes full{true, _mm256_set1_epi32(-1)};
  size_t i = 0;
  const int ns = kOptRuleStates[static_cast<int>(R)];  // native/ops.json
  for (; i + 8 <= n; i += 8) step8<R>(p + i, g + i, ns >= 1 ? s1 + i : nullptr, ns >= 2 ? s2 + i : nullptr, k, full);
  if (i < n) {
    const Lanes tail{false, tail_mask(n - i)};
    step8<R>(p + i, g + i, ns >= 1 ? s1 + i : nullptr, ns >= 2 ? s2 + i : nullptr, k, tail);
  }
}

void step_avx2(OptRule rule, float* p, const float* g, float* s1, float* s2, size_t n, const OptimCoeffs& k) {
  switch (rule) {
    case OptRule::sgd: run<OptRule::sgd>(p, g, s1, s2, n, k); break;
    case OptRule::momentum: run<OptRule::momentum>(p, g, s1, s2, n, k); break;
    case OptRule::nesterov: run<OptRule::nesterov>(p, g, s1, s2, n, k); break;
    case OptRule::adagrad: run<OptRule::adagrad>(p, g, s1, s2, n, k); break;
    case OptRule::rmsprop: run<OptRule::rmsprop>(p, g, s1, s2, n, k); break;
    case OptRule::adam: run<OptRule::adam>(p, g, s1, s2, n, k); break;
    case OptRule::adamw: run<OptRule::adamw>(p, g, s1, s2, n, k); break;
  }
}

}  // namespace

const OptimKernels optim_kernels_avx2 = {"avx2", step_avx2};

}  // namespace simdnet
