// Strided convolutions (stride s > 1: ResNet's 3x3 stride-2 convolutions and 1x1 stride-2 projection shortcuts) on
// the direct kernels of conv_direct.h, by phase decomposition: no unrolled columns, no col2im.
//
// ---- forward ---------------------------------------------------------------------------------------------------
//
//   y[f, oh, ow] = sum over (c, kh, kw) of w[f, c, kh, kw] * xp[c, oh*s + kh, ow*s + kw]
//
// Split the padded image into its phases xq[c][ph][pw][r][t] = xp[c, r*s + ph, t*s + pw] (ph < Sh = min(s, KH),
// pw < Sw = min(s, KW); r < Hq = OH + (KH-1)/s, t < Wq = OW + (KW-1)/s). Tap (kh, kw) of output (oh, ow) is
// xq[c][kh%s][kw%s][oh + kh/s][ow + kw/s]: consecutive outputs of a row read consecutive floats of one phase
// plane, so the stride-1 implicit-GEMM kernel (ConvFwdDirectFn) runs unchanged over the phase planes with
// off[k] = ((c*Sh + kh%s)*Sw + kw%s)*Hq*Wq + (kh/s)*Wq + kw/s and segments at xp_off = oh*Wq + ow0. Where rows
// fill too few lanes (7 outputs wide), the W-expanded phases xe[c][kw][ph][r][ow] = xp[c, r*s + ph, ow*s + kw]
// make tap (c, kh, kw) of position p = oh*OW + ow the float xe[(((c*KW + kw)*Sh + kh%s)*Hq + kh/s)*OW + p]:
// linear in p, runs of 16 positions across rows. A 1x1 stride-2 kernel's phase split is the subsampled image.
// Same products in the same k order as the stride-1 path: one FMA chain per output.
//
// ---- input gradient ------------------------------------------------------------------------------------------------
//
//   dx[c, h, w] = sum over (f, kh, kw) with h + pad = oh*s + kh, w + pad = ow*s + kw of w[f, c, kh, kw] * dy[f, oh, ow]
//
// The positions of dx fall into s*s phases by ((h + pad) % s, (w + pad) % s) = (ph, pw); with h + pad = i*s + ph
// only the taps kh = ph + s*a (a < nA) reach phase ph, from dy row i - a (likewise kw = pw + s*b, b < nB). So each
// phase of dx is a stride-1 correlation of dy (zero-padded) with the sub-filters w[f, c, ph + s*a, pw + s*b]
// (K = F*nA*nB taps: the 9 taps of a 3x3 kernel split 4 + 2 + 2 + 1 over the four phases; no product with a
// zero), run by the same kernel over rows of the zero-padded dy into a per-thread [C, positions of the phase] buffer,
// then scattered into dx; only where those rows fill the lanes (AVX-512: not the 7-wide phases of a 14x14 dx, which
// keep col2im). Phases no tap reaches (s > K: the odd rows and columns of a 1x1 stride-2 kernel) are zero.
// Accumulation: per dx element one FMA chain over (f, a, b) in that order.
#pragma once
#include <cstdint>
#include <vector>

#include "core/conv_internal.h"

namespace simdnet {
namespace conv {

// Whether the phase-split forward applies to g (stride > 1) under k, and how (*expanded: the W-expanded phases,
// else rows of the phase planes: rows where they fill at least 85% of the lanes, expanded where that fills at
// least 70%). Fills `segs`.
bool strided_fwd_applies(const ConvDirectKernels& k, const WindowGeom& g, std::vector<ConvSegment>& segs,
                         bool* expanded);
// setup_direct_fwd / direct_fwd_image (conv_internal.h) for stride > 1: the same DirectFwd, phase-split offsets.
bool setup_strided_fwd(DirectFwd& d, const ConvDirectKernels& k, const WindowGeom& g, const float* w, int64_t F);
bool strided_fwd_image(const DirectFwd& d, const float* xn, const WindowGeom& g, const float* b, bool relu, float* yn);
// The forward's phase layout on its own (also the strided weight gradient's, conv_dw.h): the tap offsets off[k] for
// k = (c*KH + kh)*KW + kw, the floats of one image's phase planes (or expanded phases) with their 16 of slack, and
// the image split into them.
void strided_offsets(const WindowGeom& g, bool expanded, std::vector<int32_t>& off);
int64_t strided_layout_floats(const WindowGeom& g, bool expanded);
void strided_layout_image(const float* xn, const WindowGeom& g, bool expanded, float* xq);

// One phase (ph, pw) of dx: rows [i0, i0 + Hph) and columns [j0, j0 + Wph) of its plane hold dx (h = i*s + ph -
// pad); nA x nB sub-filter taps; its tiles (over the C rows of dx), packed weights (at wpack + w_off), offsets,
// segments.
struct DxPhase {
  int64_t ph, pw, nA, nB, i0, Hph, j0, Wph;
  int64_t K = 0, w_off = 0;
  std::vector<ConvTile> tiles;
  std::vector<int32_t> off;
  std::vector<ConvSegment> segs;
};

// The phase-decomposed input gradient of one geometry: set up once per call by the calling thread, read by every
// task.
struct StridedDx {
  bool on = false;
  const ConvDirectKernels* k = nullptr;
  bool zero_fill = false;                  // some phase has no taps: dx zeroed first
  int64_t TA = 0, TB = 0, Hd = 0, Wd = 0;  // dy padded by TA rows on top and TB columns left: [F, Hd, Wd]
  int64_t ybuf = 0;                        // floats of the largest phase's output [C, Hph*Wph]
  std::vector<DxPhase> phases;             // those with taps and positions
  int64_t xbuf = 0;                        // floats of the padded dy (+ 16 slack)
  Workspace wpack;
  float* wp = nullptr;
};

// Whether the phase-decomposed dx applies to g (stride > 1) under k (rows of its phases fill at least 85% of the
// lanes): the plan's choice, without setting anything up.
bool strided_dx_applies(const ConvDirectKernels& k, const WindowGeom& g, int64_t F);
// Sets up d for g's dx with the filters w[F, C*KH*KW], or turns it off where it does not apply. False only when
// the packed weights cannot be allocated.
bool setup_strided_dx(StridedDx& d, const ConvDirectKernels& k, const WindowGeom& g, const float* w, int64_t F);
// dx_n[C, H, W] (overwritten) from dy_n[F, OH, OW] (already masked by the fused ReLU where there is one). False
// only when a workspace cannot be allocated.
bool strided_dx_image(const StridedDx& d, const float* dyn, const WindowGeom& g, int64_t F, float* dxn);

}  // namespace conv
}  // namespace simdnet
