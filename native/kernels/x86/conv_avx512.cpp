// AVX-512 direct convolution kernels, stride 1 (contracts and layouts in core/conv_direct.h): the weight gradient's
// lane loop and the implicit-GEMM forward.
// Compiled with -mavx512f -mavx512vl -mavx512bw -mfma (native/sources.json, group "avx512"); reached only through
// conv_direct_kernels_avx512, which kernels.cpp puts in the avx512 table when cpuid + XGETBV allow.
#include <immintrin.h>

#include "core/conv_direct.h"
#include "core/conv_loops.h"

namespace simdnet {
namespace {

// Filters per block for a kernel KW wide: FB*KW accumulators + KW shifted rows + one dy vector <= 32 registers.
constexpr int filters_per_block(int KW) {
  return KW == 1 ? 16 : KW == 2 ? 12 : KW == 3 ? 8 : KW == 4 ? 6 : KW == 5 ? 5 : KW == 6 ? 4 : 3;
}

// One (c, kh) and filters [f0, f0 + fb), fb <= FB: the 16-lane sums at acc[(kw*F + i)*16] (= when `first`,
// else +=) over the image's segments. Rows i >= fb repeat row fb - 1 (a partial last block; not stored).
template <int KW>
void dw_block(const float* x, const float* d, int64_t P, int64_t f0, int fb, const ConvSegment* segs, int64_t nseg,
              float* acc_out, int64_t F, bool first) {
  constexpr int FB = filters_per_block(KW);
  __m512 acc[FB][KW];
  // Every loop over acc has constant bounds and is fully unrolled: indexed at run time the array would live
  // in memory, and GCC then stores all accumulators on every segment.
#pragma GCC unroll 16
  for (int i = 0; i < FB; ++i) {
#pragma GCC unroll 8
    for (int kw = 0; kw < KW; ++kw) {
      acc[i][kw] = first || i >= fb ? _mm512_setzero_ps() : _mm512_loadu_ps(acc_out + (kw * F + i) * 16);
    }
  }
  int64_t row[FB];
  for (int i = 0; i < FB; ++i) row[i] = (f0 + (i < fb ? i : fb - 1)) * P;
  for (int64_t s = 0; s < nseg; ++s) {
    const __mmask16 m = static_cast<__mmask16>(segs[s].mask);
    const float* xs = x + segs[s].xp_off;
    const float* ds = d + segs[s].out_off;
    __m512 xv[KW];
#pragma GCC unroll 8
    for (int kw = 0; kw < KW; ++kw) xv[kw] = _mm512_maskz_loadu_ps(m, xs + kw);
#pragma GCC unroll 16
    for (int i = 0; i < FB; ++i) {
      const __m512 dv = _mm512_maskz_loadu_ps(m, ds + row[i]);
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; ++kw) acc[i][kw] = _mm512_fmadd_ps(dv, xv[kw], acc[i][kw]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < FB; ++i) {
#pragma GCC unroll 8
    for (int kw = 0; kw < KW; ++kw) {
      if (i < fb) _mm512_storeu_ps(acc_out + (kw * F + i) * 16, acc[i][kw]);
    }
  }
}

// Filter blocks outermost: a block's dy rows (FB*OH*OW floats) stay in L1 across every (c, kh).
template <int KW>
void dw_all(const float* xp, const float* dy, const WindowGeom& g, int64_t F, const ConvSegment* segs, int64_t nseg,
            float* acc, bool first) {
  constexpr int FB = filters_per_block(KW);
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, P = g.OH * g.OW;
  for (int64_t f0 = 0; f0 < F; f0 += FB) {
    const int fb = static_cast<int>(F - f0 < FB ? F - f0 : FB);
    for (int64_t c = 0; c < g.C; ++c) {
      for (int64_t kh = 0; kh < g.KH; ++kh) {
        float* out = acc + ((c * g.KH + kh) * KW * F + f0) * 16;
        dw_block<KW>(xp + c * Hp * Wp + kh * Wp, dy, P, f0, fb, segs, nseg, out, F, first);
      }
    }
  }
}

}  // namespace

void conv_dw_direct_x16_avx512(const float* xp, const float* dy, const WindowGeom& g, int64_t F, const ConvSegment* segs,
                           int64_t nseg, float* acc, bool first) {
  switch (g.KW) {
    case 1: dw_all<1>(xp, dy, g, F, segs, nseg, acc, first); break;
    case 2: dw_all<2>(xp, dy, g, F, segs, nseg, acc, first); break;
    case 3: dw_all<3>(xp, dy, g, F, segs, nseg, acc, first); break;
    case 4: dw_all<4>(xp, dy, g, F, segs, nseg, acc, first); break;
    case 5: dw_all<5>(xp, dy, g, F, segs, nseg, acc, first); break;
    case 6: dw_all<6>(xp, dy, g, F, segs, nseg, acc, first); break;
    case 7: dw_all<7>(xp, dy, g, F, segs, nseg, acc, first); break;
    default: break;  // the caller checked KW <= kDwDirectMaxKW
  }
}

}  // namespace simdnet

// ---- implicit-GEMM forward ------------------------------------------------------------------------------------

namespace simdnet {
namespace {

// One tile: rows [f0, f0 + m) of the output (m <= R), positions of two segments (s1 may be empty: m1 == 0).
// acc[i][h] = sum over k of a[k*R + i] * xp[b_h + off[k] + lane], then + bias, ReLU, masked store.
template <int R>
void fwd_tile(int64_t K, const float* a, const int32_t* off, const float* b0, const float* b1, __mmask16 m0,
              __mmask16 m1, const float* bias, bool relu, float* c0, float* c1, int64_t P, int m) {
  __m512 acc[R][2];
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < K; ++k) {
    const int32_t o = off[k];
    const __m512 v0 = _mm512_loadu_ps(b0 + o), v1 = _mm512_loadu_ps(b1 + o);
    const float* ak = a + k * R;
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(ak[i]);
      acc[i][0] = _mm512_fmadd_ps(av, v0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, v1, acc[i][1]);
    }
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) {
    if (i < m) {
      __m512 t0 = acc[i][0], t1 = acc[i][1];
      if (bias) {
        const __m512 bv = _mm512_set1_ps(bias[i]);
        t0 = _mm512_add_ps(t0, bv);
        t1 = _mm512_add_ps(t1, bv);
      }
      if (relu) {  // the Relu layer's t <= 0 ? 0 : t (-0 becomes +0, NaN passes)
        t0 = _mm512_mask_mov_ps(t0, _mm512_cmp_ps_mask(t0, zero, _CMP_LE_OQ), zero);
        t1 = _mm512_mask_mov_ps(t1, _mm512_cmp_ps_mask(t1, zero, _CMP_LE_OQ), zero);
      }
      _mm512_mask_storeu_ps(c0 + i * P, m0, t0);
      if (m1) _mm512_mask_storeu_ps(c1 + i * P, m1, t1);
    }
  }
}

}  // namespace

