// AVX-512 Winograd F(4x4, 3x3) kernels (contracts and layouts in core/winograd.h): pack and unpack by 16x16
// register transposes, the transforms of core/winograd_loops.h over 16 channels or filters per zmm, and the 36
// GEMMs by a register-tiled micro-kernel (R tiles x NV*16 filters of accumulators, NV = 4, 2, 1).
// Compiled with -mavx512f -mavx512vl -mavx512bw -mfma (native/sources.json, group "avx512"); reached only through
// winograd_kernels_avx512, which kernels.cpp puts in the avx512 table when cpuid + XGETBV allow.
#include <immintrin.h>

// GCC 12's AVX-512 shuffle intrinsics start from _mm512_undefined_ps() (a self-initialized variable), which its
// -Wmaybe-uninitialized reports once per inlined use in the transposes below.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "core/winograd.h"
#include "core/winograd_loops.h"

namespace simdnet {
namespace {

struct ZmmOps {
  using V = __m512;
  static constexpr int L = 16;
  static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, __m512 v) { _mm512_storeu_ps(p, v); }
  static __m512 zero() { return _mm512_setzero_ps(); }
  static __m512 relu(__m512 v) {  // v <= 0 ? 0 : v (-0 becomes +0, NaN passes)
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_setzero_ps());
  }
};

// r[i][j] -> r[j][i] for a 16x16 block held as 16 rows.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // r[4i + j]: column 4k + j of rows 4i..4i+3 in 128-bit lane k
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
    t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
    t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
    r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
  }
}

// Lanes [lo, hi) of 16 (clamped).
inline __mmask16 lane_range(int64_t lo, int64_t hi) {
  if (lo < 0) lo = 0;
  if (hi > 16) hi = 16;
  if (hi <= lo) return 0;
  return static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
}

// One GEMM tile: c[i][v*16 + l] = sum over k of a[i*lda + k] * b[v*bs + k*16 + l], i < R, v < NV.
template <int R, int NV>
void gemm_tile(const float* a, int64_t lda, const float* b, int64_t bs, int64_t K, float* c, int64_t ldc) {
  __m512 acc[R][NV];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  const float* ar[R];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) ar[i] = a + i * lda;
  for (int64_t k = 0; k < K; ++k) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + v * bs + k * 16);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(ar[i][k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + i * ldc + v * 16, acc[i][v]);
  }
}

using GemmTileFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t);

// Rows per tile: NV = 4: 6 (24 accumulators); NV = 2 and 1: 8 (16 and 8; a row pointer each).
constexpr int rows_for(int NV) { return NV == 4 ? 6 : 8; }

// The tile of r rows, 1 <= r <= rows_for(NV).
template <int NV>
GemmTileFn tile_fn(int64_t r) {
  switch (r) {
    case 1: return gemm_tile<1, NV>;
    case 2: return gemm_tile<2, NV>;
    case 3: return gemm_tile<3, NV>;
    case 4: return gemm_tile<4, NV>;
    case 5: return gemm_tile<5, NV>;
    case 6: return gemm_tile<6, NV>;
    default: break;
  }
  if constexpr (NV != 4) {
    if (r == 7) return gemm_tile<7, NV>;
    return gemm_tile<8, NV>;
  }
  return gemm_tile<6, NV>;  // not reached: r <= 6
}

// Rows in ceil(T / MR) blocks of as equal size as they go (49 tiles: 7 x 7, not 6 x 8 + 1).
template <int NV>
void gemm_all(const float* V, const float* U, const WinogradGeom& q, float* M) {
  constexpr int MR = rows_for(NV);
  const int64_t T = q.T, K = q.C, Cp = q.Cp, Fp = q.Fp, P = Fp / 16, bs = K * 16;
  const int64_t nb = (T + MR - 1) / MR, base = T / nb, extra = T % nb;
  const GemmTileFn big = tile_fn<NV>(base + 1), small = tile_fn<NV>(base);
  for (int64_t e = 0; e < 36; ++e) {
    const float* A = V + e * q.VS;
    const float* B = U + e * P * bs;
    float* Cm = M + e * q.MS;
    for (int64_t p = 0; p < P; p += NV) {
      int64_t t0 = 0;
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t r = j < extra ? base + 1 : base;
        (j < extra ? big : small)(A + t0 * Cp, Cp, B + p * bs, bs, K, Cm + t0 * Fp + p * 16, Fp);
        t0 += r;
      }
    }
  }
}

}  // namespace

