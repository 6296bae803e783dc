// AVX2/FMA pooled-in-registers inference forward (contract and layout in core/conv_pool_fwd.h): tiles of 3 filters
// x the 4 window phases of 8 pooled positions (12 ymm accumulators), and the phase planes' stride-2 gather (also the
// AVX-512 tier's). Compiled with -mavx2 -mfma (native/sources.json, group "avx2"); reached only through
// conv_pool_kernels_avx2 / the AVX-512 table, which kernels.cpp fills when cpuid + XGETBV allow.
#include <immintrin.h>

#include "core/conv_pool_fwd.h"

namespace simdnet {
namespace {

// Lanes [0, n) set, n in [0, 8].
inline __m256i lanes_below(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Filters [0, m) of R computed, pooled positions [0, 8) at pl (stored below n). Per tap: R broadcasts, then per
// phase one load and R FMAs (R + 1 + 4R <= 16 registers).
template <int R>
void tile(int64_t K, const float* a, const int32_t* off, const float* pl, int64_t o_dx, int64_t o_dy,
          const float* bias, bool relu, float* z, int64_t PP, int n, int m) {
  __m256 acc[R][4];
#pragma GCC unroll 3
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int f = 0; f < 4; ++f) acc[i][f] = _mm256_setzero_ps();
  const int64_t o3 = o_dx + o_dy;
  for (int64_t k = 0; k < K; ++k) {
    const float* p = pl + off[k];
    const float* ak = a + k * R;
    __m256 w[R];
#pragma GCC unroll 3
    for (int i = 0; i < R; ++i) w[i] = _mm256_broadcast_ss(ak + i);
    const __m256 v0 = _mm256_loadu_ps(p);
#pragma GCC unroll 3
    for (int i = 0; i < R; ++i) acc[i][0] = _mm256_fmadd_ps(w[i], v0, acc[i][0]);
    const __m256 v1 = _mm256_loadu_ps(p + o_dx);
#pragma GCC unroll 3
    for (int i = 0; i < R; ++i) acc[i][1] = _mm256_fmadd_ps(w[i], v1, acc[i][1]);
    const __m256 v2 = _mm256_loadu_ps(p + o_dy);
#pragma GCC unroll 3
    for (int i = 0; i < R; ++i) acc[i][2] = _mm256_fmadd_ps(w[i], v2, acc[i][2]);
    const __m256 v3 = _mm256_loadu_ps(p + o3);
#pragma GCC unroll 3
    for (int i = 0; i < R; ++i) acc[i][3] = _mm256_fmadd_ps(w[i], v3, acc[i][3]);
  }
  const __m256 zero = _mm256_setzero_ps();
  const __m256i mask = lanes_below(n);
#pragma GCC unroll 3
  for (int i = 0; i < R; ++i) {
    if (i >= m) break;
    __m256 t[4];
    const __m256 bv = bias ? _mm256_set1_ps(bias[i]) : zero;
#pragma GCC unroll 4
    for (int f = 0; f < 4; ++f) {
      t[f] = bias ? _mm256_add_ps(acc[i][f], bv) : acc[i][f];
      // the Relu layer's t <= 0 ? 0 : t (-0 becomes +0, NaN passes)
      if (relu) t[f] = _mm256_blendv_ps(t[f], zero, _mm256_cmp_ps(t[f], zero, _CMP_LE_OQ));
    }
    // the pool's best = v > best ? v : best in window order (max_ps(v, best) returns best unless v > best)
    __m256 best = t[0];
    best = _mm256_max_ps(t[1], best);
    best = _mm256_max_ps(t[2], best);
    best = _mm256_max_ps(t[3], best);
    if (n == 8) _mm256_storeu_ps(z + i * PP, best);
    else _mm256_maskstore_ps(z + i * PP, mask, best);
  }
}

}  // namespace

void conv_pool_fwd_3x4_avx2(const float* planes, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                            const int32_t* off, int64_t K, int64_t o_dx, int64_t o_dy, int64_t PP, const float* bias,
                            bool relu, float* z) {
  for (int64_t q = 0; q < PP; q += 8) {
    const int n = static_cast<int>(PP - q < 8 ? PP - q : 8);
    for (int64_t t = 0; t < ntiles; ++t) {
      const ConvTile& tl = tiles[t];
      const float* a = wpack + tl.a_off;
      const float* bt = bias ? bias + tl.f0 : nullptr;
      float* zt = z + tl.f0 * PP + q;
      switch (tl.R) {
        case 1: tile<1>(K, a, off, planes + q, o_dx, o_dy, bt, relu, zt, PP, n, tl.m); break;
        case 2: tile<2>(K, a, off, planes + q, o_dx, o_dy, bt, relu, zt, PP, n, tl.m); break;
        default: tile<3>(K, a, off, planes + q, o_dx, o_dy, bt, relu, zt, PP, n, tl.m); break;
      }
    }
  }
}

// Rows of each plane: 8 pooled positions per step from 16 floats of the padded row (its even columns: shuffle +
// 64-bit lane permute), stored whole — a row's last step spills into the next row (written after it) or, after
// the last plane, into the 16 floats of slack; the lanes [PP, PPs) are zeroed after the rows.
void conv_pool_planes_avx2(const float* xp, const WindowGeom& g, float* planes) {
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, PH = g.OH / 2, PW = g.OW / 2;
  const int64_t PP = PH * PW, PPs = conv_pool_plane_stride(g);
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t a = 0; a <= g.KH; ++a) {
      for (int64_t b = 0; b <= g.KW; ++b) {
        float* d = planes + ((c * (g.KH + 1) + a) * (g.KW + 1) + b) * PPs;
        for (int64_t ph = 0; ph < PH; ++ph) {
          const float* s = xp + (c * Hp + 2 * ph + a) * Wp + b;
          float* dr = d + ph * PW;
          for (int64_t pw = 0; pw < PW; pw += 8) {
            const __m256 lo = _mm256_loadu_ps(s + 2 * pw), hi = _mm256_loadu_ps(s + 2 * pw + 8);
            const __m256 even =
                _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xD8));
            _mm256_storeu_ps(dr + pw, even);
          }
        }
        for (int64_t q = PP; q < PPs; ++q) d[q] = 0.0f;
      }
    }
  }
}

const ConvPoolKernels conv_pool_kernels_avx2 = {"avx2", 8, 3, conv_pool_fwd_3x4_avx2, conv_pool_planes_avx2};

}  // namespace simdnet
