// Strided convolutions on the direct kernels, by phase decomposition (contracts and layouts in conv_strided.h): the
// phase split of the input and the forward's offsets and segments; the input gradient's phases, their sub-filters,
// the padded dy, and the scatter of each phase into dx. Tier-independent: the tiers differ only in
// the ConvFwdDirectFn they bring (every tier has one), so these run, and are tested, on every tier.
#include "core/conv_strided.h"

#include <algorithm>
#include <cstring>

namespace simdnet {
namespace conv {
namespace {

constexpr int64_t kMaxFloats = int64_t(1) << 30;  // int32 offsets into the phase buffers

// The forward's phase planes: Sh x Sw phases of Hq x Wq floats per channel.
struct Phases {
  int64_t s, Sh, Sw, Hq, Wq;
};
Phases phases_of(const WindowGeom& g) {
  const int64_t s = g.stride;
  return Phases{s, std::min(s, g.KH), std::min(s, g.KW), g.OH + (g.KH - 1) / s, g.OW + (g.KW - 1) / s};
}

// d[t] = xr[t*S + o] for t in [lo, hi), 0 elsewhere in [0, n): one strided row (S known at compile time for the
// common strides, so the loop vectorizes).
template <int64_t S>
void gather_row(const float* xr, int64_t o, int64_t s, int64_t lo, int64_t hi, int64_t n, float* d) {
  const int64_t st = S > 0 ? S : s;
  for (int64_t t = 0; t < lo; ++t) d[t] = 0.0f;
  for (int64_t t = lo; t < hi; ++t) d[t] = xr[t * st + o];
  for (int64_t t = hi; t < n; ++t) d[t] = 0.0f;
}
void gather(const float* xr, int64_t o, int64_t s, int64_t lo, int64_t hi, int64_t n, float* d) {
  if (s == 2) gather_row<2>(xr, o, s, lo, hi, n, d);
  else gather_row<0>(xr, o, s, lo, hi, n, d);
}

// xq[((c*Sh + ph)*Sw + pw)*Hq + r][t] = x[c, r*s + ph - pad, t*s + pw - pad] (0 outside the image), then 16 zeros.
void phase_split(const float* xn, const WindowGeom& g, const Phases& q, float* xq) {
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = xn + c * g.H * g.W;
    for (int64_t ph = 0; ph < q.Sh; ++ph) {
      for (int64_t pw = 0; pw < q.Sw; ++pw) {
        float* dst = xq + ((c * q.Sh + ph) * q.Sw + pw) * q.Hq * q.Wq;
        int64_t lo, hi;
        valid_outputs(pw, g.pad, q.s, g.W, q.Wq, lo, hi);
        for (int64_t r = 0; r < q.Hq; ++r) {
          const int64_t ih = r * q.s + ph - g.pad;
          if (ih < 0 || ih >= g.H) {
            std::memset(dst + r * q.Wq, 0, sizeof(float) * static_cast<std::size_t>(q.Wq));
            continue;
          }
          gather(xc + ih * g.W, pw - g.pad, q.s, lo, hi, q.Wq, dst + r * q.Wq);
        }
      }
    }
  }
  std::memset(xq + g.C * q.Sh * q.Sw * q.Hq * q.Wq, 0, 16 * sizeof(float));
}

// xe[(((c*KW + kw)*Sh + ph)*Hq + r)*OW + ow] = x[c, r*s + ph - pad, ow*s + kw - pad] (0 outside), then 16 zeros.
void phase_expand(const float* xn, const WindowGeom& g, const Phases& q, float* xe) {
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = xn + c * g.H * g.W;
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      int64_t lo, hi;
      valid_outputs(kw, g.pad, q.s, g.W, g.OW, lo, hi);
      for (int64_t ph = 0; ph < q.Sh; ++ph) {
        float* dst = xe + ((c * g.KW + kw) * q.Sh + ph) * q.Hq * g.OW;
        for (int64_t r = 0; r < q.Hq; ++r) {
          const int64_t ih = r * q.s + ph - g.pad;
          if (ih < 0 || ih >= g.H) {
            std::memset(dst + r * g.OW, 0, sizeof(float) * static_cast<std::size_t>(g.OW));
            continue;
          }
          gather(xc + ih * g.W, kw - g.pad, q.s, lo, hi, g.OW, dst + r * g.OW);
        }
      }
    }
  }
  std::memset(xe + g.C * g.KW * q.Sh * q.Hq * g.OW, 0, 16 * sizeof(float));
}

