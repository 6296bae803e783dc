// Plain loops of the fused convolution that the compiler vectorizes: included by conv_im2col.cpp and
// conv_direct_ref.cpp (baseline x86-64)
// and by native/kernels/x86/conv_avx2.cpp / conv_avx512.cpp (compiled with their ISA's flags), each getting its
// own copy. Internal linkage
// (an anonymous namespace) keeps the AVX2 copies from ever being linked into the baseline path: with plain
// `inline` the linker may keep either TU's copy for both.
// Only additions, comparisons and copies (no multiply-add the compiler could contract into an FMA): both copies
// give bit-identical results.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/conv_direct.h"
#include "core/im2col.h"

namespace simdnet {
namespace {

// Both as bit masks, so the compiler vectorizes them (a ternary on random signs compiled to a branch costs
// a misprediction per element: it made the fused backward slower than a separate Relu pass).
inline uint32_t loop_bits_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}
inline float loop_float_of(uint32_t u) {
  float v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

// db (= when `first`, else +=) row sums of dy_n[F, P]; eight independent lanes so it vectorizes.
inline void loop_bias_grad(const float* dyn, int64_t F, int64_t P, float* db, bool first) {
  for (int64_t f = 0; f < F; ++f) {
    const float* d = dyn + f * P;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t p = 0;
    for (; p + 8 <= P; p += 8) {
      for (int j = 0; j < 8; ++j) acc[j] += d[p + j];
    }
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; p < P; ++p) s += d[p];
    db[f] = first ? s : db[f] + s;
  }
}

// m[f, p] = y[f, p] > 0 ? dy[f, p] : 0 (the Relu layer's backward mask x > 0; y > 0 exactly where the
// pre-activation is), and db from m in the same pass: summed while it is written, in loop_bias_grad's lanes and
// order, so bit for bit the db of loop_bias_grad(m).
inline void loop_relu_mask_bias_grad(const float* dy, const float* y, int64_t F, int64_t P, float* m, float* db,
                                     bool first) {
  for (int64_t f = 0; f < F; ++f) {
    const float* d = dy + f * P;
    const float* yf = y + f * P;
    float* mf = m + f * P;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t p = 0;
    for (; p + 8 <= P; p += 8) {
      for (int j = 0; j < 8; ++j) {
        const float v = loop_float_of(loop_bits_of(d[p + j]) & (0u - static_cast<uint32_t>(yf[p + j] > 0.0f)));
        mf[p + j] = v;
        acc[j] += v;
      }
    }
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; p < P; ++p) {
      const float v = loop_float_of(loop_bits_of(d[p]) & (0u - static_cast<uint32_t>(yf[p] > 0.0f)));
      mf[p] = v;
      s += v;
    }
    db[f] = first ? s : db[f] + s;
  }
}

// x_n[C, H, W] -> xp[C, Hp, Wp] with zero borders, plus 16 floats of zero slack after it: the forward kernels
// load whole vectors from a segment's start, up to 15 floats past the image's last element. Element loops, not
// memcpy/memset: rows are a few dozen floats, where a library call costs more than the copy.
inline void loop_pad_image(const float* xn, const WindowGeom& g, float* xp) {
  const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad, pad = g.pad, W = g.W;
  for (int64_t c = 0; c < g.C; ++c) {
    const float* src = xn + c * g.H * W;
    float* dst = xp + c * Hp * Wp;
    for (int64_t i = 0; i < pad * Wp; ++i) dst[i] = 0.0f;
    for (int64_t h = 0; h < g.H; ++h) {
      float* d = dst + (h + pad) * Wp;
      const float* s = src + h * W;
      for (int64_t i = 0; i < pad; ++i) d[i] = 0.0f;
      for (int64_t i = 0; i < W; ++i) d[pad + i] = s[i];
      for (int64_t i = pad + W; i < Wp; ++i) d[i] = 0.0f;
    }
    float* bottom = dst + (pad + g.H) * Wp;
    for (int64_t i = 0; i < pad * Wp; ++i) bottom[i] = 0.0f;
  }
  for (int64_t i = 0; i < 16; ++i) xp[g.C * Hp * Wp + i] = 0.0f;
}

// The W-expanded copy (conv_direct.h): xe[c][kw][h][ow] = xp[c, h, ow + kw], plus 16 floats of zero slack.
inline void loop_expand_image(const float* xn, const WindowGeom& g, float* xe) {
  const int64_t Hp = g.H + 2 * g.pad, OW = g.OW, pad = g.pad;
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = xn + c * g.H * g.W;
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      float* dst = xe + (c * g.KW + kw) * Hp * OW;
      // columns ow whose input column ow + kw - pad is inside the image
      int64_t lo, hi;
      valid_outputs(kw, pad, 1, g.W, OW, lo, hi);
      for (int64_t h = 0; h < Hp; ++h) {
        float* d = dst + h * OW;
        const int64_t ih = h - pad;
        if (ih < 0 || ih >= g.H) {
          for (int64_t ow = 0; ow < OW; ++ow) d[ow] = 0.0f;
          continue;
        }
        const float* s = xc + ih * g.W + kw - pad;
        for (int64_t ow = 0; ow < lo; ++ow) d[ow] = 0.0f;
        for (int64_t ow = lo; ow < hi; ++ow) d[ow] = s[ow];
        for (int64_t ow = hi; ow < OW; ++ow) d[ow] = 0.0f;
      }
    }
  }
  for (int64_t i = 0; i < 16; ++i) xe[g.C * g.KW * Hp * OW + i] = 0.0f;
}

// The implicit-GEMM forward's driver (conv_direct.h), the same for every vector width: segments in pairs, each
// pair through every filter tile. tile(R, a, b0, b1, mask0, mask1, bias, c0, c1, m) runs one tile of the ISA's
// kernel (R rows computed, m stored, bias nullable).
template <typename Tile>
inline void loop_fwd_direct(const float* xp, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                            const ConvSegment* segs, int64_t nseg, int64_t P, const float* bias, float* y, Tile tile) {
  for (int64_t s = 0; s < nseg; s += 2) {
    const ConvSegment& s0 = segs[s];
    const bool pair = s + 1 < nseg;
    const ConvSegment& s1 = pair ? segs[s + 1] : segs[s];
    const uint32_t m0 = s0.mask, m1 = pair ? s1.mask : 0;
    for (int64_t t = 0; t < ntiles; ++t) {
      const ConvTile& tl = tiles[t];
      tile(tl.R, wpack + tl.a_off, xp + s0.xp_off, xp + s1.xp_off, m0, m1, bias ? bias + tl.f0 : nullptr,
           y + tl.f0 * P + s0.out_off, y + tl.f0 * P + s1.out_off, tl.m);
    }
  }
}

}  // namespace
}  // namespace simdnet
