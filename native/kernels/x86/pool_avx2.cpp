// AVX2 2x2 stride-2 max pooling (contract in core/pool.h, MaxPool2x2Kernels). Compiled with -mavx2 -mfma
// (native/sources.json); reached only through max_pool_2x2_kernels_avx2 when cpuid + XGETBV allow AVX2.
//
// 8 windows per step: two 8-float loads per input row split into even/odd columns (shuffle_ps + a 64-bit
// lane permute), then the reference's select chain a, b, c, d with strict '>' (the first maximum wins, NaN
// never replaces) on values and indices. Backward compares each argmax with its window's four positions and
// writes both rows of the window (dy + 0 where it matches, 0 elsewhere), re-interleaved with unpack + 128-bit
// permutes. The last 1..7 windows of a row take the same vector step with masked loads/stores. Every lane
// computes the reference's formulas, so the two tiers are bit-identical.
#include <immintrin.h>

#include <cstring>

#include "core/pool.h"

namespace simdnet {
namespace {

// Columns 0,2,..,14 and 1,3,..,15 of the 16 floats at p.
inline void split_even_odd(const float* p, __m256& even, __m256& odd) {
  const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
  even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xD8));
  odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xDD)), 0xD8));
}

// Stores e0 o0 e1 o1 ... e7 o7 (16 floats) at p.
inline void store_interleaved(float* p, __m256 e, __m256 o) {
  const __m256 lo = _mm256_unpacklo_ps(e, o), hi = _mm256_unpackhi_ps(e, o);
  _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}

// Lanes [0, n) set (n clamped to [0, 8] by the compare).
inline __m256i lanes_below(int64_t n) {
  const int c = n < 0 ? 0 : (n > 8 ? 8 : static_cast<int>(n));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// split_even_odd of a partial run: lanes outside mlo/mhi read nothing (their results are never stored).
inline void split_even_odd_masked(const float* p, __m256i mlo, __m256i mhi, __m256& even, __m256& odd) {
  const __m256 lo = _mm256_maskload_ps(p, mlo), hi = _mm256_maskload_ps(p + 8, mhi);
  even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xD8));
  odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xDD)), 0xD8));
}

inline void store_interleaved_masked(float* p, __m256 e, __m256 o, __m256i mlo, __m256i mhi) {
  const __m256 lo = _mm256_unpacklo_ps(e, o), hi = _mm256_unpackhi_ps(e, o);
  _mm256_maskstore_ps(p, mlo, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_maskstore_ps(p + 8, mhi, _mm256_permute2f128_ps(lo, hi, 0x31));
}

// The reference's select chain on 8 windows: a, b (row 0), c, d (row 1); ia = index of each window's a.
inline void select4(__m256 a, __m256 b, __m256 c, __m256 d, __m256i ia, __m256i wv, __m256i one, __m256& best,
                    __m256i& bi) {
  const __m256i ic = _mm256_add_epi32(ia, wv);
  best = a;
  bi = ia;
  __m256 m = _mm256_cmp_ps(b, best, _CMP_GT_OQ);
  bi = _mm256_blendv_epi8(bi, _mm256_add_epi32(ia, one), _mm256_castps_si256(m));
  best = _mm256_blendv_ps(best, b, m);
  m = _mm256_cmp_ps(c, best, _CMP_GT_OQ);
  bi = _mm256_blendv_epi8(bi, ic, _mm256_castps_si256(m));
  best = _mm256_blendv_ps(best, c, m);
  m = _mm256_cmp_ps(d, best, _CMP_GT_OQ);
  bi = _mm256_blendv_epi8(bi, _mm256_add_epi32(ic, one), _mm256_castps_si256(m));
  best = _mm256_blendv_ps(best, d, m);
}

// v (= dy + 0) routed to the window element argmax a names (ia: each window's first element): v0, v1 for
// row 0, v2, v3 for row 1; 0 elsewhere.
inline void route4(__m256 v, __m256i a, __m256i ia, __m256i wv, __m256i one, __m256& v0, __m256& v1, __m256& v2,
                   __m256& v3) {
  const __m256i d = _mm256_sub_epi32(a, ia), dw = _mm256_sub_epi32(d, wv), z = _mm256_setzero_si256();
  v0 = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_cmpeq_epi32(d, z)));
  v1 = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_cmpeq_epi32(d, one)));
  v2 = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_cmpeq_epi32(dw, z)));
  v3 = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_cmpeq_epi32(dw, one)));
}

}  // namespace

