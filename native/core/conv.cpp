// Fused convolution forward/backward (contracts in conv.h).
//
// Per image n (P = OH*OW, K = C*KH*KW), over bands of output rows [oh0, oh1) with Pb = (oh1-oh0)*OW:
//   forward:  colT[K, Pb] = im2col_t(x_n);  y_n[F, band] = b + W[F, K] * colT
//   backward: colT = im2col_t(x_n);  dWT[K, F] += colT * dy_n[F, band]^T;  db += rowsum(dy_n)
//             dx_n: stride 1, square kernel, pad <= K-1: a convolution of dy_n (padded by KH-1-pad) with
//             the flipped filters wf[C, F*KH*KW] (im2col of dy_n, one GEMM, no scatter-add);
//             otherwise colT = W^T * dy_n[F, band] and dx_n += col2im_t(colT).
// A 1x1 kernel with stride 1 and no padding needs no unrolling: x_n[C, H*W] is colT already, and
// dx_n = W^T * dy_n directly.
// Threads: forward, pool tasks claim images one at a time; backward, contiguous ranges of images per pool
// task, each with its own dWT/db partial (claiming chunks with a partial each measured slower: the longer
// reduction cost more than the balancing bought). Each task has its own workspace; partials are summed in
// task order (and transposed into dw), split over the pool by rows of dw. With fewer images than threads
// the images run one after another and each GEMM uses the whole pool instead.
#include "core/conv.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/sgemm.h"
#include "core/threadpool.h"