// Output rows cut into runs of at most `lanes`, reading rows of a plane `row` floats wide; appends to segs, returns
// the number of positions.
int64_t row_segments(int64_t rows, int64_t cols, int64_t row, int64_t xp0, int lanes, std::vector<ConvSegment>& segs) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c0 = 0; c0 < cols; c0 += lanes) {
      const int64_t len = std::min<int64_t>(cols - c0, lanes);
      segs.push_back(ConvSegment{static_cast<int32_t>(r * cols + c0), static_cast<int32_t>(xp0 + r * row + c0),
                                 static_cast<uint32_t>((uint32_t(1) << len) - 1)});
    }
  }
  return rows * cols;
}

// Positions [0, P) in runs of at most `lanes` (out_off = xp_off = p0); appends, returns P.
int64_t run_segments(int64_t P, int lanes, std::vector<ConvSegment>& segs) {
  for (int64_t p0 = 0; p0 < P; p0 += lanes) {
    const int64_t len = std::min<int64_t>(P - p0, lanes);
    segs.push_back(ConvSegment{static_cast<int32_t>(p0), static_cast<int32_t>(p0),
                               static_cast<uint32_t>((uint32_t(1) << len) - 1)});
  }
  return P;
}

double fill(int64_t positions, int lanes, std::size_t nseg) {
  return nseg == 0 ? 0.0 : static_cast<double>(positions) / (lanes * static_cast<double>(nseg));
}

thread_local Workspace t_phases;  // forward: one image's phase planes (or expanded phases), per executing thread
thread_local Workspace t_dx;      // dx: padded dy + one phase's output, per executing thread

}  // namespace

// ---- forward -------------------------------------------------------------------------------------------------------

bool strided_fwd_applies(const ConvDirectKernels& k, const WindowGeom& g, std::vector<ConvSegment>& segs,
                         bool* expanded) {
  if (g.stride <= 1) return false;
  const Phases q = phases_of(g);
  if (g.C * q.Sh * q.Sw * q.Hq * q.Wq + 16 > kMaxFloats || g.C * g.KW * q.Sh * q.Hq * g.OW + 16 > kMaxFloats) {
    return false;
  }
  segs.clear();
  const int64_t P = row_segments(g.OH, g.OW, q.Wq, 0, k.lanes, segs);
  *expanded = fill(P, k.lanes, segs.size()) < 0.85;
  if (!*expanded) return true;
  segs.clear();
  run_segments(P, k.lanes, segs);
  return fill(P, k.lanes, segs.size()) >= 0.7;
}

bool setup_strided_fwd(DirectFwd& d, const ConvDirectKernels& k, const WindowGeom& g, const float* w, int64_t F) {
  d.on = false;
  d.k = &k;
  if (!strided_fwd_applies(k, g, d.segs, &d.expanded)) return true;
  d.K = g.taps();
  const int64_t floats = conv_tiles(F, d.K, k.max_rows, d.tiles);
  d.wp = d.wpack.get(floats);
  if (!d.wp) return false;
  conv_pack_weights(w, d.K, d.tiles, d.wp);
  strided_offsets(g, d.expanded, d.off);
  d.on = true;
  return true;
}

void strided_offsets(const WindowGeom& g, bool expanded, std::vector<int32_t>& off) {
  const Phases q = phases_of(g);
  off.clear();
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t ph = kh % q.s, a = kh / q.s, pw = kw % q.s, b = kw / q.s;
        off.push_back(static_cast<int32_t>(expanded ? (((c * g.KW + kw) * q.Sh + ph) * q.Hq + a) * g.OW
                                                    : (((c * q.Sh + ph) * q.Sw + pw) * q.Hq + a) * q.Wq + b));
      }
    }
  }
}

int64_t strided_layout_floats(const WindowGeom& g, bool expanded) {
  const Phases q = phases_of(g);
  return (expanded ? g.C * g.KW * q.Sh * q.Hq * g.OW : g.C * q.Sh * q.Sw * q.Hq * q.Wq) + 16;
}

