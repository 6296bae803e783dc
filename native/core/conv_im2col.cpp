// The convolution's im2col path, one image at a time (conv_internal.h). Per image n (P = OH*OW, K = C*KH*KW),
// over bands of output rows [oh0, oh1), Pb = (oh1-oh0)*OW:
//   forward:  colT[K, Pb] = im2col_t(x_n);  y_n[F, band] = b + W[F, K] * colT
//   backward: colT = im2col_t(x_n);  dWT[K, F] += colT * dy_n[F, band]^T;  db += rowsum(dy_n)
//             dx_n: as a convolution of dy_n (padded by KH-1-pad) with the flipped filters wf[C, F*KH*KW]
//             (dx_as_conv: im2col of dy_n, one GEMM, no scatter-add; or the direct path where it is on);
//             otherwise colT = W^T * dy_n[F, band] and dx_n += col2im_t(colT).
// A 1x1 kernel with stride 1 and no padding needs no unrolling: x_n[C, H*W] is colT already, and
// dx_n = W^T * dy_n directly.
#include <cstring>

#include "core/cache.h"
#include "core/conv_internal.h"
#include "core/conv_loops.h"
#include "core/conv_strided.h"
#include "core/sgemm.h"

namespace simdnet {
namespace conv {
namespace {

// A band's colT stays within half of L2 (512 KiB at core/cache.h's 1 MiB): the other half holds the GEMM's packed
// copy of it.
constexpr int64_t kConvBandFloats = kL2Bytes / 2 / int64_t(sizeof(float));
static_assert(kConvBandFloats == int64_t(1) << 17, "the band size the conv timings were measured with");

thread_local Workspace t_col;   // colT band, per executing thread
thread_local Workspace t_mask;  // the ReLU-masked dy of one image (fused backward), per executing thread

// The one band loop: over bands of output rows [oh0, oh1) of g, each band's colT (taps x Pb floats) within
// kConvBandFloats, in the per-thread colT workspace. fn(oh0, oh1, Pb, colT). False when colT cannot be allocated.
template <typename Fn>
bool for_each_band(const WindowGeom& g, Fn fn) {
  const int64_t rows = band_rows(g, kConvBandFloats);
  float* colT = t_col.get(g.taps() * rows * g.OW);
  if (!colT) return false;
  for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rows) {
    const int64_t oh1 = oh0 + rows < g.OH ? oh0 + rows : g.OH;
    fn(oh0, oh1, (oh1 - oh0) * g.OW, colT);
  }
  return true;
}

// In place: v[i] = v[i] <= 0 ? 0 : v[i] (the Relu layer's formula: -0 becomes +0, NaN passes; bit for bit the same).
void relu_inplace(float* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float t = v[i];
    v[i] = loop_float_of(loop_bits_of(t) & (0u - static_cast<uint32_t>(!(t <= 0.0f))));
  }
}

// dx_n = conv(dy_n, wf) (dx_as_conv(g)).
bool dx_conv(const KernelTable& kt, const float* dyn, const float* wf, const WindowGeom& g, int64_t F, float* dxn,
             const DirectFwd* dxf) {
  const WindowGeom gt = dx_geometry(g, F);
  if (dxf && dxf->on) return direct_fwd_image(*dxf, dyn, gt, nullptr, false, dxn);
  const int64_t HW = g.H * g.W, FKK = gt.taps();
  return for_each_band(gt, [&](int64_t h0, int64_t h1, int64_t Pb, float* colT) {
    kt.im2col->im2col_t(dyn, gt, h0, h1, colT);
    sgemm(false, false, g.C, Pb, FKK, 1.0f, wf, FKK, colT, Pb, 0.0f, dxn + h0 * g.W, HW);
  });
}

// dx_n = col2im(W^T dy_n) (geometries dx_as_conv does not take).
bool dx_col2im(const KernelTable& kt, const float* dyn, const float* w, const WindowGeom& g, int64_t F, float* dxn) {
  const int64_t K = g.taps(), P = g.positions();
  if (is_pointwise(g)) {
    sgemm(true, false, K, P, F, 1.0f, w, K, dyn, P, 0.0f, dxn, P);
    return true;
  }
  std::memset(dxn, 0, sizeof(float) * static_cast<std::size_t>(g.image()));
  return for_each_band(g, [&](int64_t oh0, int64_t oh1, int64_t Pb, float* colT) {
    sgemm(true, false, K, Pb, F, 1.0f, w, K, dyn + oh0 * g.OW, P, 0.0f, colT, Pb);
    kt.im2col->col2im_t(colT, g, oh0, oh1, dxn);
  });
}

}  // namespace

