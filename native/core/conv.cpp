// Fused convolution forward/backward (contracts in conv.h).
//
// Per image n (P = OH*OW, K = C*KH*KW). Under AVX2/AVX-512, stride 1, the direct paths (conv_direct.h) write no
// unrolled columns:
//   forward:  y_n = b + W * B, B read in place from the zero-padded (or W-expanded) image by an implicit-GEMM
//             micro-kernel with bias and ReLU in its epilogue;
//   backward: dx_n the same kernel on dy_n with the flipped filters (see below); dW by the lane loop where
//             there are fewer than 32 filters (AVX-512).
// Otherwise (reference kernels, strides > 1, few images), over bands of output rows [oh0, oh1), Pb = (oh1-oh0)*OW:
//   forward:  colT[K, Pb] = im2col_t(x_n);  y_n[F, band] = b + W[F, K] * colT
//   backward: colT = im2col_t(x_n);  dWT[K, F] += colT * dy_n[F, band]^T;  db += rowsum(dy_n)
//             dx_n: stride 1, square kernel, pad <= K-1: a convolution of dy_n (padded by KH-1-pad) with
//             the flipped filters wf[C, F*KH*KW] (im2col of dy_n, one GEMM, no scatter-add);
//             otherwise colT = W^T * dy_n[F, band] and dx_n += col2im_t(colT).
// A 1x1 kernel with stride 1 and no padding needs no unrolling: x_n[C, H*W] is colT already, and
// dx_n = W^T * dy_n directly. conv_plan() reports which path each part takes.
// Threads: forward, pool tasks claim images one at a time; backward, contiguous ranges of images per pool
// task, each with its own dWT/db partial (claiming chunks with a partial each measured slower: the longer
// reduction cost more than the balancing bought). Each task has its own workspace; partials are summed in
// task order (and transposed into dw), split over the pool by rows of dw. With fewer images than threads
// the images run one after another and each GEMM uses the whole pool instead.
#include "core/conv.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "core/conv_direct.h"
#include "core/conv_loops.h"
#include "core/kernels.h"
#include "core/sgemm.h"
#include "core/threadpool.h"

