// AVX2/FMA kernels of the elementwise family (contract in core/elementwise.h; scalar references in
// core/elementwise.cpp). Compiled with -mavx2 -mfma -mf16c; reached only through the avx2 table (core/kernels.h).
//
// 8 floats per step. Tails (< 8 elements) go through the same vector code with masked loads/stores
// (_mm256_maskload_ps / _mm256_maskstore_ps), so every element sees the same arithmetic wherever a chunk
// boundary falls: results do not depend on the thread split.
//
// exp: Cody–Waite reduction x = n·ln2 + r (|r| <= ln2/2, ln2 split in two), the Cephes expf polynomial
// (measured ~1 ulp against float64), 2^n built as 2^(n>>1)·2^(n − (n>>1)) so n = 128 and n = −126 both work;
// x > ln(FLT_MAX) gives +Inf, x < ln(FLT_MIN) gives 0 (no subnormal results), NaN propagates.
// tanh: the Cephes tanhf odd polynomial for |x| < 0.625, else sign(x)·(1 − 2/(e^{2|x|} + 1)).
#include <immintrin.h>

#include <cstring>

#include "core/elementwise.h"

namespace simdnet {
namespace {

// Lanes i < n set (n in [0, 8]).
inline __m256i tail_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline __m256 exp256(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.7228393f);   // ln(FLT_MAX)
  const __m256 lo = _mm256_set1_ps(-87.3365448f);  // ln(FLT_MIN)
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(__builtin_inff()), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
  y = _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), y);
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));  // NaN in, NaN out
}

inline __m256 sigmoid256(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

inline __m256 tanh256(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  // small |x|: odd polynomial
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  // large |x|: 1 − 2/(e^{2|x|} + 1), with the sign of x
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp256(_mm256_add_ps(ax, ax));
  const __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  const __m256 big_signed = _mm256_or_ps(big, _mm256_and_ps(sign, x));
  return _mm256_blendv_ps(big_signed, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

// ---- unary/binary maps with masked tails ---------------------------------------------------------------------------

// y[i] = f(x[i])
template <typename F>
inline void map1(const float* x, float* y, size_t n, F f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

// c[i] = f(a[i], b[i])
template <typename F>
inline void map2(const float* a, const float* b, float* c, size_t n, F f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(c + i, f(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(c + i, m, f(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m)));
  }
}

void add_avx2(float* y, const float* b, size_t n) {
  map2(y, b, y, n, [](__m256 a, __m256 c) { return _mm256_add_ps(a, c); });
}

void axpy_avx2(float a, const float* x, float* y, size_t n) {
  const __m256 va = _mm256_set1_ps(a);
  map2(x, y, y, n, [va](__m256 xv, __m256 yv) { return _mm256_fmadd_ps(va, xv, yv); });
}

void add_relu_avx2(const float* a, const float* b, float* y, size_t n, bool relu) {
  const __m256 zero = _mm256_setzero_ps();
  if (relu) {  // v <= 0 -> +0 (also −0); NaN passes: the relu of act_fwd
    map2(a, b, y, n, [zero](__m256 u, __m256 v) {
      const __m256 s = _mm256_add_ps(u, v);
      return _mm256_andnot_ps(_mm256_cmp_ps(s, zero, _CMP_LE_OQ), s);
    });
  } else {
    map2(a, b, y, n, [](__m256 u, __m256 v) { return _mm256_add_ps(u, v); });
  }
}

void relu_grad_sum_avx2(const float* dy0, const float* dy1, const float* y, float* dx, size_t n) {
  const __m256 zero = _mm256_setzero_ps();
  if (dy1 == nullptr) {
    map2(dy0, y, dx, n, [zero](__m256 d, __m256 v) { return _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), d); });
    return;
  }
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 d = _mm256_add_ps(_mm256_loadu_ps(dy0 + i), _mm256_loadu_ps(dy1 + i));
    _mm256_storeu_ps(dx + i, _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_GT_OQ), d));
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    const __m256 d = _mm256_add_ps(_mm256_maskload_ps(dy0 + i, m), _mm256_maskload_ps(dy1 + i, m));
    _mm256_maskstore_ps(dx + i, m, _mm256_and_ps(_mm256_cmp_ps(_mm256_maskload_ps(y + i, m), zero, _CMP_GT_OQ), d));
  }
}

