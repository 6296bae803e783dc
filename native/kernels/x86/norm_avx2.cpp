// AVX2/FMA row kernels of batch normalization (contract in core/norm.h; scalar reference in core/norm_ref.cpp).
// Compiled with -mavx2 -mfma; reached only through the avx2 (and avx512) table (core/kernels.h).
//
// 16 floats per step in two accumulators (8 lanes each) for the sums; the tail (< 8 values) is loaded with
// _mm256_maskload_ps (masked-off lanes read as 0 and are excluded from every sum) and stored with
// _mm256_maskstore_ps. A row is never split between tasks, so a result depends only on the row.
#include <immintrin.h>

#include <cstddef>

#include "core/norm.h"

namespace simdnet {
namespace {

// Lanes i < n set (n in [0, 8]).
inline __m256i tail_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline double hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return static_cast<double>(_mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1))));
}

// g = dy, or with the mask on dy where a·x + b > 0: affine_avx2's fmadd, so exactly where its y was > 0
struct Mask {
  bool on;
  __m256 a, b;
  explicit Mask(ReluMask m) : on(m.on), a(_mm256_set1_ps(m.a)), b(_mm256_set1_ps(m.b)) {}
  __m256 grad(__m256 dy, __m256 x) const {
    if (!on) return dy;
    return _mm256_and_ps(dy, _mm256_cmp_ps(_mm256_fmadd_ps(a, x, b), _mm256_setzero_ps(), _CMP_GT_OQ));
  }
};

void moments_avx2(const float* x, size_t S, float shift, double* sum, double* sumsq) {
  const __m256 sh = _mm256_set1_ps(shift);
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), q0 = _mm256_setzero_ps(), q1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= S; i += 16) {
    const __m256 a = _mm256_sub_ps(_mm256_loadu_ps(x + i), sh);
    const __m256 b = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), sh);
    s0 = _mm256_add_ps(s0, a);
    s1 = _mm256_add_ps(s1, b);
    q0 = _mm256_fmadd_ps(a, a, q0);
    q1 = _mm256_fmadd_ps(b, b, q1);
  }
  for (; i < S; i += 8) {
    const __m256i m = tail_mask(S - i < 8 ? S - i : 8);
    const __m256 a = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), sh), _mm256_castsi256_ps(m));
    s0 = _mm256_add_ps(s0, a);
    q0 = _mm256_fmadd_ps(a, a, q0);
  }
  *sum += hsum(_mm256_add_ps(s0, s1));
  *sumsq += hsum(_mm256_add_ps(q0, q1));
}

void affine_avx2(const float* x, size_t S, float a, float b, bool relu, float* y) {
  const __m256 av = _mm256_set1_ps(a), bv = _mm256_set1_ps(b), z = _mm256_setzero_ps();
  size_t i = 0;
  if (relu) {
    for (; i + 8 <= S; i += 8) _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), bv), z));
  } else {
    for (; i + 8 <= S; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), bv));
  }
  if (i < S) {
    const __m256i m = tail_mask(S - i);
    __m256 v = _mm256_fmadd_ps(av, _mm256_maskload_ps(x + i, m), bv);
    if (relu) v = _mm256_max_ps(v, z);
    _mm256_maskstore_ps(y + i, m, v);
  }
}

void grad_sums_avx2(const float* dy, const float* x, ReluMask rm, size_t S, float mean, double* sg, double* sxg,
                    double* sx) {
  const Mask mk(rm);
  const __m256 mv = _mm256_set1_ps(mean);
  __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps(), c = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= S; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    const __m256 g = mk.grad(_mm256_loadu_ps(dy + i), xv);
    const __m256 d = _mm256_sub_ps(xv, mv);
    a = _mm256_add_ps(a, g);
    b = _mm256_fmadd_ps(d, g, b);
    c = _mm256_add_ps(c, d);
  }
  if (i < S) {
    const __m256i m = tail_mask(S - i);
    const __m256 xv = _mm256_maskload_ps(x + i, m);
    const __m256 g = mk.grad(_mm256_maskload_ps(dy + i, m), xv);  // masked-off lanes: dy reads 0
    const __m256 d = _mm256_and_ps(_mm256_sub_ps(xv, mv), _mm256_castsi256_ps(m));
    a = _mm256_add_ps(a, g);
    b = _mm256_fmadd_ps(d, g, b);
    c = _mm256_add_ps(c, d);
  }
  *sg += hsum(a);
  *sxg += hsum(b);
  *sx += hsum(c);
}

void grad_apply_avx2(const float* dy, const float* x, ReluMask rm, size_t S, float mean, float a, float b, float c,
                     float* dx) {
  const Mask mk(rm);
  const __m256 mv = _mm256_set1_ps(mean), av = _mm256_set1_ps(a), bv = _mm256_set1_ps(b), cv = _mm256_set1_ps(c);
  size_t i = 0;
  for (; i + 8 <= S; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    const __m256 g = mk.grad(_mm256_loadu_ps(dy + i), xv);
    const __m256 d = _mm256_sub_ps(xv, mv);
    _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(av, g, _mm256_fmadd_ps(bv, d, cv)));
  }
  if (i < S) {
    const __m256i m = tail_mask(S - i);
    const __m256 xv = _mm256_maskload_ps(x + i, m);
    const __m256 g = mk.grad(_mm256_maskload_ps(dy + i, m), xv);
    const __m256 d = _mm256_sub_ps(xv, mv);
    _mm256_maskstore_ps(dx + i, m, _mm256_fmadd_ps(av, g, _mm256_fmadd_ps(bv, d, cv)));
  }
}

}  // namespace

const NormKernels norm_kernels_avx2 = {"avx2", moments_avx2, affine_avx2, grad_sums_avx2, grad_apply_avx2};

}  // namespace simdnet