namespace simdnet {
namespace {

// A band's colT stays within 512 KB: it and the GEMM's packed copy of it fit in L2.
constexpr int64_t kConvBandFloats = int64_t(1) << 17;

thread_local Workspace t_col;       // colT band, per executing thread
thread_local Workspace t_partials;  // flipped filters and dWT/db partials, per calling thread
thread_local Workspace t_mask;      // the ReLU-masked dy of one image (fused backward), per executing thread

// Both as bit masks, so the compiler vectorizes them (a ternary on random signs compiled to a branch costs
// a misprediction per element: it made the fused backward slower than a separate Relu pass).
inline uint32_t bits_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}
inline float float_of(uint32_t u) {
  float v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

// In place: t = v[f, p] + b[f]; v[f, p] = t <= 0 ? 0 : t (the Relu layer's formula: -0 becomes +0, NaN
// passes; bit for bit the same).
void bias_relu_inplace(float* v, const float* b, int64_t F, int64_t P) {
  for (int64_t f = 0; f < F; ++f) {
    float* vf = v + f * P;
    const float bf = b[f];
    for (int64_t p = 0; p < P; ++p) {
      const float t = vf[p] + bf;
      vf[p] = float_of(bits_of(t) & (0u - static_cast<uint32_t>(!(t <= 0.0f))));
    }
  }
}

bool is_pointwise(const WindowGeom& g) { return g.KH == 1 && g.KW == 1 && g.stride == 1 && g.pad == 0; }

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

// db (= when `first`, else +=) row sums of dy_n[F, P]; eight independent lanes so it vectorizes.
void bias_grad(const float* dyn, int64_t F, int64_t P, float* db, bool first) {
  for (int64_t f = 0; f < F; ++f) {
    const float* d = dyn + f * P;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t p = 0;
    for (; p + 8 <= P; p += 8) {
      for (int j = 0; j < 8; ++j) acc[j] += d[p + j];
    }
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; p < P; ++p) s += d[p];
    db[f] = first ? s : db[f] + s;
  }
}

// m[f, p] = y[f, p] > 0 ? dy[f, p] : 0 (the Relu layer's backward mask x > 0; y > 0 exactly where the
// pre-activation is), and db from m in the same pass: summed while it is written, in bias_grad's lanes and
// order, so bit for bit the db of bias_grad(m).
void relu_mask_bias_grad(const float* dy, const float* y, int64_t F, int64_t P, float* m, float* db, bool first) {
  for (int64_t f = 0; f < F; ++f) {
    const float* d = dy + f * P;
    const float* yf = y + f * P;
    float* mf = m + f * P;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t p = 0;
    for (; p + 8 <= P; p += 8) {
      for (int j = 0; j < 8; ++j) {
        const float v = float_of(bits_of(d[p + j]) & (0u - static_cast<uint32_t>(yf[p + j] > 0.0f)));
        mf[p + j] = v;
        acc[j] += v;
      }
    }
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; p < P; ++p) {
      const float v = float_of(bits_of(d[p]) & (0u - static_cast<uint32_t>(yf[p] > 0.0f)));
      mf[p] = v;
      s += v;
    }
    db[f] = first ? s : db[f] + s;
  }
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

// dwT[K, F] (= when `first`, else +=) unroll(x_n) * dy_n^T; db likewise; dx_n when dxn != null, either
// as conv(dy_n, wf) (wf != null, see dx_as_conv) or as col2im(W^T dy_n).
bool backward_image(const Im2colKernels& k, const float* dyn, const float* xn, const float* w, const float* wf,
                    const WindowGeom& g, int64_t F, float* dxn, float* dwT, float* db, bool first, const float* yn) {
  const int64_t K = g.taps(), P = g.positions();
  if (yn) {  // fused ReLU: the masked gradient of this image, in a per-thread workspace
    float* m = t_mask.get(F * P);
    if (!m) return false;
    relu_mask_bias_grad(dyn, yn, F, P, m, db, first);
    dyn = m;
  } else {
    bias_grad(dyn, F, P, db, first);
  }
  if (is_pointwise(g)) {
    sgemm(false, true, K, F, P, 1.0f, xn, P, dyn, P, first ? 0.0f : 1.0f, dwT, F);
    if (dxn) sgemm(true, false, K, P, F, 1.0f, w, K, dyn, P, 0.0f, dxn, P);
    return true;
  }
  const int64_t rows = band_rows(g, kConvBandFloats);
  const WindowGeom gt = dx_geometry(g, F);
  const int64_t trows = wf ? band_rows(gt, kConvBandFloats) : 0;
  const int64_t need = K * rows * g.OW, tneed = wf ? gt.taps() * trows * gt.OW : 0;
  float* colT = t_col.get(need > tneed ? need : tneed);
  if (!colT) return false;
  if (dxn && !wf) std::memset(dxn, 0, sizeof(float) * static_cast<std::size_t>(g.image()));
  for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rows) {
    const int64_t oh1 = oh0 + rows < g.OH ? oh0 + rows : g.OH, Pb = (oh1 - oh0) * g.OW;
    const float* dyb = dyn + oh0 * g.OW;
    k.im2col_t(xn, g, oh0, oh1, colT);
    sgemm(false, true, K, F, Pb, 1.0f, colT, Pb, dyb, P, first && oh0 == 0 ? 0.0f : 1.0f, dwT, F);
    if (dxn && !wf) {
      sgemm(true, false, K, Pb, F, 1.0f, w, K, dyb, P, 0.0f, colT, Pb);
      k.col2im_t(colT, g, oh0, oh1, dxn);
    }
  }
  if (dxn && wf) {
    const int64_t HW = g.H * g.W, FKK = gt.taps();
    for (int64_t h0 = 0; h0 < g.H; h0 += trows) {
      const int64_t h1 = h0 + trows < g.H ? h0 + trows : g.H, Pb = (h1 - h0) * g.W;
      k.im2col_t(dyn, gt, h0, h1, colT);
      sgemm(false, false, g.C, Pb, FKK, 1.0f, wf, FKK, colT, Pb, 0.0f, dxn + h0 * g.W, HW);
    }
  }
  return true;
}

// Tasks for image-parallel work: the thread count capped by N (0 means run images one after another).
int image_tasks(int64_t N) {
  const int nt = threads();
  if (nt <= 1) return 1;
  return N >= nt ? nt : 0;
}

}  // namespace

// x[N,C,H,W], w[F,C*KH*KW], b[F] -> y[N,F,OH,OW] (ReLU'd when `relu`)
bool conv_forward(const float* x, const float* w, const float* b, const WindowGeom& g, int64_t F, float* y,
                  bool relu) {
  const Im2colKernels& k = im2col_kernels();
  const int64_t X = g.image(), Y = F * g.positions();
  const int tasks = image_tasks(g.N);
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
          for (int64_t n = static_cast<int64_t>(lo); n < static_cast<int64_t>(hi); ++n) {
            if (!backward_image(k, dy + n * Y, x + n * X, w, wf, g, F, dx ? dx + n * X : nullptr, pdw, pdw + DW,
                                n == static_cast<int64_t>(lo), y ? y + n * Y : nullptr)) {
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

}  // namespace simdnet