void scale_avx2(const float* x, float s, float* y, size_t n) {
  const __m256 vs = _mm256_set1_ps(s);
  map1(x, y, n, [vs](__m256 v) { return _mm256_mul_ps(vs, v); });
}

// acc[c] += Σ_r x[r·ld + c]: 8 columns per pair of double accumulators, rows in order (same sums as the reference)
template <int V>
inline void col_sum_block(const float* x, size_t rows, size_t ld, double* acc, __m256i m) {
  __m256d lo[V], hi[V];
  for (int v = 0; v < V; v++) {
    lo[v] = _mm256_setzero_pd();
    hi[v] = _mm256_setzero_pd();
  }
  for (size_t r = 0; r < rows; r++) {
    const float* row = x + r * ld;
    for (int v = 0; v < V; v++) {
      const __m256 f = V == 1 ? _mm256_maskload_ps(row, m) : _mm256_loadu_ps(row + 8 * v);
      lo[v] = _mm256_add_pd(lo[v], _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
      hi[v] = _mm256_add_pd(hi[v], _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
    }
  }
  for (int v = 0; v < V; v++) {
    alignas(32) double buf[8];
    _mm256_store_pd(buf, lo[v]);
    _mm256_store_pd(buf + 4, hi[v]);
    const int cnt = V == 1 ? __builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(m)))) : 8;
    for (int j = 0; j < cnt; j++) acc[8 * v + j] += buf[j];
  }
}

void col_sum_avx2(const float* x, size_t rows, size_t cols, size_t ld, double* acc) {
  size_t c = 0;
  const __m256i all = _mm256_set1_epi32(-1);
  for (; c + 32 <= cols; c += 32) col_sum_block<4>(x + c, rows, ld, acc + c, all);
  for (; c + 8 <= cols; c += 8) col_sum_block<1>(x + c, rows, ld, acc + c, all);
  if (c < cols) col_sum_block<1>(x + c, rows, ld, acc + c, tail_mask(cols - c));
}

void act_fwd_avx2(Act kind, const float* x, float* y, size_t n, float alpha) {
  const __m256 zero = _mm256_setzero_ps();
  switch (kind) {
    case Act::relu:  // x <= 0 -> +0 (also −0); NaN passes
      map1(x, y, n, [zero](__m256 v) { return _mm256_andnot_ps(_mm256_cmp_ps(v, zero, _CMP_LE_OQ), v); });
      break;
    case Act::leaky_relu: {
      const __m256 a = _mm256_set1_ps(alpha);
      map1(x, y, n, [zero, a](__m256 v) {
        return _mm256_blendv_ps(_mm256_mul_ps(a, v), v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
      });
      break;
    }
    case Act::sigmoid:
      map1(x, y, n, sigmoid256);
      break;
    case Act::tanh:
      map1(x, y, n, tanh256);
      break;
  }
}

void act_bwd_avx2(Act kind, const float* dy, const float* x, const float* y, float* dx, size_t n, float alpha) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 one = _mm256_set1_ps(1.0f);
  switch (kind) {
    case Act::relu:
      map2(dy, x, dx, n, [zero](__m256 d, __m256 v) { return _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), d); });
      break;
    case Act::leaky_relu: {
      const __m256 a = _mm256_set1_ps(alpha);
      map2(dy, x, dx, n, [zero, a](__m256 d, __m256 v) {
        return _mm256_blendv_ps(_mm256_mul_ps(a, d), d, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
      });
      break;
    }
    case Act::sigmoid:
      map2(dy, y, dx, n, [one](__m256 d, __m256 v) { return _mm256_mul_ps(_mm256_mul_ps(d, _mm256_sub_ps(one, v)), v); });
      break;
    case Act::tanh:
      map2(dy, y, dx, n, [one](__m256 d, __m256 v) { return _mm256_mul_ps(d, _mm256_fnmadd_ps(v, v, one)); });
      break;
  }
}

float max_avx2(const float* x, size_t n) {
  const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
  __m256 m = ninf;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) m = _mm256_max_ps(_mm256_loadu_ps(x + i), m);
  if (i < n) {
    const __m256i mk = tail_mask(n - i);
    m = _mm256_max_ps(_mm256_blendv_ps(ninf, _mm256_maskload_ps(x + i, mk), _mm256_castsi256_ps(mk)), m);
  }
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
}

