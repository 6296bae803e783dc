// The weight gradient over groups of images (conv_dw.h): where it applies, its layouts, and the scalar reference of
// its kernel (ConvDwTapsFn, conv_direct.h).
#include "core/conv_dw.h"

#include "core/cache.h"
#include "core/conv_internal.h"
#include "core/conv_loops.h"
#include "core/conv_strided.h"

namespace simdnet {

// dw[k*F + f] (= when `first`, else +=) the sum over images, then positions, of dyT * x, from 0: one multiply and
// one add per product, in order.
void conv_dw_taps_ref(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg, const int32_t* off,
                      int64_t K, const int32_t* pos, int64_t P, int64_t F, float* dw, bool first) {
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t f = 0; f < F; ++f) {
      float a = 0.0f;
      for (int64_t n = 0; n < nimg; ++n) {
        const float* xk = x + n * xs + off[k];
        const float* d = dyT + n * dys + f;
        for (int64_t p = 0; p < P; ++p) a += d[p * F] * xk[pos[p]];
      }
      dw[k * F + f] = first ? a : dw[k * F + f] + a;
    }
  }
}

namespace conv {

bool dw_taps_applies(const ConvDirectKernels& k, const WindowGeom& g, int64_t F, DwTaps* d) {
  d->on = false;
  d->k = &k;
  if (!k.dw_taps || g.KH * g.KW == 1 || F < 1 || (F < 32 && g.stride == 1)) return false;
  const int64_t s = g.stride;
  // rows of the layout: the padded image (stride 1) or the phase planes, Wq floats wide
  const int64_t Wq = s == 1 ? g.W + 2 * g.pad : g.OW + (g.KW - 1) / s;
  d->xfloats = s == 1 ? g.C * (g.H + 2 * g.pad) * Wq + 16 : strided_layout_floats(g, false);
  if (d->xfloats > (int64_t(1) << 30) || g.positions() > (int64_t(1) << 30)) return false;
  if (s == 1) conv_offsets(g, false, d->off);
  else strided_offsets(g, false, d->off);
  d->pos.clear();
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t ow = 0; ow < g.OW; ++ow) d->pos.push_back(static_cast<int32_t>(oh * Wq + ow));
  const int64_t per = d->xfloats + F * g.positions(), budget = kL2Bytes / 2 / int64_t(sizeof(float));
  d->group = budget / per < 1 ? 1 : budget / per;
  d->on = true;
  return true;
}

void dw_taps_image(const DwTaps& d, const float* xn, const WindowGeom& g, float* buf) {
  if (g.stride != 1) strided_layout_image(xn, g, false, buf);
  else d.k->pad_image(xn, g, buf);
}

void dw_transpose(const float* dyn, int64_t F, int64_t P, float* dyT) {
  for (int64_t p0 = 0; p0 < P; p0 += 16) {  // 16 positions x F filters at a time: reads and writes stay in L1
    const int64_t p1 = p0 + 16 < P ? p0 + 16 : P;
    for (int64_t f = 0; f < F; ++f)
      for (int64_t p = p0; p < p1; ++p) dyT[p * F + f] = dyn[f * P + p];
  }
}

}  // namespace conv
}  // namespace simdnet