// y_n is pre-filled with b and the GEMM adds to it; with `relu` one pass over the cache-hot y_n then applies the
// ReLU. (Adding b after a beta-0 GEMM instead gave other bits than the Relu layer after the unfused convolution
// wherever K spans several of the GEMM's K blocks: (acc1 + acc2) + b is not (b + acc1) + acc2.)
bool forward_image(const KernelTable& kt, const float* xn, const float* w, const float* b, const WindowGeom& g,
                   int64_t F, float* yn, bool relu) {
  const int64_t K = g.taps(), P = g.positions();
  for (int64_t f = 0; f < F; ++f) {
    float* yf = yn + f * P;
    const float bf = b[f];
    for (int64_t p = 0; p < P; ++p) yf[p] = bf;
  }
  const float beta = 1.0f;
  if (is_pointwise(g)) {
    sgemm(false, false, F, P, K, 1.0f, w, K, xn, P, beta, yn, P);
  } else {
    const bool ok = for_each_band(g, [&](int64_t oh0, int64_t oh1, int64_t Pb, float* colT) {
      kt.im2col->im2col_t(xn, g, oh0, oh1, colT);
      sgemm(false, false, F, Pb, K, 1.0f, w, K, colT, Pb, beta, yn + oh0 * g.OW, P);
    });
    if (!ok) return false;
  }
  if (relu) relu_inplace(yn, F * P);  // y_n (F*P floats) is still in cache
  return true;
}

void flip_filters(const float* w, const WindowGeom& g, int64_t F, float* wf) {
  const int64_t KK = g.KH * g.KW, FKK = F * KK;
  for (int64_t f = 0; f < F; ++f) {
    for (int64_t c = 0; c < g.C; ++c) {
      const float* src = w + (f * g.C + c) * KK;
      float* dst = wf + c * FKK + f * KK;
      for (int64_t t = 0; t < KK; ++t) dst[t] = src[KK - 1 - t];
    }
  }
}

bool backward_image(const KernelTable& kt, const BackwardImage& a, const float* w, const float* wf,
                    const WindowGeom& g, int64_t F, const DirectFwd* dxf) {
  const int64_t K = g.taps(), P = g.positions();
  const ConvDirectKernels& cd = *kt.conv_direct;
  const float* dyn = a.dyn;
  if (a.pool) {  // the max pool's gradient, unpooled (and ReLU-masked) into this image's dy_n
    float* m = a.mask ? a.mask : t_mask.get(F * P);
    bool alloc = !m;
    if (!m || !unpool_image(*a.pool, a.n, g, F, m, &alloc)) {
      if (!alloc && a.outside) a.outside->store(true);
      return false;
    }
    cd.bias_grad(m, F, P, a.db, a.first);
    dyn = m;
  } else if (a.yn) {  // fused ReLU: the masked gradient of this image
    float* m = a.mask ? a.mask : t_mask.get(F * P);
    if (!m) return false;
    cd.relu_mask_bias_grad(dyn, a.yn, F, P, m, a.db, a.first);
    dyn = m;
  } else {
    cd.bias_grad(dyn, F, P, a.db, a.first);
  }
  if (a.used_dy) *a.used_dy = dyn;
  if (!a.skip_dw && is_pointwise(g)) {
    sgemm(false, true, K, F, P, 1.0f, a.xn, P, dyn, P, a.first ? 0.0f : 1.0f, a.dwT, F);
  } else if (!a.skip_dw) {
    const bool ok = for_each_band(g, [&](int64_t oh0, int64_t oh1, int64_t Pb, float* colT) {
      kt.im2col->im2col_t(a.xn, g, oh0, oh1, colT);
      sgemm(false, true, K, F, Pb, 1.0f, colT, Pb, dyn + oh0 * g.OW, P, a.first && oh0 == 0 ? 0.0f : 1.0f, a.dwT, F);
    });
    if (!ok) return false;
  }
  if (!a.dxn) return true;
  if (a.sdx) return strided_dx_image(*a.sdx, dyn, g, F, a.dxn);
  return wf ? dx_conv(kt, dyn, wf, g, F, a.dxn, dxf) : dx_col2im(kt, dyn, w, g, F, a.dxn);
}

}  // namespace conv
}  // namespace simdnet
