// The pooled-in-registers inference forward's tier-independent parts (contract in conv_pool_fwd.h): where it
// applies, the per-call setup (filter tiles, packed weights, the taps' plane offsets) and the per-image run (pad,
// phase planes, the tier's kernel).
//
// Measured (1 thread CPU time, 100 images, AVX-512, under load): SimpleConvNet's 1-channel 5x5 layer with 30 filters
// at 28x28 + ReLU + 2x2 pool, see CHANGELOG.md.
#include "core/conv_pool_fwd.h"

#include "core/conv_internal.h"

namespace simdnet {
namespace {
thread_local Workspace t_planes;  // one image: its padded copy, then its phase planes, per executing thread
}  // namespace

bool conv_pool_fwd_applies(const WindowGeom& g) {
  if (g.stride != 1 || (g.KH == 1 && g.KW == 1) || g.OH < 2 || g.OW < 2) return false;
  return g.C <= kConvPoolMaxChannels && conv_pool_planes_floats(g) <= kConvPoolMaxPlaneFloats;
}

bool setup_conv_pool_fwd(ConvPoolFwd& p, const ConvPoolKernels& k, const ConvDirectKernels& d, const WindowGeom& g,
                         const float* w, int64_t F) {
  p.on = false;
  if (!conv_pool_fwd_applies(g)) return true;
  p.k = &k;
  p.pad_image = d.pad_image;
  p.K = g.taps();
  const int64_t floats = conv_tiles(F, p.K, k.max_rows, p.tiles);
  p.wp = p.wpack.get(floats);
  if (!p.wp) return false;
  conv_pack_weights(w, p.K, p.tiles, p.wp);
  // tap (c, kh, kw) of phase (0, 0) reads plane (c, kh, kw)
  const int64_t PPs = conv_pool_plane_stride(g);
  p.off.clear();
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw)
        p.off.push_back(static_cast<int32_t>(((c * (g.KH + 1) + kh) * (g.KW + 1) + kw) * PPs));
  p.on = true;
  return true;
}

bool conv_pool_fwd_image(const ConvPoolFwd& p, const float* xn, const WindowGeom& g, const float* b, bool relu,
                         float* zn) {
  const int64_t XP = g.C * (g.H + 2 * g.pad) * (g.W + 2 * g.pad) + 16, PPs = conv_pool_plane_stride(g);
  float* xp = t_planes.get(XP + conv_pool_planes_floats(g) + 16);
  if (!xp) return false;
  float* planes = xp + XP;
  p.pad_image(xn, g, xp);
  p.k->planes(xp, g, planes);
  p.k->fwd(planes, p.wp, p.tiles.data(), static_cast<int64_t>(p.tiles.size()), p.off.data(), p.K, PPs,
           (g.KW + 1) * PPs, (g.OH / 2) * (g.OW / 2), b, relu, zn);
  return true;
}

}  // namespace simdnet
