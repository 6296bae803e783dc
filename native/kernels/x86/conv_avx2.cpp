// AVX2/FMA implicit-GEMM convolution forward (contract and layouts in core/conv_direct.h): the AVX-512 kernel's
// loop with 8-lane vectors and tiles of up to 6 filters (12 ymm accumulators); and the AVX2 copies of the
// fused convolution's plain loops (core/conv_loops.h). Compiled with -mavx2 -mfma
// (native/sources.json, group "avx2"); reached only through conv_direct_kernels_avx2, which kernels.cpp puts in
// the avx2 and avx512 tables when cpuid + XGETBV allow.
#include <immintrin.h>

#include "core/conv_direct.h"
#include "core/conv_loops.h"

namespace simdnet {
namespace {

// Lanes [0, n) set, n in [0, 8].
inline __m256i lanes_below(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The set lanes of a prefix mask (a segment's positions) to c: one store when all 8 are set.
inline void store_prefix(float* c, uint32_t mask, __m256 v) {
  if (mask == 0xFF) _mm256_storeu_ps(c, v);
  else _mm256_maskstore_ps(c, lanes_below(__builtin_popcount(mask)), v);
}

// One tile: rows [f0, f0 + m) (m <= R) x the positions of two segments (s1 may be empty: mask1 == 0).
template <int R>
void fwd_tile(int64_t K, const float* a, const int32_t* off, const float* b0, const float* b1, uint32_t mask0,
              uint32_t mask1, const float* bias, bool relu, float* c0, float* c1, int64_t P, int m) {
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    acc[i][0] = _mm256_setzero_ps();
    acc[i][1] = _mm256_setzero_ps();
  }
  for (int64_t k = 0; k < K; ++k) {
    const int32_t o = off[k];
    const __m256 v0 = _mm256_loadu_ps(b0 + o), v1 = _mm256_loadu_ps(b1 + o);
    const float* ak = a + k * R;
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const __m256 av = _mm256_broadcast_ss(ak + i);
      acc[i][0] = _mm256_fmadd_ps(av, v0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(av, v1, acc[i][1]);
    }
  }
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    if (i < m) {
      __m256 t0 = acc[i][0], t1 = acc[i][1];
      if (bias) {
        const __m256 bv = _mm256_broadcast_ss(bias + i);
        t0 = _mm256_add_ps(t0, bv);
        t1 = _mm256_add_ps(t1, bv);
      }
      if (relu) {  // the Relu layer's t <= 0 ? 0 : t (-0 becomes +0, NaN passes)
        t0 = _mm256_blendv_ps(t0, zero, _mm256_cmp_ps(t0, zero, _CMP_LE_OQ));
        t1 = _mm256_blendv_ps(t1, zero, _mm256_cmp_ps(t1, zero, _CMP_LE_OQ));
      }
      store_prefix(c0 + i * P, mask0, t0);
      if (mask1) store_prefix(c1 + i * P, mask1, t1);
    }
  }
}

}  // namespace

void conv_fwd_direct_6x16_avx2(const float* xp, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                          const int32_t* off, int64_t K, const ConvSegment* segs, int64_t nseg, int64_t P,
                          const float* bias, bool relu, float* y) {
  loop_fwd_direct(xp, wpack, tiles, ntiles, segs, nseg, P, bias, y,
                  [&](int R, const float* a, const float* b0, const float* b1, uint32_t m0, uint32_t m1,
                      const float* bt, float* c0, float* c1, int m) {
                    switch (R) {
                      case 2: fwd_tile<2>(K, a, off, b0, b1, m0, m1, bt, relu, c0, c1, P, m); break;
                      case 4: fwd_tile<4>(K, a, off, b0, b1, m0, m1, bt, relu, c0, c1, P, m); break;
                      default: fwd_tile<6>(K, a, off, b0, b1, m0, m1, bt, relu, c0, c1, P, m); break;
                    }
                  });
}

void conv_pad_image_avx2(const float* xn, const WindowGeom& g, float* xp) { loop_pad_image(xn, g, xp); }
void conv_expand_image_avx2(const float* xn, const WindowGeom& g, float* xe) { loop_expand_image(xn, g, xe); }
void conv_relu_mask_bias_grad_avx2(const float* dy, const float* y, int64_t F, int64_t P, float* m, float* db,
                                   bool first) {
  loop_relu_mask_bias_grad(dy, y, F, P, m, db, first);
}
void conv_bias_grad_avx2(const float* dyn, int64_t F, int64_t P, float* db, bool first) {
  loop_bias_grad(dyn, F, P, db, first);
}

const ConvDirectKernels conv_direct_kernels_avx2 = {
    "avx2", 8, 6, conv_fwd_direct_6x16_avx2, conv_pad_image_avx2, conv_expand_image_avx2,
    conv_relu_mask_bias_grad_avx2, conv_bias_grad_avx2, nullptr, conv_dw_taps_6x16_avx2,
};

}  // namespace simdnet