void winograd_pack_avx512(const float* xn, const WinogradGeom& q, float* xt) {
  const int64_t Cp = q.Cp, Wq = q.Wq, H = q.H, W = q.W, pad = q.pad;
  for (int64_t hq = 0; hq < q.Hq; ++hq) {
    float* row = xt + hq * Wq * Cp;
    const int64_t h = hq - pad;
    if (h < 0 || h >= H) {
      for (int64_t i = 0; i < Wq * Cp; i += 16) _mm512_storeu_ps(row + i, _mm512_setzero_ps());
      continue;
    }
    for (int64_t w0 = 0; w0 < Wq; w0 += 16) {
      const int64_t n = Wq - w0 < 16 ? Wq - w0 : 16;
      // padded column w0 + l is input column w0 + l - pad
      const __mmask16 m = lane_range(pad - w0, W + pad - w0) & lane_range(0, n);
      for (int64_t c0 = 0; c0 < Cp; c0 += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; ++i) {
          const int64_t c = c0 + i;
          r[i] = c < q.C ? _mm512_maskz_loadu_ps(m, xn + (c * H + h) * W + (w0 - pad)) : _mm512_setzero_ps();
        }
        transpose16(r);
        for (int64_t l = 0; l < n; ++l) _mm512_storeu_ps(row + (w0 + l) * Cp + c0, r[l]);
      }
    }
  }
}

void winograd_input_avx512(const float* xt, const WinogradGeom& q, float* V) {
  loop_winograd_input<ZmmOps>(xt, q, V);
}

void winograd_gemm_avx512(const float* V, const float* U, const WinogradGeom& q, float* M) {
  switch (q.NV) {
    case 4: gemm_all<4>(V, U, q, M); break;
    case 2: gemm_all<2>(V, U, q, M); break;
    default: gemm_all<1>(V, U, q, M); break;
  }
}

void winograd_output_avx512(const float* M, const WinogradGeom& q, const float* bias, bool relu, float* yt) {
  loop_winograd_output<ZmmOps>(M, q, bias, relu, yt);
}

void winograd_unpack_avx512(const float* yt, const WinogradGeom& q, float* yn) {
  const int64_t Fp = q.Fp, OWq = 4 * q.TW, OH = q.OH, OW = q.OW;
  for (int64_t oh = 0; oh < OH; ++oh) {
    for (int64_t w0 = 0; w0 < OW; w0 += 16) {
      const int64_t n = OW - w0 < 16 ? OW - w0 : 16;
      const __mmask16 m = lane_range(0, n);
      for (int64_t f0 = 0; f0 < q.F; f0 += 16) {
        __m512 r[16];
        for (int64_t l = 0; l < 16; ++l) r[l] = l < n ? _mm512_loadu_ps(yt + (oh * OWq + w0 + l) * Fp + f0) : _mm512_setzero_ps();
        transpose16(r);
        const int64_t nf = q.F - f0 < 16 ? q.F - f0 : 16;
        for (int64_t i = 0; i < nf; ++i) _mm512_mask_storeu_ps(yn + ((f0 + i) * OH + oh) * OW + w0, m, r[i]);
      }
    }
  }
}

const WinogradKernels winograd_kernels_avx512 = {
    "avx512", winograd_pack_avx512, winograd_input_avx512, winograd_gemm_avx512, winograd_output_avx512,
    winograd_unpack_avx512,
};

}  // namespace simdnet
