// Which path each part of a convolution takes (conv_internal.h), and conv_plan (conv.h), which reports it. The
// choices depend on the geometry, the thread count and the active tier's ConvDirectKernels (kernels.h) — never on
// the ISA directly: every tier has direct kernels (the reference's scalar), so the same choices run everywhere.
#include <algorithm>

#include "core/conv.h"
#include "core/conv_dw.h"
#include "core/conv_internal.h"
#include "core/conv_strided.h"
#include "core/threadpool.h"
#include "core/winograd.h"

namespace simdnet {
namespace conv {

int image_tasks(int64_t N) {
  const int nt = threads();
  if (nt <= 1) return 1;
  return N >= nt ? nt : 0;
}

// The lane loop for stride-1 windows up to kDwDirectMaxKW wide with fewer than 32 filters, whose rows fill most
// lanes; else im2col + SGEMM. Per image, one thread, AVX-512 lane loop vs im2col + SGEMM: conv2 (16 filters) 33 vs
// 47 us, conv1 2.2 vs 5.5, SimpleConvNet's 5x5 with 30 filters 14.8 vs 20.3. With 32 filters or more the SGEMM has
// its 12x32 tile and wins (conv3 20 vs 14 us); a 12x32 tile over the taps' rows of the W-expanded image only tied
// with it (conv4 41.5 vs 41.4 us, conv5 21.8 vs 19.0) and was not kept.
DwPath direct_dw_path(const ConvDirectKernels& k, const WindowGeom& g, int64_t F, std::vector<ConvSegment>& segs) {
  if (!k.dw || g.stride != 1 || is_pointwise(g) || g.KW > kDwDirectMaxKW || F >= 32) return DwPath::gemm;
  const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad;
  if (g.C * Hp * Wp + 16 > (int64_t(1) << 30) || g.positions() > (int64_t(1) << 30)) return DwPath::gemm;
  return conv_row_segments(g, 16, segs) >= 0.7 ? DwPath::lanes : DwPath::gemm;
}

// Stride 1, not 1x1; positions cut in rows of the padded image where they fill at least 85% of the lanes, else in
// runs over a W-expanded copy (conv_direct.h) if those fill at least 70%.
bool direct_fwd_applies(const ConvDirectKernels& k, const WindowGeom& g, std::vector<ConvSegment>& segs,
                        bool* expanded) {
  if (g.stride != 1) return strided_fwd_applies(k, g, segs, expanded);  // over the phases (conv_strided.h)
  if (is_pointwise(g)) return false;
  const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad;
  if (g.C * g.KW * Hp * std::max(Wp, g.OW) + 16 > (int64_t(1) << 30)) return false;  // int32 offsets
  *expanded = conv_row_segments(g, k.lanes, segs) < 0.85;
  return !*expanded || conv_expanded_segments(g, k.lanes, segs) >= 0.7;
}

bool dx_as_conv(const WindowGeom& g) {
  return g.stride == 1 && g.KH == g.KW && g.pad <= g.KH - 1 && !is_pointwise(g);
}

WindowGeom dx_geometry(const WindowGeom& g, int64_t F) {
  return make_window(1, F, g.OH, g.OW, g.KH, g.KW, 1, g.KH - 1 - g.pad);
}

}  // namespace conv

ConvPlan conv_plan(const WindowGeom& g, int64_t F, bool need_dx) {
  using namespace conv;
  ConvPlan p{"im2col", "im2col", need_dx ? "col2im" : "none", "im2col"};
  if (is_pointwise(g)) return ConvPlan{"gemm", "gemm", need_dx ? "gemm" : "none", "gemm"};
  const ConvDirectKernels& k = *kernels().conv_direct;
  const bool parallel = image_tasks(g.N) > 0;
  std::vector<ConvSegment> segs;
  bool expanded = false;
  if (parallel && direct_fwd_applies(k, g, segs, &expanded)) p.forward = g.stride != 1 ? "strided" : "direct";
  p.inference = parallel && winograd_fwd_applies(kernels(), g, F) ? "winograd" : p.forward;
  if (parallel && direct_dw_path(k, g, F, segs) != DwPath::gemm) p.weight_grad = "direct";
  DwTaps dwt;
  if (parallel && direct_dw_path(k, g, F, segs) == DwPath::gemm && dw_taps_applies(k, g, F, &dwt)) {
    p.weight_grad = g.stride != 1 ? "strided" : "direct";
  }
  if (need_dx && dx_as_conv(g)) {
    p.input_grad = parallel && direct_fwd_applies(k, dx_geometry(g, F), segs, &expanded) ? "direct" : "im2col";
  } else if (need_dx && parallel && strided_dx_applies(k, g, F)) {
    p.input_grad = "strided";
  }
  return p;
}

}  // namespace simdnet
