// AVX-512 SGEMM micro-kernel and FMA peak loop. Compiled with -mavx512f -mavx512vl -mavx512bw -mfma
// (native/sources.json, group "avx512"); called only through sgemm_kernels_avx512 when cpuid + XGETBV say
// AVX-512 F/VL/BW and the opmask/ZMM state are usable.
#include <immintrin.h>

#include "core/sgemm_kernels.h"

namespace simdnet {
namespace {

constexpr int MR = 12, NR = 32;

// Stores one row of the tile: c[0..n) = alpha*x + beta*c (beta == 0: c not read); m0/m1 mask the columns.
inline void store_row(float* c, __m512 x0, __m512 x1, __m512 va, __m512 vb, bool beta0, bool full, __mmask16 m0,
                      __mmask16 m1) {
  x0 = _mm512_mul_ps(x0, va);
  x1 = _mm512_mul_ps(x1, va);
  if (full) {
    if (!beta0) {
      x0 = _mm512_fmadd_ps(_mm512_loadu_ps(c), vb, x0);
      x1 = _mm512_fmadd_ps(_mm512_loadu_ps(c + 16), vb, x1);
    }
    _mm512_storeu_ps(c, x0);
    _mm512_storeu_ps(c + 16, x1);
    return;
  }
  if (!beta0) x0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, c), vb, x0);
  _mm512_mask_storeu_ps(c, m0, x0);
  if (m1) {
    if (!beta0) x1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, c + 16), vb, x1);
    _mm512_mask_storeu_ps(c + 16, m1, x1);
  }
}

// Rows r >= R and the second column vector when V == 1 (compile-time constants) are not computed at all.
#define SIMDNET_FMA_ROW(r, ar)                                  \
  if (r < R) {                                                  \
    const __m512 av = _mm512_set1_ps(*(ar));                    \
    c##r##_0 = _mm512_fmadd_ps(av, b0, c##r##_0);               \
    if (V == 2) c##r##_1 = _mm512_fmadd_ps(av, b1, c##r##_1);  \
  }

#define SIMDNET_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// R: the rows computed (4, 8 or 12, >= m): an edge tile of m <= 8 rows costs R/12 of a full one. V: the
// column vectors computed (1 when n <= 16: a 16-wide tile costs half a full one).
template <int R, int V, bool kPackedA, bool kPackedB>
inline void ukernel(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b, float* c,
                    int64_t rs_c, float alpha, float beta, int m, int n) {
  for (int r = 0; r < m; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * rs_c), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * rs_c + NR - 1), _MM_HINT_T0);
  }
#define SIMDNET_DECL(r) __m512 c##r##_0 = _mm512_setzero_ps(), c##r##_1 = _mm512_setzero_ps();
  SIMDNET_ROWS(SIMDNET_DECL)