void strided_layout_image(const float* xn, const WindowGeom& g, bool expanded, float* xq) {
  (expanded ? phase_expand : phase_split)(xn, g, phases_of(g), xq);
}

bool strided_fwd_image(const DirectFwd& d, const float* xn, const WindowGeom& g, const float* b, bool relu, float* yn) {
  float* xq = t_phases.get(strided_layout_floats(g, d.expanded));
  if (!xq) return false;
  strided_layout_image(xn, g, d.expanded, xq);
  d.k->fwd(xq, d.wp, d.tiles.data(), static_cast<int64_t>(d.tiles.size()), d.off.data(), d.K, d.segs.data(),
           static_cast<int64_t>(d.segs.size()), g.positions(), b, relu, yn);
  return true;
}

// ---- input gradient ------------------------------------------------------------------------------------------------

namespace {

// The phases of dx (no tiles or weights yet), TA/TB/Hd/Wd, the mode and buffer sizes. False where the
// decomposition does not apply (stride 1, lanes too empty, offsets past int32).
bool plan_dx(const ConvDirectKernels& k, const WindowGeom& g, int64_t F, StridedDx& d) {
  d.on = false;
  d.k = &k;
  d.phases.clear();
  d.zero_fill = false;
  if (g.stride <= 1) return false;
  const int64_t s = g.stride;
  int64_t TA = 0, TB = 0, I1 = 0, J1 = 0;
  for (int64_t ph = 0; ph < s; ++ph) {
    for (int64_t pw = 0; pw < s; ++pw) {
      const int64_t nA = ph < g.KH ? (g.KH - ph + s - 1) / s : 0, nB = pw < g.KW ? (g.KW - pw + s - 1) / s : 0;
      int64_t i0, i1, j0, j1;  // rows i of the phase plane with 0 <= i*s + ph - pad < H; likewise columns
      valid_outputs(ph, g.pad, s, g.H, g.H + g.pad + 1, i0, i1);
      valid_outputs(pw, g.pad, s, g.W, g.W + g.pad + 1, j0, j1);
      if (i1 <= i0 || j1 <= j0) continue;  // no dx element in this phase
      if (nA == 0 || nB == 0) {            // no tap reaches it: zeros
        d.zero_fill = true;
        continue;
      }
      DxPhase p;
      p.ph = ph, p.pw = pw, p.nA = nA, p.nB = nB, p.i0 = i0, p.Hph = i1 - i0, p.j0 = j0, p.Wph = j1 - j0;
      p.K = F * nA * nB;
      d.phases.push_back(std::move(p));
      TA = std::max(TA, nA - 1 - i0);
      TB = std::max(TB, nB - 1 - j0);
      I1 = std::max(I1, i1);
      J1 = std::max(J1, j1);
    }
  }
  d.TA = TA, d.TB = TB, d.Hd = TA + std::max(g.OH, I1), d.Wd = TB + std::max(g.OW, J1);
  // Rows of the padded dy, taken where they fill at least 85% of the lanes. Runs of 16 over W-expanded copies of
  // dy (one per pw, as the forward's) lost to col2im on the 7- and 8-wide phases of ResNet's stage 3 (AVX-512, 1
  // thread CPU time, 100 images, dx alone: 1.91 vs 1.75 ms at 14x14 -> 7x7, 2.14 vs 1.88 at 16 -> 8; 32 rows of
  // 12 and 8 filters over K = 64..256 taps per phase, against one SGEMM of K = F): not kept.
  int64_t positions = 0;
  std::size_t nrows = 0;
  std::vector<ConvSegment> tmp;
  for (DxPhase& p : d.phases) {
    tmp.clear();
    positions += row_segments(p.Hph, p.Wph, d.Wd, 0, k.lanes, tmp);
    nrows += tmp.size();
  }
  if (d.phases.empty() || fill(positions, k.lanes, nrows) < 0.85) return false;
  d.ybuf = 0;
  for (DxPhase& p : d.phases) d.ybuf = std::max(d.ybuf, g.C * p.Hph * p.Wph);
  d.xbuf = F * d.Hd * d.Wd + 16;
  return d.xbuf <= kMaxFloats;
}

// dyq[f][r][t] = dy[f, r - TA, t - TB] (0 outside), then 16 zeros.
void pad_dy(const StridedDx& d, const float* dyn, const WindowGeom& g, int64_t F, float* dyq) {
  for (int64_t f = 0; f < F; ++f) {
    float* dst = dyq + f * d.Hd * d.Wd;
    std::memset(dst, 0, sizeof(float) * static_cast<std::size_t>(d.Hd * d.Wd));
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      std::memcpy(dst + (oh + d.TA) * d.Wd + d.TB, dyn + (f * g.OH + oh) * g.OW,
                  sizeof(float) * static_cast<std::size_t>(g.OW));
    }
  }
  std::memset(dyq + F * d.Hd * d.Wd, 0, 16 * sizeof(float));
}

}  // namespace