namespace simdnet {
namespace {

// A band's colT stays within 512 KB: it and the GEMM's packed copy of it fit in L2.
constexpr int64_t kConvBandFloats = int64_t(1) << 17;

thread_local Workspace t_col;       // colT band, per executing thread
thread_local Workspace t_partials;  // flipped filters and dWT/db partials, per calling thread
thread_local Workspace t_mask;      // the ReLU-masked dy of one image (fused backward), per executing thread
thread_local Workspace t_group;     // direct dW: padded input, masked gradient, lane partials, per executing thread
thread_local std::vector<ConvSegment> t_segs;  // direct dW: the output positions' segments, per calling thread
thread_local Workspace t_padded;    // direct forward: one padded input image, per executing thread

// In place: t = v[f, p] + b[f]; v[f, p] = t <= 0 ? 0 : t (the Relu layer's formula: -0 becomes +0, NaN
// passes; bit for bit the same).
void bias_relu_inplace(float* v, const float* b, int64_t F, int64_t P) {
  for (int64_t f = 0; f < F; ++f) {
    float* vf = v + f * P;
    const float bf = b[f];
    for (int64_t p = 0; p < P; ++p) {
      const float t = vf[p] + bf;
      vf[p] = loop_float_of(loop_bits_of(t) & (0u - static_cast<uint32_t>(!(t <= 0.0f))));
    }
  }
}

bool is_pointwise(const WindowGeom& g) { return g.KH == 1 && g.KW == 1 && g.stride == 1 && g.pad == 0; }

// ---- direct weight gradient (conv_direct.h) ----------------------------------------------------------------

// How the weight gradient goes: the lane loop (conv_dw_direct_avx512) under AVX-512 for stride-1 windows up to
// kDwDirectMaxKW wide with fewer than 32 filters, whose rows fill most lanes; else im2col + SGEMM. Per image,
// one thread, lane loop vs im2col + SGEMM: conv2 (16 filters) 33 vs 47 us, conv1 2.2 vs 5.5, SimpleConvNet's
// 5x5 with 30 filters 14.8 vs 20.3. With 32 filters or more the SGEMM has its 12x32 tile and wins (conv3 20 vs
// 14 us); a 12x32 tile over the taps' rows of the W-expanded image only tied with it (conv4 41.5 vs 41.4 us,
// conv5 21.8 vs 19.0) and was not kept.
enum class DwPath { gemm, lanes };

DwPath direct_dw_path(const WindowGeom& g, int64_t F, std::vector<ConvSegment>& segs) {
  if (!use_avx512() || g.stride != 1 || is_pointwise(g) || g.KW > kDwDirectMaxKW || F >= 32) return DwPath::gemm;
  const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad;
  if (g.C * Hp * Wp + 16 > (int64_t(1) << 30) || g.positions() > (int64_t(1) << 30)) return DwPath::gemm;
  return conv_row_segments(g, 16, segs) >= 0.7 ? DwPath::lanes : DwPath::gemm;
}

// The implicit-GEMM forward (conv_direct.h) of one geometry: set up once per call by the calling thread,
// read by every task.
struct DirectFwd {
  bool on = false;
  int64_t K = 0;
  std::vector<ConvTile> tiles;
  std::vector<int32_t> off;
  std::vector<ConvSegment> segs;
  Workspace wpack;
  float* wp = nullptr;    // wpack's floats
  bool expanded = false;  // positions in runs over a W-expanded copy (else rows of the padded image)
  int lanes = 16;         // 16: the AVX-512 kernel; 8: AVX2
};
thread_local DirectFwd t_fwd;  // conv_forward's, per calling thread
thread_local DirectFwd t_dxf;  // conv_backward's dx = conv(dy, wf), per calling thread

// Whether the direct forward applies to g, and how: under AVX-512 (16 lanes, tiles of up to 12 filters) or
// AVX2 (8 lanes, up to 6), stride 1, not 1x1; positions cut in rows of the padded image where they fill at
// least 85% of the lanes, else in runs over a W-expanded copy (conv_direct.h) if those fill at least 70%.
bool direct_fwd_applies(const WindowGeom& g, std::vector<ConvSegment>& segs, bool* expanded, int* lanes) {
  if (!use_avx2() || g.stride != 1 || is_pointwise(g)) return false;
  *lanes = use_avx512() ? 16 : 8;
  const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad;
  if (g.C * g.KW * Hp * std::max(Wp, g.OW) + 16 > (int64_t(1) << 30)) return false;  // int32 offsets
  *expanded = conv_row_segments(g, *lanes, segs) < 0.85;
  return !*expanded || conv_expanded_segments(g, *lanes, segs) >= 0.7;
}

// Sets up `d` for y = conv(x; w[F, K]) over g, or turns it off where the direct path does not apply. Returns
// false only when the packed weights cannot be allocated (d.on is then false).
bool setup_direct_fwd(DirectFwd& d, const WindowGeom& g, const float* w, int64_t F) {
  d.on = false;
  if (!direct_fwd_applies(g, d.segs, &d.expanded, &d.lanes)) return true;
  d.K = g.taps();
  const int64_t floats = conv_tiles(F, d.K, d.lanes == 16 ? 12 : 6, d.tiles);
  d.wp = d.wpack.get(floats);
  if (!d.wp) return false;
  conv_pack_weights(w, d.K, d.tiles, d.wp);
  conv_offsets(g, d.expanded, d.off);
  d.on = true;
  return true;
}

// One image through the direct path: pad (or expand) into the per-thread buffer, then the tiles.
bool direct_fwd_image(const DirectFwd& d, const float* xn, const WindowGeom& g, const float* b, bool relu, float* yn) {
  const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad;
  float* xp = t_padded.get((d.expanded ? g.C * g.KW * Hp * g.OW : g.C * Hp * Wp) + 16);
  if (!xp) return false;
  if (d.expanded) conv_expand_image_avx2(xn, g, xp);
  else conv_pad_image_avx2(xn, g, xp);
  (d.lanes == 16 ? conv_fwd_direct_avx512 : conv_fwd_direct_avx2)(
      xp, d.wp, d.tiles.data(), static_cast<int64_t>(d.tiles.size()), d.off.data(), d.K, d.segs.data(),
      static_cast<int64_t>(d.segs.size()), g.positions(), b, relu, yn);
  return true;
}

// y_n[F, P] = b + W * unroll(x_n). With `relu` the GEMM writes W * unroll(x_n) (beta 0) and one pass over the
// cache-hot y_n adds b and applies the ReLU; without, y_n is pre-filled with b and the GEMM adds to it.
bool forward_image(const Im2colKernels& k, const float* xn, const float* w, const float* b, const WindowGeom& g,
                   int64_t F, float* yn, bool relu) {
  const int64_t K = g.taps(), P = g.positions();
  if (!relu) {
    for (int64_t f = 0; f < F; ++f) {
      float* yf = yn + f * P;
      const float bf = b[f];
      for (int64_t p = 0; p < P; ++p) yf[p] = bf;
    }
  }
  const float beta = relu ? 0.0f : 1.0f;
  if (is_pointwise(g)) {
    sgemm(false, false, F, P, K, 1.0f, w, K, xn, P, beta, yn, P);
  } else {
    const int64_t rows = band_rows(g, kConvBandFloats);
    float* colT = t_col.get(K * rows * g.OW);
    if (!colT) return false;
    for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rows) {
      const int64_t oh1 = oh0 + rows < g.OH ? oh0 + rows : g.OH, Pb = (oh1 - oh0) * g.OW;
      k.im2col_t(xn, g, oh0, oh1, colT);
      sgemm(false, false, F, Pb, K, 1.0f, w, K, colT, Pb, beta, yn + oh0 * g.OW, P);
    }
  }
  if (relu) bias_relu_inplace(yn, b, F, P);  // y_n (F*P floats) is still in cache
  return true;
}

// Stride 1 with pad <= K-1 and a square kernel: dx is itself a convolution, of dy (F channels, padded by
// K-1-pad) with the flipped, transposed filters wf[C, F*KH*KW] — a GEMM with inner dimension F*KH*KW and
// no scatter-add, instead of W^T*dy (inner dimension F) followed by col2im.
bool dx_as_conv(const WindowGeom& g) {
  return g.stride == 1 && g.KH == g.KW && g.pad <= g.KH - 1 && !is_pointwise(g);
}

// wf[c, (f*KH + kh)*KW + kw] = w[f, c, KH-1-kh, KW-1-kw]
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

// The geometry of dx = conv(dy, wf): input dy_n[F, OH, OW], output [C, H, W].
WindowGeom dx_geometry(const WindowGeom& g, int64_t F) {
  return make_window(1, F, g.OH, g.OW, g.KH, g.KW, 1, g.KH - 1 - g.pad);
}

// dx_n = conv(dy_n, wf) (dx_as_conv(g)), in bands through the per-thread colT workspace.
bool backward_image_dx_conv(const Im2colKernels& k, const float* dyn, const float* wf, const WindowGeom& g, int64_t F,
                            float* dxn, const DirectFwd* dxf) {
  const WindowGeom gt = dx_geometry(g, F);
  if (dxf && dxf->on) return direct_fwd_image(*dxf, dyn, gt, nullptr, false, dxn);
  const int64_t trows = band_rows(gt, kConvBandFloats);
  float* colT = t_col.get(gt.taps() * trows * gt.OW);
  if (!colT) return false;
  const int64_t HW = g.H * g.W, FKK = gt.taps();
  for (int64_t h0 = 0; h0 < g.H; h0 += trows) {
    const int64_t h1 = h0 + trows < g.H ? h0 + trows : g.H, Pb = (h1 - h0) * g.W;
    k.im2col_t(dyn, gt, h0, h1, colT);
    sgemm(false, false, g.C, Pb, FKK, 1.0f, wf, FKK, colT, Pb, 0.0f, dxn + h0 * g.W, HW);
  }
  return true;
}

// dx_n = col2im(W^T dy_n), in bands (geometries dx_as_conv does not take).
bool backward_image_dx_col2im(const Im2colKernels& k, const float* dyn, const float* w, const WindowGeom& g, int64_t F,
                              float* dxn) {
  const int64_t K = g.taps(), P = g.positions();
  if (is_pointwise(g)) {
    sgemm(true, false, K, P, F, 1.0f, w, K, dyn, P, 0.0f, dxn, P);
    return true;
  }
  const int64_t rows = band_rows(g, kConvBandFloats);
  float* colT = t_col.get(K * rows * g.OW);
  if (!colT) return false;
  std::memset(dxn, 0, sizeof(float) * static_cast<std::size_t>(g.image()));
  for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rows) {
    const int64_t oh1 = oh0 + rows < g.OH ? oh0 + rows : g.OH, Pb = (oh1 - oh0) * g.OW;
    sgemm(true, false, K, Pb, F, 1.0f, w, K, dyn + oh0 * g.OW, P, 0.0f, colT, Pb);
    k.col2im_t(colT, g, oh0, oh1, dxn);
  }
  return true;
}

