// Scalar references of the direct-convolution kernels (contracts in conv_direct.h), compiled at baseline: the
// reference tier's table, so the direct drivers (conv_tiles, conv_pack_weights, loop_fwd_direct, the segments,
// the lane partials and their reduction) run, and are tested, on every tier; also the oracle the C++ kernel test
// (native/dev/) compares the AVX2 and AVX-512 kernels with.
#include "core/conv_direct.h"
#include "core/conv_loops.h"

namespace simdnet {
namespace {

constexpr int kLanes = 8;

// One tile: rows [0, m) of R computed, positions of two 8-lane segments (mask1 == 0: only the first). Reads all 8
// lanes of each segment (the inputs carry 16 floats of slack), stores only the masked ones. acc = acc + a*b per
// k in order (no FMA at baseline), then + bias, then the Relu layer's t <= 0 ? 0 : t (-0 becomes +0, NaN passes).
template <int R>
void fwd_tile(int64_t K, const float* a, const int32_t* off, const float* b0, const float* b1, uint32_t mask0,
              uint32_t mask1, const float* bias, bool relu, float* c0, float* c1, int64_t P, int m) {
  float acc[R][2][kLanes] = {};
  for (int64_t k = 0; k < K; ++k) {
    const float* r0 = b0 + off[k];
    const float* r1 = b1 + off[k];
    const float* ak = a + k * R;
    for (int i = 0; i < R; ++i) {
      for (int l = 0; l < kLanes; ++l) {
        acc[i][0][l] += ak[i] * r0[l];
        acc[i][1][l] += ak[i] * r1[l];
      }
    }
  }
  for (int i = 0; i < m; ++i) {
    for (int h = 0; h < 2; ++h) {
      const uint32_t mask = h == 0 ? mask0 : mask1;
      float* c = (h == 0 ? c0 : c1) + i * P;
      for (int l = 0; l < kLanes; ++l) {
        if (!(mask >> l & 1u)) continue;
        float t = acc[i][h][l];
        if (bias) t += bias[i];
        if (relu) t = t <= 0.0f ? 0.0f : t;
        c[l] = t;
      }
    }
  }
}

}  // namespace

void conv_fwd_direct_6x16_ref(const float* xp, const float* wpack, const ConvTile* tiles, int64_t ntiles,
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

// acc[((c*KH + kh)*KW + kw)*F + f][lane] (= when `first`, else +=) the sum over segments, in order, of
// dy[f, out_off + lane] * xp[c, kh + row, xp_off + kw + lane]: the AVX-512 kernel's per-lane sums, one
// multiply-add each (lanes past a segment's length add nothing).
void conv_dw_direct_x16_ref(const float* xp, const float* dy, const WindowGeom& g, int64_t F, const ConvSegment* segs,
                            int64_t nseg, float* acc, bool first) {
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, P = g.OH * g.OW;
  const int64_t n = g.C * g.KH * g.KW * F * 16;
  if (first) {
    for (int64_t j = 0; j < n; ++j) acc[j] = 0.0f;
  }
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const float* xrow = xp + c * Hp * Wp + kh * Wp;
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        for (int64_t f = 0; f < F; ++f) {
          float* a = acc + (((c * g.KH + kh) * g.KW + kw) * F + f) * 16;
          const float* d = dy + f * P;
          for (int64_t s = 0; s < nseg; ++s) {
            const ConvSegment& sg = segs[s];
            for (int l = 0; l < 16; ++l) {
              if (sg.mask >> l & 1u) a[l] += d[sg.out_off + l] * xrow[sg.xp_off + kw + l];
            }
          }
        }
      }
    }
  }
}

void conv_pad_image_ref(const float* xn, const WindowGeom& g, float* xp) { loop_pad_image(xn, g, xp); }
void conv_expand_image_ref(const float* xn, const WindowGeom& g, float* xe) { loop_expand_image(xn, g, xe); }
void conv_relu_mask_bias_grad_ref(const float* dy, const float* y, int64_t F, int64_t P, float* m, float* db,
                                  bool first) {
  loop_relu_mask_bias_grad(dy, y, F, P, m, db, first);
}
void conv_bias_grad_ref(const float* dyn, int64_t F, int64_t P, float* db, bool first) {
  loop_bias_grad(dyn, F, P, db, first);
}

const ConvDirectKernels conv_direct_kernels_ref = {
    "reference", kLanes, 6, conv_fwd_direct_6x16_ref, conv_pad_image_ref, conv_expand_image_ref,
    conv_relu_mask_bias_grad_ref, conv_bias_grad_ref, conv_dw_direct_x16_ref, conv_dw_taps_ref,
};

}  // namespace simdnet