void conv_fwd_direct_12x32_avx512(const float* xp, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                            const int32_t* off, int64_t K, const ConvSegment* segs, int64_t nseg, int64_t P,
                            const float* bias, bool relu, float* y) {
  loop_fwd_direct(xp, wpack, tiles, ntiles, segs, nseg, P, bias, y,
                  [&](int R, const float* a, const float* b0, const float* b1, uint32_t m0, uint32_t m1,
                      const float* bt, float* c0, float* c1, int m) {
                    const __mmask16 k0 = static_cast<__mmask16>(m0), k1 = static_cast<__mmask16>(m1);
                    switch (R) {
                      case 4: fwd_tile<4>(K, a, off, b0, b1, k0, k1, bt, relu, c0, c1, P, m); break;
                      case 8: fwd_tile<8>(K, a, off, b0, b1, k0, k1, bt, relu, c0, c1, P, m); break;
                      default: fwd_tile<12>(K, a, off, b0, b1, k0, k1, bt, relu, c0, c1, P, m); break;
                    }
                  });
}

// The image loops (padding, expansion, bias gradients): the AVX2 copies (there is no AVX-512 copy).
const ConvDirectKernels conv_direct_kernels_avx512 = {
    "avx512", 16, 12, conv_fwd_direct_12x32_avx512, conv_pad_image_avx2, conv_expand_image_avx2,
    conv_relu_mask_bias_grad_avx2, conv_bias_grad_avx2, conv_dw_direct_x16_avx512, conv_dw_taps_6x64_avx512,
};

}  // namespace simdnet