// dwT[K, F] (= when `first`, else +=) unroll(x_n) * dy_n^T; db likewise; dx_n when dxn != null, either
// as conv(dy_n, wf) (wf != null, see dx_as_conv) or as col2im(W^T dy_n).
// With `mask` (F*P floats) the fused-ReLU gradient goes there instead of the per-thread workspace; with
// `used_dy` the gradient this image used (dy_n, or its masked copy) is returned through it. With `skip_dw`
// dwT is left alone (the caller computes it directly, conv_direct.h).
bool backward_image(const Im2colKernels& k, const float* dyn, const float* xn, const float* w, const float* wf,
                    const WindowGeom& g, int64_t F, float* dxn, float* dwT, float* db, bool first, const float* yn,
                    bool skip_dw = false, float* mask = nullptr, const float** used_dy = nullptr,
                    const DirectFwd* dxf = nullptr) {
  const int64_t K = g.taps(), P = g.positions();
  if (yn) {  // fused ReLU: the masked gradient of this image, in a per-thread workspace
    float* m = mask ? mask : t_mask.get(F * P);
    if (!m) return false;
    if (use_avx2()) conv_relu_mask_bias_grad_avx2(dyn, yn, F, P, m, db, first);
    else loop_relu_mask_bias_grad(dyn, yn, F, P, m, db, first);
    dyn = m;
  } else {
    if (use_avx2()) conv_bias_grad_avx2(dyn, F, P, db, first);
    else loop_bias_grad(dyn, F, P, db, first);
  }
  if (used_dy) *used_dy = dyn;
  if (!skip_dw && is_pointwise(g)) {
    sgemm(false, true, K, F, P, 1.0f, xn, P, dyn, P, first ? 0.0f : 1.0f, dwT, F);
  } else if (!skip_dw) {
    const int64_t rows = band_rows(g, kConvBandFloats);
    float* colT = t_col.get(K * rows * g.OW);
    if (!colT) return false;
    for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rows) {
      const int64_t oh1 = oh0 + rows < g.OH ? oh0 + rows : g.OH, Pb = (oh1 - oh0) * g.OW;
      k.im2col_t(xn, g, oh0, oh1, colT);
      sgemm(false, true, K, F, Pb, 1.0f, colT, Pb, dyn + oh0 * g.OW, P, first && oh0 == 0 ? 0.0f : 1.0f, dwT, F);
    }
  }
  if (!dxn) return true;
  return wf ? backward_image_dx_conv(k, dyn, wf, g, F, dxn, dxf) : backward_image_dx_col2im(k, dyn, w, g, F, dxn);
}

