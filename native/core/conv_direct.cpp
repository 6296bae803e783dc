// The direct convolution's tier-independent parts (contracts in conv_direct.h): output positions cut into
// segments, filters into tiles, the packed weights and tap offsets, the per-call setup and per-image run of the
// implicit-GEMM forward (conv_internal.h), and the lane reduction of the direct weight gradient.
#include "core/conv_direct.h"

#include "core/conv_internal.h"
#include "core/conv_strided.h"

namespace simdnet {

double conv_row_segments(const WindowGeom& g, int lanes, std::vector<ConvSegment>& segs) {
  segs.clear();
  const int64_t Wp = g.W + 2 * g.pad;
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += lanes) {
      const int64_t len = g.OW - ow0 < lanes ? g.OW - ow0 : lanes;
      segs.push_back(ConvSegment{static_cast<int32_t>(oh * g.OW + ow0), static_cast<int32_t>(oh * Wp + ow0),
                                 static_cast<uint32_t>((uint32_t(1) << len) - 1)});
    }
  }
  return segs.empty() ? 0.0 : static_cast<double>(g.positions()) / (lanes * static_cast<double>(segs.size()));
}

double conv_expanded_segments(const WindowGeom& g, int lanes, std::vector<ConvSegment>& segs) {
  segs.clear();
  const int64_t P = g.positions();
  for (int64_t p0 = 0; p0 < P; p0 += lanes) {
    const int64_t len = P - p0 < lanes ? P - p0 : lanes;
    segs.push_back(ConvSegment{static_cast<int32_t>(p0), static_cast<int32_t>(p0),
                               static_cast<uint32_t>((uint32_t(1) << len) - 1)});
  }
  return segs.empty() ? 0.0 : static_cast<double>(P) / (lanes * static_cast<double>(segs.size()));
}

int64_t conv_tiles(int64_t F, int64_t K, int max_rows, std::vector<ConvTile>& tiles) {
  tiles.clear();
  // Units of max_rows/3 rows (4 or 2) spread over as few tiles as max_rows-row tiles need: 64 filters =
  // 12+12+12+12+8+8 (AVX-512), 16 = 6+6+4 (AVX2 and the reference).
  const int64_t unit = max_rows / 3, units = (F + unit - 1) / unit, n = (units + 2) / 3;
  int64_t packed = 0, f0 = 0;
  for (int64_t t = 0; t < n; ++t) {
    const int64_t R = unit * (units / n + (t < units % n ? 1 : 0)), m = F - f0 < R ? F - f0 : R;
    tiles.push_back(ConvTile{static_cast<int32_t>(f0), static_cast<int32_t>(m), static_cast<int32_t>(R), packed});
    packed += K * R;
    f0 += m;
  }
  return packed;
}

void conv_pack_weights(const float* w, int64_t K, const std::vector<ConvTile>& tiles, float* wpack) {
  for (const ConvTile& t : tiles) {
    float* dst = wpack + t.a_off;
    for (int64_t k = 0; k < K; ++k) {
      for (int64_t i = 0; i < t.R; ++i) dst[k * t.R + i] = i < t.m ? w[(t.f0 + i) * K + k] : 0.0f;
    }
  }
}

void conv_offsets(const WindowGeom& g, bool expanded, std::vector<int32_t>& off) {
  off.clear();
  const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw)
        off.push_back(static_cast<int32_t>(expanded ? ((c * g.KW + kw) * Hp + kh) * g.OW : (c * Hp + kh) * Wp + kw));
}

void conv_dw_reduce(const float* acc, int64_t n, float* out) {
  for (int64_t j = 0; j < n; ++j) {
    float t[16];
    for (int i = 0; i < 16; ++i) t[i] = acc[j * 16 + i];
    for (int w = 8; w >= 1; w /= 2)
      for (int i = 0; i < w; ++i) t[i] += t[i + w];
    out[j] = t[0];
  }
}

namespace conv {
namespace {
thread_local Workspace t_padded;  // one padded (or expanded) input image, per executing thread
}  // namespace

bool setup_direct_fwd(DirectFwd& d, const ConvDirectKernels& k, const WindowGeom& g, const float* w, int64_t F) {
  if (g.stride != 1) return setup_strided_fwd(d, k, g, w, F);  // over the phases (conv_strided.h)
  d.on = false;
  d.k = &k;
  if (!direct_fwd_applies(k, g, d.segs, &d.expanded)) return true;
  d.K = g.taps();
  const int64_t floats = conv_tiles(F, d.K, k.max_rows, d.tiles);
  d.wp = d.wpack.get(floats);
  if (!d.wp) return false;
  conv_pack_weights(w, d.K, d.tiles, d.wp);
  conv_offsets(g, d.expanded, d.off);
  d.on = true;
  return true;
}

bool direct_fwd_image(const DirectFwd& d, const float* xn, const WindowGeom& g, const float* b, bool relu, float* yn) {
  if (g.stride != 1) return strided_fwd_image(d, xn, g, b, relu, yn);
  const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad;
  float* xp = t_padded.get((d.expanded ? g.C * g.KW * Hp * g.OW : g.C * Hp * Wp) + 16);
  if (!xp) return false;
  (d.expanded ? d.k->expand_image : d.k->pad_image)(xn, g, xp);
  d.k->fwd(xp, d.wp, d.tiles.data(), static_cast<int64_t>(d.tiles.size()), d.off.data(), d.K, d.segs.data(),
           static_cast<int64_t>(d.segs.size()), g.positions(), b, relu, yn);
  return true;
}

}  // namespace conv
}  // namespace simdnet