bool strided_dx_applies(const ConvDirectKernels& k, const WindowGeom& g, int64_t F) {
  StridedDx d;
  return plan_dx(k, g, F, d);
}

bool setup_strided_dx(StridedDx& d, const ConvDirectKernels& k, const WindowGeom& g, const float* w, int64_t F) {
  if (!plan_dx(k, g, F, d)) {
    d.on = false;
    return true;
  }
  const int64_t s = g.stride, KK = g.KH * g.KW;
  int64_t packed = 0, scratch = 0;  // the packed sub-filters of every phase, then one phase's unpacked [C, K]
  for (DxPhase& p : d.phases) {
    p.w_off = packed;
    packed += conv_tiles(g.C, p.K, k.max_rows, p.tiles);
    scratch = std::max(scratch, g.C * p.K);
  }
  d.wp = d.wpack.get(packed + scratch);
  if (!d.wp) return false;
  float* wm = d.wp + packed;
  for (DxPhase& p : d.phases) {
    // the sub-filters wm[c, (f*nA + a)*nB + b] = w[f, c, ph + s*a, pw + s*b] and their tap offsets
    for (int64_t c = 0; c < g.C; ++c) {
      for (int64_t f = 0; f < F; ++f) {
        for (int64_t a = 0; a < p.nA; ++a) {
          for (int64_t b = 0; b < p.nB; ++b) {
            wm[c * p.K + (f * p.nA + a) * p.nB + b] = w[(f * g.C + c) * KK + (p.ph + s * a) * g.KW + p.pw + s * b];
          }
        }
      }
    }
    conv_pack_weights(wm, p.K, p.tiles, d.wp + p.w_off);
    p.off.clear();
    for (int64_t f = 0; f < F; ++f) {
      for (int64_t a = 0; a < p.nA; ++a) {
        for (int64_t b = 0; b < p.nB; ++b) {
          p.off.push_back(static_cast<int32_t>((f * d.Hd + d.TA - a) * d.Wd + d.TB - b));
        }
      }
    }
    p.segs.clear();
    row_segments(p.Hph, p.Wph, d.Wd, p.i0 * d.Wd + p.j0, k.lanes, p.segs);
  }
  d.on = true;
  return true;
}

bool strided_dx_image(const StridedDx& d, const float* dyn, const WindowGeom& g, int64_t F, float* dxn) {
  float* xb = t_dx.get(d.xbuf + d.ybuf);
  if (!xb) return false;
  float* yb = xb + d.xbuf;
  pad_dy(d, dyn, g, F, xb);
  if (d.zero_fill) std::memset(dxn, 0, sizeof(float) * static_cast<std::size_t>(g.image()));
  const int64_t s = g.stride;
  for (const DxPhase& p : d.phases) {
    const int64_t P = p.Hph * p.Wph;
    d.k->fwd(xb, d.wp + p.w_off, p.tiles.data(), static_cast<int64_t>(p.tiles.size()), p.off.data(), p.K,
             p.segs.data(), static_cast<int64_t>(p.segs.size()), P, nullptr, false, yb);
    for (int64_t c = 0; c < g.C; ++c) {
      const float* yc = yb + c * P;
      for (int64_t ii = 0; ii < p.Hph; ++ii) {
        float* row = dxn + (c * g.H + (p.i0 + ii) * s + p.ph - g.pad) * g.W + p.j0 * s + p.pw - g.pad;
        const float* yr = yc + ii * p.Wph;
        for (int64_t jj = 0; jj < p.Wph; ++jj) row[jj * s] = yr[jj];
      }
    }
  }
  return true;
}

}  // namespace conv
}  // namespace simdnet