void max_pool_2x2_forward_avx2(const float* x, int64_t W, int64_t OH, int64_t OW, float* y, int32_t* argmax,
                               int32_t base) {
  const __m256i iota2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), wv = _mm256_set1_epi32(static_cast<int>(W));
  for (int64_t oh = 0; oh < OH; ++oh) {
    const float* r0 = x + 2 * oh * W;
    const float* r1 = r0 + W;
    float* yr = y + oh * OW;
    int32_t* ar = argmax + oh * OW;
    const int32_t i0 = base + static_cast<int32_t>(2 * oh * W);
    int64_t ow = 0;
    for (; ow + 8 <= OW; ow += 8) {
      __m256 a, b, c, d;
      split_even_odd(r0 + 2 * ow, a, b);
      split_even_odd(r1 + 2 * ow, c, d);
      __m256 best;
      __m256i bi;
      select4(a, b, c, d, _mm256_add_epi32(_mm256_set1_epi32(i0 + static_cast<int32_t>(2 * ow)), iota2), wv, one, best, bi);
      _mm256_storeu_ps(yr + ow, best);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(ar + ow), bi);
    }
    if (ow < OW) {  // the last 1..7 windows: masked loads (masked lanes read nothing) and masked stores
      const int64_t rem = OW - ow;
      const __m256i mlo = lanes_below(2 * rem), mhi = lanes_below(2 * rem - 8);
      __m256 a, b, c, d;
      split_even_odd_masked(r0 + 2 * ow, mlo, mhi, a, b);
      split_even_odd_masked(r1 + 2 * ow, mlo, mhi, c, d);
      __m256 best;
      __m256i bi;
      select4(a, b, c, d, _mm256_add_epi32(_mm256_set1_epi32(i0 + static_cast<int32_t>(2 * ow)), iota2), wv, one, best, bi);
      const __m256i m = lanes_below(rem);
      _mm256_maskstore_ps(yr + ow, m, best);
      _mm256_maskstore_epi32(ar + ow, m, bi);
    }
  }
}

void max_pool_2x2_backward_avx2(const float* dy, const int32_t* argmax, int64_t H, int64_t W, int64_t OH, int64_t OW,
                                float* dx, int32_t base) {
  const __m256i iota2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), wv = _mm256_set1_epi32(static_cast<int>(W));
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t oh = 0; oh < OH; ++oh) {
    float* r0 = dx + 2 * oh * W;
    float* r1 = r0 + W;
    const float* dr = dy + oh * OW;
    const int32_t* ar = argmax + oh * OW;
    const int32_t i0 = base + static_cast<int32_t>(2 * oh * W);
    int64_t ow = 0;
    for (; ow + 8 <= OW; ow += 8) {
      __m256 v0, v1, v2, v3;
      route4(_mm256_add_ps(_mm256_loadu_ps(dr + ow), zero), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ar + ow)),
             _mm256_add_epi32(_mm256_set1_epi32(i0 + static_cast<int32_t>(2 * ow)), iota2), wv, one, v0, v1, v2, v3);
      store_interleaved(r0 + 2 * ow, v0, v1);
      store_interleaved(r1 + 2 * ow, v2, v3);
    }
    if (ow < OW) {  // the last 1..7 windows, masked
      const int64_t rem = OW - ow;
      const __m256i m = lanes_below(rem), mlo = lanes_below(2 * rem), mhi = lanes_below(2 * rem - 8);
      __m256 v0, v1, v2, v3;
      route4(_mm256_add_ps(_mm256_maskload_ps(dr + ow, m), zero), _mm256_maskload_epi32(ar + ow, m),
             _mm256_add_epi32(_mm256_set1_epi32(i0 + static_cast<int32_t>(2 * ow)), iota2), wv, one, v0, v1, v2, v3);
      store_interleaved_masked(r0 + 2 * ow, v0, v1, mlo, mhi);
      store_interleaved_masked(r1 + 2 * ow, v2, v3, mlo, mhi);
    }
    for (int64_t w = 2 * OW; w < W; ++w) r0[w] = r1[w] = 0.0f;  // odd W: the last column is in no window
  }
  for (int64_t h = 2 * OH; h < H; ++h) std::memset(dx + h * W, 0, sizeof(float) * static_cast<std::size_t>(W));
}

const MaxPool2x2Kernels max_pool_2x2_kernels_avx2 = {"avx2", max_pool_2x2_forward_avx2, max_pool_2x2_backward_avx2};

}  // namespace simdnet
