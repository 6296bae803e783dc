// AVX2/FMA SGEMM micro-kernel and the FMA peak loop. Compiled with -mavx2 -mfma (native/sources.json);
// called only through sgemm_kernels_avx2 when cpuid + XGETBV say AVX2/FMA are usable.
#include <immintrin.h>

#include "core/sgemm_kernels.h"

namespace simdnet {
namespace {

constexpr int MR = 6, NR = 16;

// Lanes [0, n) set, n in [0, 8].
inline __m256i lanes_below(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Stores one row of the tile: c[0..n) = alpha*x + beta*c (beta == 0: c not read).
inline void store_row(float* c, __m256 x0, __m256 x1, __m256 va, __m256 vb, bool beta0, int n, __m256i m0,
                      __m256i m1) {
  x0 = _mm256_mul_ps(x0, va);
  x1 = _mm256_mul_ps(x1, va);
  if (n == NR) {
    if (!beta0) {
      x0 = _mm256_fmadd_ps(_mm256_loadu_ps(c), vb, x0);
      x1 = _mm256_fmadd_ps(_mm256_loadu_ps(c + 8), vb, x1);
    }
    _mm256_storeu_ps(c, x0);
    _mm256_storeu_ps(c + 8, x1);
    return;
  }
  if (!beta0) x0 = _mm256_fmadd_ps(_mm256_maskload_ps(c, m0), vb, x0);
  _mm256_maskstore_ps(c, m0, x0);
  if (n > 8) {
    if (!beta0) x1 = _mm256_fmadd_ps(_mm256_maskload_ps(c + 8, m1), vb, x1);
    _mm256_maskstore_ps(c + 8, m1, x1);
  }
}

#define SIMDNET_FMA_ROW(r, ar)                  \
  {                                             \
    const __m256 av = _mm256_broadcast_ss(ar);  \
    c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0); \
    c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1); \
  }

template <bool kPackedA, bool kPackedB>
inline void ukernel(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b, float* c,
                    int64_t rs_c, float alpha, float beta, int m, int n) {
  for (int r = 0; r < m; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * rs_c), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * rs_c + NR - 1), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  if (kPackedA) {
    // k columns of 6 contiguous floats (zero-padded past m): constant offsets, one pointer.
#pragma GCC unroll 4
    for (int64_t p = 0; p < k; ++p) {
      const __m256 b0 = kPackedB ? _mm256_load_ps(b) : _mm256_loadu_ps(b);
      const __m256 b1 = kPackedB ? _mm256_load_ps(b + 8) : _mm256_loadu_ps(b + 8);
      SIMDNET_FMA_ROW(0, a + 0)
      SIMDNET_FMA_ROW(1, a + 1)
      SIMDNET_FMA_ROW(2, a + 2)
      SIMDNET_FMA_ROW(3, a + 3)
      SIMDNET_FMA_ROW(4, a + 4)
      SIMDNET_FMA_ROW(5, a + 5)
      a += MR;
      b += kPackedB ? NR : rs_b;
    }
  } else {
    // The caller's A in place: six row pointers (rows past m repeat row m-1) and one running offset.
    const float* a0 = a;
    const float* a1 = a + (m > 1 ? 1 : 0) * rs_a;
    const float* a2 = a + (m > 2 ? 2 : m - 1) * rs_a;
    const float* a3 = a + (m > 3 ? 3 : m - 1) * rs_a;
    const float* a4 = a + (m > 4 ? 4 : m - 1) * rs_a;
    const float* a5 = a + (m > 5 ? 5 : m - 1) * rs_a;
    int64_t off = 0;
#pragma GCC unroll 2
    for (int64_t p = 0; p < k; ++p) {
      const __m256 b0 = kPackedB ? _mm256_load_ps(b) : _mm256_loadu_ps(b);
      const __m256 b1 = kPackedB ? _mm256_load_ps(b + 8) : _mm256_loadu_ps(b + 8);
      SIMDNET_FMA_ROW(0, a0 + off)
      SIMDNET_FMA_ROW(1, a1 + off)
      SIMDNET_FMA_ROW(2, a2 + off)
      SIMDNET_FMA_ROW(3, a3 + off)
      SIMDNET_FMA_ROW(4, a4 + off)
      SIMDNET_FMA_ROW(5, a5 + off)
      off += cs_a;
      b += kPackedB ? NR : rs_b;
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const bool beta0 = beta == 0.0f;
  const __m256i m0 = lanes_below(n < 8 ? n : 8), m1 = lanes_below(n > 8 ? n - 8 : 0);
  store_row(c, c00, c01, va, vb, beta0, n, m0, m1);
  if (m > 1) store_row(c + rs_c, c10, c11, va, vb, beta0, n, m0, m1);
  if (m > 2) store_row(c + 2 * rs_c, c20, c21, va, vb, beta0, n, m0, m1);
  if (m > 3) store_row(c + 3 * rs_c, c30, c31, va, vb, beta0, n, m0, m1);
  if (m > 4) store_row(c + 4 * rs_c, c40, c41, va, vb, beta0, n, m0, m1);
  if (m > 5) store_row(c + 5 * rs_c, c50, c51, va, vb, beta0, n, m0, m1);
}

#undef SIMDNET_FMA_ROW

}  // namespace

// sgemm_ukernel_6x16_avx2 — contract in sgemm_kernels.h.
//   Tile: MR x NR = 6 x 16, twelve ymm accumulators (6 rows x 2 vectors of 8). Per k step: two B loads,
//   six A broadcasts, twelve FMAs.
//   A~ packed (rs_a = 1, cs_a = 6: zero-padded past m) runs on one pointer with constant offsets; any other
//   strides (the caller's A in place) run on six row pointers, rows past m repeating row m-1.
//   B~ packed (rs_b = 16, 64-byte aligned) uses aligned loads; otherwise unaligned loads at stride rs_b.
//   Edge tiles: rows past m are not stored; columns past n are masked (vmaskmovps), so C outside the
//   m x n tile is never read or written. beta == 0: C is only stored.
void sgemm_ukernel_6x16_avx2(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b,
                             float* c, int64_t rs_c, float alpha, float beta, int m, int n) {
  const bool packed_a = rs_a == 1 && cs_a == MR;
  const bool packed_b = rs_b == NR && (reinterpret_cast<uintptr_t>(b) & 31) == 0;
  if (packed_a) {
    if (packed_b) ukernel<true, true>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
    else ukernel<true, false>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
  } else {
    if (packed_b) ukernel<false, true>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
    else ukernel<false, false>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
  }
}

// KC x NR = 16 KiB of B in L1, MC x KC = 144 KiB of A in L2, KC x NC = 4 MiB of B in L3 (core/cache.h).
static_assert(sgemm_blocking_fits(MR, NR, 144, 256, 4080), "blocking vs core/cache.h");
const SgemmKernels sgemm_kernels_avx2 = {"avx2", MR, NR, MR, NR, 144, 256, 4080, sgemm_ukernel_6x16_avx2};

// Twelve independent FMA chains of 8 lanes (FMA latency 4 x 2 ports needs at least 8 in flight).
double fma_peak_loop_avx2(int64_t iters) {
  const __m256 mul = _mm256_set1_ps(0.99999f), add = _mm256_set1_ps(1e-5f);
  __m256 x0 = _mm256_set1_ps(0.1f), x1 = _mm256_set1_ps(0.2f), x2 = _mm256_set1_ps(0.3f),
         x3 = _mm256_set1_ps(0.4f), x4 = _mm256_set1_ps(0.5f), x5 = _mm256_set1_ps(0.6f),
         x6 = _mm256_set1_ps(0.7f), x7 = _mm256_set1_ps(0.8f), x8 = _mm256_set1_ps(0.9f),
         x9 = _mm256_set1_ps(1.0f), x10 = _mm256_set1_ps(1.1f), x11 = _mm256_set1_ps(1.2f);
  for (int64_t i = 0; i < iters; ++i) {
    x0 = _mm256_fmadd_ps(x0, mul, add);
    x1 = _mm256_fmadd_ps(x1, mul, add);
    x2 = _mm256_fmadd_ps(x2, mul, add);
    x3 = _mm256_fmadd_ps(x3, mul, add);
    x4 = _mm256_fmadd_ps(x4, mul, add);
    x5 = _mm256_fmadd_ps(x5, mul, add);
    x6 = _mm256_fmadd_ps(x6, mul, add);
    x7 = _mm256_fmadd_ps(x7, mul, add);
    x8 = _mm256_fmadd_ps(x8, mul, add);
    x9 = _mm256_fmadd_ps(x9, mul, add);
    x10 = _mm256_fmadd_ps(x10, mul, add);
    x11 = _mm256_fmadd_ps(x11, mul, add);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3)),
                           _mm256_add_ps(_mm256_add_ps(x4, x5), _mm256_add_ps(x6, x7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(x8, x9), _mm256_add_ps(x10, x11)));
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return static_cast<double>(iters) * 12 * 8 * 2;
}

}  // namespace simdnet
