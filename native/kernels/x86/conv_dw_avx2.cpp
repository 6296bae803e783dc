// AVX2/FMA weight gradient over groups of images (contract in core/conv_direct.h, ConvDwTapsFn): the AVX-512
// kernel's loop with tiles of T = 6 taps x NV ymm of filters (NV <= 2: up to 16 filters; 12 accumulators, 2 dyT
// vectors and one broadcast in 16 registers).
// Compiled with -mavx2 -mfma (native/sources.json, group "avx2"); reached only through conv_direct_kernels_avx2,
// which kernels.cpp puts in the avx2 table when cpuid + XGETBV allow.
#include <immintrin.h>

#include "core/conv_direct.h"

namespace simdnet {
namespace {

constexpr int T = 6;

// Lanes [0, n) set, n in [0, 8].
inline __m256i lanes_below(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Taps [k0, k0 + nt) x filters [f0, f0 + 8*NV) (as the AVX-512 tile: taps past nt not stored, filters past F
// masked: read as 0, not stored). A full block loads and stores plainly; a partial one through masks.
template <int NV, bool Masked>
void tile(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg, const int32_t* off, int nt,
          const int32_t* pos, int64_t P, int64_t F, int64_t f0, const __m256i (&m)[2], float* dw, bool first) {
  __m256 a[T][NV];
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) a[t][v] = _mm256_setzero_ps();
  }
  int64_t o[T];
  for (int t = 0; t < T; ++t) o[t] = off[t < nt ? t : nt - 1];
  for (int64_t n = 0; n < nimg; ++n) {
    const float* xn = x + n * xs;
    const float* d = dyT + n * dys + f0;
    for (int64_t p = 0; p < P; ++p, d += F) {
      const float* xp = xn + pos[p];
      __m256 dv[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) dv[v] = Masked ? _mm256_maskload_ps(d + 8 * v, m[v]) : _mm256_loadu_ps(d + 8 * v);
#pragma GCC unroll 6
      for (int t = 0; t < T; ++t) {
        const __m256 xv = _mm256_broadcast_ss(xp + o[t]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) a[t][v] = _mm256_fmadd_ps(xv, dv[v], a[t][v]);
      }
    }
  }
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
    if (t >= nt) continue;
    float* out = dw + t * F + f0;
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      if (Masked) {
        const __m256 r = first ? a[t][v] : _mm256_add_ps(_mm256_maskload_ps(out + 8 * v, m[v]), a[t][v]);
        _mm256_maskstore_ps(out + 8 * v, m[v], r);
      } else {
        _mm256_storeu_ps(out + 8 * v, first ? a[t][v] : _mm256_add_ps(_mm256_loadu_ps(out + 8 * v), a[t][v]));
      }
    }
  }
}

}  // namespace

void conv_dw_taps_6x16_avx2(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg,
                            const int32_t* off, int64_t K, const int32_t* pos, int64_t P, int64_t F, float* dw,
                            bool first) {
  for (int64_t k0 = 0; k0 < K; k0 += T) {
    const int nt = static_cast<int>(K - k0 < T ? K - k0 : T);
    float* out = dw + k0 * F;
    for (int64_t f0 = 0; f0 < F; f0 += 16) {
      const int64_t nf = F - f0 < 16 ? F - f0 : 16;
      const __m256i m[2] = {lanes_below(nf < 8 ? nf : 8), lanes_below(nf > 8 ? nf - 8 : 0)};
      if (nf == 16) tile<2, false>(x, xs, dyT, dys, nimg, off + k0, nt, pos, P, F, f0, m, out, first);
      else if (nf > 8) tile<2, true>(x, xs, dyT, dys, nimg, off + k0, nt, pos, P, F, f0, m, out, first);
      else if (nf == 8) tile<1, false>(x, xs, dyT, dys, nimg, off + k0, nt, pos, P, F, f0, m, out, first);
      else tile<1, true>(x, xs, dyT, dys, nimg, off + k0, nt, pos, P, F, f0, m, out, first);
    }
  }
}

}  // namespace simdnet