double exp_sub_avx2(const float* x, float mx, float* y, size_t n) {
  const __m256 vm = _mm256_set1_ps(mx);
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    _mm256_storeu_ps(y + i, e);
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  if (i < n) {
    const __m256i mk = tail_mask(n - i);
    const __m256 e = _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_maskload_ps(x + i, mk), vm)), _mm256_castsi256_ps(mk));
    _mm256_maskstore_ps(y + i, mk, e);
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  alignas(32) double b[4];
  _mm256_store_pd(b, _mm256_add_pd(s0, s1));
  return (b[0] + b[1]) + (b[2] + b[3]);
}

// 8 mask bits -> 8 bytes of 0/1
struct ByteMaskTable {
  uint64_t v[256];
  constexpr ByteMaskTable() : v() {
    for (int b = 0; b < 256; b++) {
      uint64_t m = 0;
      for (int j = 0; j < 8; j++)
        if ((b >> j) & 1) m |= uint64_t(1) << (8 * j);
      v[b] = m;
    }
  }
};
constexpr ByteMaskTable kByteMask{};

// mix32 on 8 lanes (core/rng.h)
inline __m256i mix32_256(__m256i x) {
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
  x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
  x = _mm256_mullo_epi32(x, _mm256_set1_epi32(static_cast<int>(0x846ca68bu)));
  return _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
}

void dropout_fwd_avx2(const float* x, float* y, uint8_t* mask, size_t n, float ratio, float s, uint32_t base,
                      uint32_t first) {
  const __m256 vr = _mm256_set1_ps(ratio), vs = _mm256_set1_ps(s), unit = _mm256_set1_ps(1.0f / 16777216.0f);
  __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(base + first)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i step = _mm256_set1_epi32(8);
  for (size_t i = 0; i < n; i += 8) {
    const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(mix32_256(idx), 8)), unit);
    const __m256 keep = _mm256_cmp_ps(u, vr, _CMP_GT_OQ);
    const uint64_t bytes = kByteMask.v[_mm256_movemask_ps(keep)];
    if (i + 8 <= n) {
      _mm256_storeu_ps(y + i, _mm256_and_ps(keep, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs)));
      std::memcpy(mask + i, &bytes, 8);
    } else {
      const __m256i mk = tail_mask(n - i);
      _mm256_maskstore_ps(y + i, mk, _mm256_and_ps(keep, _mm256_mul_ps(_mm256_maskload_ps(x + i, mk), vs)));
      std::memcpy(mask + i, &bytes, n - i);
    }
    idx = _mm256_add_epi32(idx, step);
  }
}

void mask_scale_avx2(const float* dy, const uint8_t* mask, float s, float* dx, size_t n) {
  const __m256 vs = _mm256_set1_ps(s);
  const __m256i zero = _mm256_setzero_si256();
  for (size_t i = 0; i < n; i += 8) {
    uint64_t bytes = 0;
    const size_t cnt = n - i < 8 ? n - i : 8;
    std::memcpy(&bytes, mask + i, cnt);
    const __m256i m32 = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(bytes)));
    const __m256 keep = _mm256_castsi256_ps(_mm256_cmpgt_epi32(m32, zero));
    if (cnt == 8) {
      _mm256_storeu_ps(dx + i, _mm256_and_ps(keep, _mm256_mul_ps(_mm256_loadu_ps(dy + i), vs)));
    } else {
      const __m256i mk = tail_mask(cnt);
      _mm256_maskstore_ps(dx + i, mk, _mm256_and_ps(keep, _mm256_mul_ps(_mm256_maskload_ps(dy + i, mk), vs)));
    }
  }
}

}  // namespace

const ElementwiseKernels elementwise_kernels_avx2 = {
    "avx2",       add_avx2,     axpy_avx2,    scale_avx2,       col_sum_avx2,    act_fwd_avx2,
    act_bwd_avx2, max_avx2,     exp_sub_avx2, dropout_fwd_avx2, mask_scale_avx2, add_relu_avx2,
    relu_grad_sum_avx2,
};

}  // namespace simdnet
