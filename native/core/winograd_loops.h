// The Winograd F(4x4, 3x3) input and output transforms (contracts in winograd.h), written once over a vector type:
// included by core/winograd_ref.cpp (Ops::V = float, one channel at a time, baseline x86-64) and by
// native/kernels/x86/winograd_avx512.cpp (Ops::V = __m512, 16 channels or filters at a time; GCC's vector
// arithmetic), each getting its own copy. Internal linkage (an anonymous namespace) keeps the AVX-512 copy from
// being linked into the baseline path (the hazard conv_loops.h describes).
// Ops provides: V, L (lanes), load(p), store(p, v), zero(), relu(v) (v <= 0 ? 0 : v; NaN passes).
#pragma once
#include <cstdint>

#include "core/winograd.h"

namespace simdnet {
namespace {

// o = B^T d (one column or row of a 6x6 tile).
template <typename V>
inline void wino_bt(const V* d, V* o) {
  const V a = d[4] - d[2], b = d[3] - d[1];
  o[0] = (d[4] + 4.0f * d[0]) - 5.0f * d[2];
  o[1] = (d[3] + d[4]) - 4.0f * (d[1] + d[2]);
  o[2] = (d[4] - d[3]) + 4.0f * (d[1] - d[2]);
  o[3] = a + 2.0f * b;
  o[4] = a - 2.0f * b;
  o[5] = (d[5] + 4.0f * d[1]) - 5.0f * d[3];
}

// o = A^T m (6 -> 4).
template <typename V>
inline void wino_at(const V* m, V* o) {
  const V s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];
  o[0] = (m[0] + s12) + s34;
  o[1] = d12 + 2.0f * d34;
  o[2] = s12 + 4.0f * s34;
  o[3] = (d12 + 8.0f * d34) + m[5];
}

// xt[Hq][Wq][Cp] -> V[36][T][Cp]: per tile and group of L channels, B^T over the tile's rows, then over its columns.
template <class Ops>
inline void loop_winograd_input(const float* xt, const WinogradGeom& q, float* Vout) {
  using V = typename Ops::V;
  const int64_t Cp = q.Cp, Wq = q.Wq, ES = q.VS;
  for (int64_t th = 0; th < q.TH; ++th) {
    for (int64_t tw = 0; tw < q.TW; ++tw) {
      const int64_t t = th * q.TW + tw;
      const float* base = xt + (4 * th * Wq + 4 * tw) * Cp;
      float* out = Vout + t * Cp;
      for (int64_t c0 = 0; c0 < Cp; c0 += Ops::L) {
        V tmp[6][6];
        for (int j = 0; j < 6; ++j) {
          V d[6], o[6];
          for (int r = 0; r < 6; ++r) d[r] = Ops::load(base + (r * Wq + j) * Cp + c0);
          wino_bt(d, o);
          for (int r = 0; r < 6; ++r) tmp[r][j] = o[r];
        }
        for (int i = 0; i < 6; ++i) {
          V o[6];
          wino_bt(tmp[i], o);
          for (int j = 0; j < 6; ++j) Ops::store(out + (i * 6 + j) * ES + c0, o[j]);
        }
      }
    }
  }
}

// M[36][T][Fp] -> yt[4TH][4TW][Fp]: per tile and group of L filters, A^T over rows, then columns, + bias, ReLU.
template <class Ops>
inline void loop_winograd_output(const float* M, const WinogradGeom& q, const float* bias, bool relu, float* yt) {
  using V = typename Ops::V;
  const int64_t Fp = q.Fp, ES = q.MS, OWq = 4 * q.TW;
  for (int64_t th = 0; th < q.TH; ++th) {
    for (int64_t tw = 0; tw < q.TW; ++tw) {
      const int64_t t = th * q.TW + tw;
      const float* in = M + t * Fp;
      float* out = yt + (4 * th * OWq + 4 * tw) * Fp;
      for (int64_t f0 = 0; f0 < Fp; f0 += Ops::L) {
        V tmp[4][6];
        for (int j = 0; j < 6; ++j) {
          V m[6], o[4];
          for (int r = 0; r < 6; ++r) m[r] = Ops::load(in + (r * 6 + j) * ES + f0);
          wino_at(m, o);
          for (int i = 0; i < 4; ++i) tmp[i][j] = o[i];
        }
        const V bv = bias ? Ops::load(bias + f0) : Ops::zero();
        for (int i = 0; i < 4; ++i) {
          V o[4];
          wino_at(tmp[i], o);
          for (int j = 0; j < 4; ++j) {
            const V v = o[j] + bv;
            Ops::store(out + (i * OWq + j) * Fp + f0, relu ? Ops::relu(v) : v);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace simdnet