#undef SIMDNET_DECL
  if (kPackedA) {
    // k columns of 12 contiguous floats (zero-padded past m): constant offsets from one pointer.
#pragma GCC unroll 4
    for (int64_t p = 0; p < k; ++p) {
      const __m512 b0 = kPackedB ? _mm512_load_ps(b) : _mm512_loadu_ps(b);
      const __m512 b1 = V == 1 ? b0 : kPackedB ? _mm512_load_ps(b + 16) : _mm512_loadu_ps(b + 16);
#define SIMDNET_STEP(r) SIMDNET_FMA_ROW(r, a + r)
      SIMDNET_ROWS(SIMDNET_STEP)
#undef SIMDNET_STEP
      a += MR;
      b += kPackedB ? NR : rs_b;
    }
  } else {
    // The caller's A in place: twelve row pointers (rows past m repeat row m-1), one running offset.
    const float* ar[MR];
    for (int r = 0; r < MR; ++r) ar[r] = a + (r < m ? r : m - 1) * rs_a;
#define SIMDNET_PTR(r) const float* a##r = ar[r];
    SIMDNET_ROWS(SIMDNET_PTR)
#undef SIMDNET_PTR
    int64_t off = 0;
#pragma GCC unroll 2
    for (int64_t p = 0; p < k; ++p) {
      const __m512 b0 = kPackedB ? _mm512_load_ps(b) : _mm512_loadu_ps(b);
      const __m512 b1 = V == 1 ? b0 : kPackedB ? _mm512_load_ps(b + 16) : _mm512_loadu_ps(b + 16);
#define SIMDNET_STEP(r) SIMDNET_FMA_ROW(r, a##r + off)
      SIMDNET_ROWS(SIMDNET_STEP)
#undef SIMDNET_STEP
      off += cs_a;
      b += kPackedB ? NR : rs_b;
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const bool beta0 = beta == 0.0f, full = n == NR;
  const __mmask16 m0 = static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1);
  const __mmask16 m1 = static_cast<__mmask16>(n <= 16 ? 0 : n >= 32 ? 0xFFFF : (1u << (n - 16)) - 1);
#define SIMDNET_STORE(r) \
  if (r < R && r < m) store_row(c + r * rs_c, c##r##_0, c##r##_1, va, vb, beta0, full, m0, m1);
  SIMDNET_ROWS(SIMDNET_STORE)
#undef SIMDNET_STORE
}

#undef SIMDNET_FMA_ROW
#undef SIMDNET_ROWS

template <int R, int V>
inline void dispatch(bool packed_a, bool packed_b, int64_t k, const float* a, int64_t rs_a, int64_t cs_a,
                     const float* b, int64_t rs_b, float* c, int64_t rs_c, float alpha, float beta, int m, int n) {
  if (packed_a) {
    if (packed_b) ukernel<R, V, true, true>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
    else ukernel<R, V, true, false>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
  } else {
    if (packed_b) ukernel<R, V, false, true>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
    else ukernel<R, V, false, false>(k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
  }
}

template <int V>
inline void dispatch_rows(bool packed_a, bool packed_b, int64_t k, const float* a, int64_t rs_a, int64_t cs_a,
                          const float* b, int64_t rs_b, float* c, int64_t rs_c, float alpha, float beta, int m, int n) {
  if (m <= 4) dispatch<4, V>(packed_a, packed_b, k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
  else if (m <= 8) dispatch<8, V>(packed_a, packed_b, k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
  else dispatch<12, V>(packed_a, packed_b, k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
}

}  // namespace

// sgemm_ukernel_12x32_avx512 — contract in sgemm_kernels.h.
//   Tile: MR x NR = 12 x 32, twenty-four zmm accumulators (12 rows x 2 vectors of 16). Per k step: two B
//   loads, twelve A broadcasts, twenty-four FMAs.
//   A~ packed (rs_a = 1, cs_a = 12: zero-padded past m) runs on one pointer with constant offsets; any other
//   strides (the caller's A in place) run on twelve row pointers, rows past m repeating row m-1.
//   B~ packed (rs_b = 32, 64-byte aligned) uses aligned loads; otherwise unaligned loads at stride rs_b.
//   Edge tiles: rows past m are not stored, and only round_up(m, 4) rows (and, for n <= 16, one column
//   vector) are computed; columns past n are masked (opmask loads/stores), so C outside
//   the m x n tile is never read or written. beta == 0: C is only stored.
void sgemm_ukernel_12x32_avx512(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b,
                                int64_t rs_b, float* c, int64_t rs_c, float alpha, float beta, int m, int n) {
  const bool packed_a = rs_a == 1 && cs_a == MR;
  const bool packed_b = rs_b == NR && (reinterpret_cast<uintptr_t>(b) & 63) == 0;
  if (n <= 16) dispatch_rows<1>(packed_a, packed_b, k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
  else dispatch_rows<2>(packed_a, packed_b, k, a, rs_a, cs_a, b, rs_b, c, rs_c, alpha, beta, m, n);
}

// KC x NR = 32 KiB of B in L1, MC x KC = 96 KiB of A in L2, KC x NC = 4 MiB of B in L3 (core/cache.h). Edge tiles
// compute whole 4-row groups and 16-column halves.
static_assert(sgemm_blocking_fits(MR, NR, 96, 256, 4064), "blocking vs core/cache.h");
const SgemmKernels sgemm_kernels_avx512 = {"avx512", MR, NR, 4, 16, 96, 256, 4064, sgemm_ukernel_12x32_avx512};

// Sixteen independent FMA chains of 16 lanes (FMA latency 4 x 2 ports needs at least 8 in flight).
double fma_peak_loop_avx512(int64_t iters) {
  const __m512 mul = _mm512_set1_ps(0.99999f), add = _mm512_set1_ps(1e-5f);
  __m512 x[16];
  for (int i = 0; i < 16; ++i) x[i] = _mm512_set1_ps(0.1f * (i + 1));
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) x[i] = _mm512_fmadd_ps(x[i], mul, add);
  }
  __m512 s = x[0];
  for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, x[i]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return static_cast<double>(iters) * 16 * 16 * 2;
}

}  // namespace simdnet
