// Scalar reference of the pooled-in-registers inference forward (contract in conv_pool_fwd.h), compiled at baseline:
// the reference tier's kernels, and the oracle the C++ kernel test (native/dev/) compares the AVX2 and AVX-512
// kernels with.
#include "core/conv_pool_fwd.h"

namespace simdnet {
namespace {

constexpr int kLanes = 8;

// Filters [0, m) of R computed, pooled positions [q0, q0 + 8) (stored below n). acc = acc + a*b per tap in order
// (no FMA at baseline), + bias, the Relu layer's t <= 0 ? 0 : t, then the pool's chain in window order.
template <int R>
void tile(int64_t K, const float* a, const int32_t* off, const float* pl, int64_t o_dx, int64_t o_dy,
          const float* bias, bool relu, float* z, int64_t PP, int n, int m) {
  const int64_t ph[4] = {0, o_dx, o_dy, o_dx + o_dy};
  float acc[R][4][kLanes] = {};
  for (int64_t k = 0; k < K; ++k) {
    const float* ak = a + k * R;
    for (int i = 0; i < R; ++i)
      for (int f = 0; f < 4; ++f)
        for (int l = 0; l < kLanes; ++l) acc[i][f][l] += ak[i] * pl[off[k] + ph[f] + l];
  }
  for (int i = 0; i < m; ++i) {
    for (int l = 0; l < n; ++l) {
      float best = 0.0f;
      for (int f = 0; f < 4; ++f) {
        float t = acc[i][f][l];
        if (bias) t += bias[i];
        if (relu) t = t <= 0.0f ? 0.0f : t;
        best = f == 0 ? t : t > best ? t : best;
      }
      z[i * PP + l] = best;
    }
  }
}

}  // namespace

void conv_pool_fwd_3x4_ref(const float* planes, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                           const int32_t* off, int64_t K, int64_t o_dx, int64_t o_dy, int64_t PP, const float* bias,
                           bool relu, float* z) {
  for (int64_t q = 0; q < PP; q += kLanes) {
    const int n = static_cast<int>(PP - q < kLanes ? PP - q : kLanes);
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

void conv_pool_planes_ref(const float* xp, const WindowGeom& g, float* planes) {
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, PH = g.OH / 2, PW = g.OW / 2;
  const int64_t PP = PH * PW, PPs = conv_pool_plane_stride(g);
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t a = 0; a <= g.KH; ++a) {
      for (int64_t b = 0; b <= g.KW; ++b) {
        float* d = planes + ((c * (g.KH + 1) + a) * (g.KW + 1) + b) * PPs;
        for (int64_t ph = 0; ph < PH; ++ph) {
          const float* s = xp + (c * Hp + 2 * ph + a) * Wp + b;
          for (int64_t pw = 0; pw < PW; ++pw) d[ph * PW + pw] = s[2 * pw];
        }
        for (int64_t q = PP; q < PPs; ++q) d[q] = 0.0f;
      }
    }
  }
}

const ConvPoolKernels conv_pool_kernels_ref = {"reference", kLanes, 3, conv_pool_fwd_3x4_ref, conv_pool_planes_ref};

}  // namespace simdnet