// Tasks for image-parallel work: the thread count capped by N (0 means run images one after another).
int image_tasks(int64_t N) {
  const int nt = threads();
  if (nt <= 1) return 1;
  return N >= nt ? nt : 0;
}

}  // namespace

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
    segs.push_back(ConvSegment{static_cast<int32_t>(p0), static_cast<int32_t>(p0), static_cast<uint32_t>((uint32_t(1) << len) - 1)});
  }
  return segs.empty() ? 0.0 : static_cast<double>(P) / (lanes * static_cast<double>(segs.size()));
}

int64_t conv_tiles(int64_t F, int64_t K, int max_rows, std::vector<ConvTile>& tiles) {
  tiles.clear();
  // Units of max_rows/3 rows (4 or 2) spread over as few tiles as max_rows-row tiles need: 64 filters =
  // 12+12+12+12+8+8 (AVX-512), 16 = 6+6+4 (AVX2).
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

// x[N,C,H,W], w[F,C*KH*KW], b[F] -> y[N,F,OH,OW] (ReLU'd when `relu`)
bool conv_forward(const float* x, const float* w, const float* b, const WindowGeom& g, int64_t F, float* y,
                  bool relu) {
  const Im2colKernels& k = im2col_kernels();
  const int64_t X = g.image(), Y = F * g.positions();
  const int tasks = image_tasks(g.N);
  DirectFwd& d = t_fwd;
  d.on = false;
  if (tasks > 0 && !setup_direct_fwd(d, g, w, F)) return false;
  if (d.on) {
    std::atomic<bool> ok{true};
    std::atomic<int64_t> next{0};
    parallel_run(
        [&](int, int) {
          for (int64_t n = next.fetch_add(1); n < g.N; n = next.fetch_add(1)) {
            if (!direct_fwd_image(d, x + n * X, g, b, relu, y + n * Y)) {
              ok.store(false);
              return;
            }
          }
        },
        tasks);
    return ok.load();
  }
  if (tasks == 0) {  // few images: one at a time, each GEMM threaded
    for (int64_t n = 0; n < g.N; ++n) {
      if (!forward_image(k, x + n * X, w, b, g, F, y + n * Y, relu)) return false;
    }
    return true;
  }
  // Images are claimed one at a time (each is independent): a task delayed by other work on its core
  // (the JS engine's helper threads) leaves its share to the others instead of holding up the layer.
  std::atomic<bool> ok{true};
  std::atomic<int64_t> next{0};
  parallel_run(
      [&](int, int) {
        for (int64_t n = next.fetch_add(1); n < g.N; n = next.fetch_add(1)) {
          if (!forward_image(k, x + n * X, w, b, g, F, y + n * Y, relu)) {
            ok.store(false);
            return;
          }
        }
      },
      tasks);
  return ok.load();
}

// dy[N,F,OH,OW], x[N,C,H,W], w[F,C*KH*KW], y[N,F,OH,OW] (nullable) -> dw[F,C*KH*KW], db[F], dx[N,C,H,W] (nullable)
bool conv_backward(const float* dy, const float* x, const float* w, const WindowGeom& g, int64_t F, float* dx,
                   float* dw, float* db, const float* y) {
  const Im2colKernels& k = im2col_kernels();
  const int64_t X = g.image(), Y = F * g.positions(), K = g.taps(), DW = F * K;
  const int tasks = image_tasks(g.N);
  // Caller-owned buffer: [wf (C*F*KH*KW, when dx goes as a convolution)] then one [dwT | db] partial
  // (K*F + F floats) per task. Partials are transposed (dwT[K, F]): the GEMM then has the wide dimension
  // K as rows and reads the unrolled image in place.
  const bool conv_dx = dx && dx_as_conv(g);
  const int64_t nwf = conv_dx ? DW : 0, stride = DW + F, slots = tasks == 0 ? 1 : tasks;
  float* buf = t_partials.get(nwf + stride * slots);
  if (!buf) return false;
  float* wf = conv_dx ? buf : nullptr;
  float* partials = buf + nwf;
  if (wf) flip_filters(w, g, F, wf);
  // dx = conv(dy, wf) through the implicit GEMM where it applies (images in parallel only).
  DirectFwd& dxf = t_dxf;
  dxf.on = false;
  if (wf && tasks > 0 && !setup_direct_fwd(dxf, dx_geometry(g, F), wf, g.C)) return false;
  // The direct weight gradient (conv_direct.h) where it applies; with fewer images than threads the
  // per-image GEMMs below use the whole pool instead.
  std::vector<ConvSegment>& segs = t_segs;
  const DwPath dw_path = tasks > 0 ? direct_dw_path(g, F, segs) : DwPath::gemm;
  std::atomic<bool> ok{true};
  int used = 1;
  if (tasks == 0) {  // few images: one at a time, each GEMM threaded
    for (int64_t n = 0; n < g.N; ++n) {
      if (!backward_image(k, dy + n * Y, x + n * X, w, wf, g, F, dx ? dx + n * X : nullptr, partials, partials + DW,
                          n == 0, y ? y + n * Y : nullptr)) {
        return false;
      }
    }
  } else {
    std::atomic<int> nth_used{1};
    parallel_run(
        [&](int ith, int nth) {
          if (ith == 0) nth_used.store(nth);
          std::size_t lo, hi;
          split_range(static_cast<std::size_t>(g.N), ith, nth, lo, hi);
          float* pdw = partials + stride * ith;
          if (lo == hi) {  // cannot happen with N >= nth; keep the partial well-defined anyway
            std::memset(pdw, 0, sizeof(float) * static_cast<std::size_t>(stride));
            return;
          }
          if (dw_path == DwPath::lanes) {
            // Per image: the bias gradient, ReLU mask and dx, then its dW directly into 16-lane partials,
            // reduced into this task's dwT partial at the end.
            const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, XP = g.C * Hp * Wp + 16;
            float* xp = t_group.get(XP + (y ? Y : 0) + DW * 16);
            if (!xp) {
              ok.store(false);
              return;
            }
            float* mask = y ? xp + XP : nullptr;
            float* acc = xp + XP + (y ? Y : 0);
            for (int64_t n = static_cast<int64_t>(lo); n < static_cast<int64_t>(hi); ++n) {
              const float* dyn = nullptr;
              const bool first = n == static_cast<int64_t>(lo);
              if (!backward_image(k, dy + n * Y, x + n * X, w, wf, g, F, dx ? dx + n * X : nullptr, pdw, pdw + DW,
                                  first, y ? y + n * Y : nullptr, true, mask, &dyn, &dxf)) {
                ok.store(false);
                return;
              }
              conv_pad_image_avx2(x + n * X, g, xp);
              conv_dw_direct_avx512(xp, dyn, g, F, segs.data(), static_cast<int64_t>(segs.size()), acc, first);
            }
            conv_dw_reduce_avx512(acc, DW, pdw);
            return;
          }
          for (int64_t n = static_cast<int64_t>(lo); n < static_cast<int64_t>(hi); ++n) {
            if (!backward_image(k, dy + n * Y, x + n * X, w, wf, g, F, dx ? dx + n * X : nullptr, pdw, pdw + DW,
                                n == static_cast<int64_t>(lo), y ? y + n * Y : nullptr, false, nullptr, nullptr,
                                &dxf)) {
              ok.store(false);
              return;
            }
          }
        },
        tasks);
    if (!ok.load()) return false;
    used = nth_used.load();
  }
  // Fixed-order reduction (deterministic for a given thread count: partial 0, then + partial 1, ...),
  // transposing dwT[K, F] into dw[F, K]; split over the pool by rows of dw (one pass over the partials).
  const auto reduce = [&](int64_t f0, int64_t f1) {
    for (int64_t f = f0; f < f1; ++f) {
      float* dwf = dw + f * K;
      for (int64_t j = 0; j < K; ++j) dwf[j] = partials[j * F + f];
      db[f] = partials[DW + f];
      for (int t = 1; t < used; ++t) {
        const float* p = partials + stride * t;
        for (int64_t j = 0; j < K; ++j) dwf[j] += p[j * F + f];
        db[f] += p[DW + f];
      }
    }
  };
  if (used > 1 && DW >= 4096) {
    parallel_run([&](int ith, int nth) {
      std::size_t f0, f1;
      split_range(static_cast<std::size_t>(F), ith, nth, f0, f1);
      reduce(static_cast<int64_t>(f0), static_cast<int64_t>(f1));
    });
  } else {
    reduce(0, F);
  }
  return true;
}

ConvPlan conv_plan(const WindowGeom& g, int64_t F, bool need_dx) {
  ConvPlan p{"im2col", "im2col", need_dx ? "col2im" : "none"};
  if (is_pointwise(g)) return ConvPlan{"gemm", "gemm", need_dx ? "gemm" : "none"};
  const bool parallel = image_tasks(g.N) > 0;
  std::vector<ConvSegment> segs;
  bool expanded = false;
  int lanes = 16;
  if (parallel && direct_fwd_applies(g, segs, &expanded, &lanes)) p.forward = "direct";
  if (parallel && direct_dw_path(g, F, segs) != DwPath::gemm) p.weight_grad = "direct";
  if (need_dx && dx_as_conv(g)) p.input_grad = parallel && direct_fwd_applies(dx_geometry(g, F), segs, &expanded, &lanes) ? "direct" : "im2col";
  return p;
}

}  // namespace simdnet
