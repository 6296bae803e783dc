// AVX-512 weight gradient over groups of images (contract in core/conv_direct.h, ConvDwTapsFn): tiles of T = 6 taps
// (broadcast from the image layouts) x NV zmm of filters (NV <= 4: up to 64 filters; 6*NV accumulators), the
// reduction over every position of every image of the group in registers.
// Compiled with -mavx512f -mavx512vl -mavx512bw -mfma (native/sources.json, group "avx512"); reached only through
// conv_direct_kernels_avx512, which kernels.cpp puts in the avx512 table when cpuid + XGETBV allow.
#include <immintrin.h>

#include "core/conv_direct.h"

namespace simdnet {
namespace {

constexpr int T = 6;

// Taps [k0, k0 + nt) (nt <= T; taps past nt repeat tap nt - 1: computed, not stored) x filters [f0, f0 + 16*NV)
// (lanes past F masked: loaded as 0, not stored). Per position: NV loads of dyT, T broadcasts, T*NV FMAs.
template <int NV>
void tile(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg, const int32_t* off, int nt,
          const int32_t* pos, int64_t P, int64_t F, int64_t f0, const __mmask16 (&m)[4], float* dw, bool first) {
  __m512 a[T][NV];
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) a[t][v] = _mm512_setzero_ps();
  }
  int64_t o[T];
  for (int t = 0; t < T; ++t) o[t] = off[t < nt ? t : nt - 1];
  for (int64_t n = 0; n < nimg; ++n) {
    const float* xn = x + n * xs;
    const float* d = dyT + n * dys + f0;
    for (int64_t p = 0; p < P; ++p, d += F) {
      const float* xp = xn + pos[p];
      __m512 dv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) dv[v] = _mm512_maskz_loadu_ps(m[v], d + 16 * v);
#pragma GCC unroll 6
      for (int t = 0; t < T; ++t) {
        const __m512 xv = _mm512_set1_ps(xp[o[t]]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) a[t][v] = _mm512_fmadd_ps(xv, dv[v], a[t][v]);
      }
    }
  }
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
    if (t >= nt) continue;
    float* out = dw + t * F + f0;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __m512 r = first ? a[t][v] : _mm512_add_ps(_mm512_maskz_loadu_ps(m[v], out + 16 * v), a[t][v]);
      _mm512_mask_storeu_ps(out + 16 * v, m[v], r);
    }
  }
}

}  // namespace

// Tap tiles outermost: a tile's rows of the group's layouts stay in L1 while the filter blocks stream dyT.
void conv_dw_taps_6x64_avx512(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg,
                              const int32_t* off, int64_t K, const int32_t* pos, int64_t P, int64_t F, float* dw,
                              bool first) {
  for (int64_t k0 = 0; k0 < K; k0 += T) {
    const int nt = static_cast<int>(K - k0 < T ? K - k0 : T);
    for (int64_t f0 = 0; f0 < F; f0 += 64) {
      const int64_t nf = F - f0 < 64 ? F - f0 : 64;
      __mmask16 m[4];
      for (int v = 0; v < 4; ++v) {
        const int64_t l = nf - 16 * v;
        m[v] = static_cast<__mmask16>(l >= 16 ? 0xFFFF : l <= 0 ? 0 : (1u << l) - 1);
      }
      float* out = dw + k0 * F;
      switch ((nf + 15) / 16) {
        case 1: tile<1>(x, xs, dyT, dys, nimg, off + k0, nt, pos, P, F, f0, m, out, first); break;
        case 2: tile<2>(x, xs, dyT, dys, nimg, off + k0, nt, pos, P, F, f0, m, out, first); break;
        case 3: tile<3>(x, xs, dyT, dys, nimg, off + k0, nt, pos, P, F, f0, m, out, first); break;
        default: tile<4>(x, xs, dyT, dys, nimg, off + k0, nt, pos, P, F, f0, m, out, first); break;
      }
    }
  }
}

}  // namespace simdnet
