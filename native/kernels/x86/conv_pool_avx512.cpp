// AVX-512 pooled-in-registers inference forward (contract and layout in core/conv_pool_fwd.h): tiles of up to 6
// filters x the 4 window phases of 16 pooled positions, 24 zmm accumulators; per tap 4 vector loads (one per phase)
// and 6 broadcasts feed 24 FMAs. Compiled with -mavx512f -mavx512vl -mavx512bw -mfma (native/sources.json, group
// "avx512"); reached only through conv_pool_kernels_avx512, which kernels.cpp puts in the avx512 table when cpuid +
// XGETBV allow. The phase planes come from the AVX2 gather (conv_pool_avx2.cpp).
#include <immintrin.h>

#include "core/conv_pool_fwd.h"

namespace simdnet {
namespace {

// Filters [0, m) of R computed, pooled positions [0, 16) at pl (stored where `mask`).
template <int R>
void tile(int64_t K, const float* a, const int32_t* off, const float* pl, int64_t o_dx, int64_t o_dy,
          const float* bias, bool relu, float* z, int64_t PP, __mmask16 mask, int m) {
  __m512 acc[R][4];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int f = 0; f < 4; ++f) acc[i][f] = _mm512_setzero_ps();
  const int64_t o3 = o_dx + o_dy;
  for (int64_t k = 0; k < K; ++k) {
    const float* p = pl + off[k];
    const __m512 v0 = _mm512_loadu_ps(p), v1 = _mm512_loadu_ps(p + o_dx), v2 = _mm512_loadu_ps(p + o_dy),
                 v3 = _mm512_loadu_ps(p + o3);
    const float* ak = a + k * R;
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const __m512 w = _mm512_set1_ps(ak[i]);
      acc[i][0] = _mm512_fmadd_ps(w, v0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(w, v1, acc[i][1]);
      acc[i][2] = _mm512_fmadd_ps(w, v2, acc[i][2]);
      acc[i][3] = _mm512_fmadd_ps(w, v3, acc[i][3]);
    }
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    if (i >= m) break;
    __m512 t[4];
    const __m512 bv = bias ? _mm512_set1_ps(bias[i]) : zero;
#pragma GCC unroll 4
    for (int f = 0; f < 4; ++f) {
      t[f] = bias ? _mm512_add_ps(acc[i][f], bv) : acc[i][f];
      // the Relu layer's t <= 0 ? 0 : t (-0 becomes +0, NaN passes)
      if (relu) t[f] = _mm512_mask_mov_ps(t[f], _mm512_cmp_ps_mask(t[f], zero, _CMP_LE_OQ), zero);
    }
    // the pool's best = v > best ? v : best in window order
    __m512 best = t[0];
#pragma GCC unroll 3
    for (int f = 1; f < 4; ++f) best = _mm512_mask_mov_ps(best, _mm512_cmp_ps_mask(t[f], best, _CMP_GT_OQ), t[f]);
    _mm512_mask_storeu_ps(z + i * PP, mask, best);
  }
}

}  // namespace

void conv_pool_fwd_6x4_avx512(const float* planes, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                              const int32_t* off, int64_t K, int64_t o_dx, int64_t o_dy, int64_t PP,
                              const float* bias, bool relu, float* z) {
  for (int64_t q = 0; q < PP; q += 16) {
    const int64_t n = PP - q < 16 ? PP - q : 16;
    const __mmask16 mask = static_cast<__mmask16>((uint32_t(1) << n) - 1);
    for (int64_t t = 0; t < ntiles; ++t) {
      const ConvTile& tl = tiles[t];
      const float* a = wpack + tl.a_off;
      const float* bt = bias ? bias + tl.f0 : nullptr;
      float* zt = z + tl.f0 * PP + q;
      switch (tl.R) {
        case 2: tile<2>(K, a, off, planes + q, o_dx, o_dy, bt, relu, zt, PP, mask, tl.m); break;
        case 4: tile<4>(K, a, off, planes + q, o_dx, o_dy, bt, relu, zt, PP, mask, tl.m); break;
        default: tile<6>(K, a, off, planes + q, o_dx, o_dy, bt, relu, zt, PP, mask, tl.m); break;
      }
    }
  }
}

const ConvPoolKernels conv_pool_kernels_avx512 = {"avx512", 16, 6, conv_pool_fwd_6x4_avx512, conv_pool_planes_avx2};

}  // namespace simdnet
