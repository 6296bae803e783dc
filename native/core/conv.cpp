// The fused convolution's drivers (contracts in conv.h): images over the thread pool, per-task partials of the
// weight gradient and their fixed-order reduction. The per-image work is in conv_im2col.cpp (im2col + SGEMM) and
// conv_direct.cpp (the direct path); conv_paths.cpp chooses between them (conv_internal.h lists the parts).
//
// Per image, where the direct paths apply (stride 1, images in parallel; every tier has direct kernels):
//   forward:  y_n = b + W * B, B read in place from the zero-padded (or W-expanded) image by an implicit-GEMM
//             micro-kernel with bias and ReLU in its epilogue;
//   backward: dx_n the same kernel on dy_n with the flipped filters; dW by the tier's lane loop where there are
//             fewer than 32 filters (reference and AVX-512 tiers); with 32 filters or more, and for stride > 1, the
//             group weight gradient on every tier (conv_dw.h: taps broadcast from the image's rows x filters).
// Stride > 1 (images in parallel): the forward and dx on the same kernels, phase by phase (conv_strided.h).
// Otherwise the im2col path (conv_im2col.cpp).
// Threads: forward, pool tasks claim images one at a time; backward, contiguous chunks of images claimed over
// the pool (backward_chunks(): 8 up to 4 threads, whatever the thread count: a thread descheduled by other work on its core
// holds back one chunk, not half the batch), each chunk with its own dWT/db partial. Partials are summed in
// chunk order (and transposed into dw), split over the pool by rows of dw: dW does not depend on which thread
// ran which chunk, nor on the thread count (1 to 4) while images run in parallel. Each executing thread has its own
// workspace. With fewer images than threads the images run one after another and each GEMM uses the whole
// pool instead.
#include "core/conv.h"

#include <atomic>
#include <cstring>
#include <vector>

#include "core/conv_dw.h"
#include "core/conv_internal.h"
#include "core/conv_pool_fwd.h"
#include "core/conv_strided.h"
#include "core/elementwise.h"
#include "core/pool.h"
#include "core/threadpool.h"
#include "core/winograd.h"

namespace simdnet {
namespace {

using namespace conv;

// Backward chunks of images (each one dWT/db partial): 8 hold a descheduled thread's loss to 1/8 of the batch
// at 2 threads while the reduction reads 8 partials (DeepConvNet: 8 x 286 KB per step), more with many threads.
int backward_chunks(int tasks) { return tasks > 4 ? 2 * tasks : 8; }

thread_local Workspace t_partials;  // flipped filters and dWT/db partials, per calling thread
thread_local Workspace t_group;     // direct dW: padded input, masked gradient, lane partials, per executing thread
thread_local std::vector<ConvSegment> t_segs;  // direct dW: the output positions' segments, per calling thread
thread_local DwTaps t_dwt;          // the group weight gradient's layout (conv_dw.h), per calling thread
thread_local DirectFwd t_fwd;       // conv_forward's direct setup, per calling thread
thread_local DirectFwd t_dxf;       // conv_backward's dx = conv(dy, wf), per calling thread
thread_local StridedDx t_sdx;       // conv_backward's phase-decomposed dx (stride > 1), per calling thread
thread_local Workspace t_pool_y;    // conv_forward_max_pool: an image's convolution output (+ argmax), per thread
thread_local Workspace t_pool_arg;  // conv_forward_max_pool's unfused path: the argmax it drops
thread_local Workspace t_pool_y1;   // conv2_forward_max_pool: the first convolution's output (+ the second's), per thread
thread_local DirectFwd t_fwd2;      // conv2_forward_max_pool's second convolution, per calling thread
thread_local WinogradFwd t_wino;    // the inference ops' Winograd setup (first convolution), per calling thread
thread_local WinogradFwd t_wino2;   // conv2_forward_max_pool's second convolution, per calling thread
thread_local ConvPoolFwd t_cpool;   // conv_forward_max_pool at inference, pooled in registers, per calling thread

// One convolution of an inference op, image by image: Winograd F(4x4, 3x3) where it applies (winograd.h), else the
// direct path.
struct ImageFwd {
  DirectFwd& d;
  WinogradFwd& w;
  bool on() const { return w.on || d.on; }
  bool run(const float* xn, const WindowGeom& g, const float* b, bool relu, float* yn) const {
    return w.on ? winograd_fwd_image(w, xn, relu, yn) : direct_fwd_image(d, xn, g, b, relu, yn);
  }
};
// Sets up f for g (neither on where neither applies; Winograd only when `winograd`). False only when a workspace
// cannot be allocated.
bool setup_image_fwd(const ImageFwd& f, const KernelTable& kt, const WindowGeom& g, const float* w, const float* b,
                     int64_t F, bool winograd = true) {
  f.d.on = f.w.on = false;
  if (winograd && !setup_winograd_fwd(f.w, kt, g, w, b, F)) return false;
  return f.w.on || setup_direct_fwd(f.d, *kt.conv_direct, g, w, F);
}

// Runs fn(n) for every image on `tasks` pool tasks claiming images one at a time (a task delayed by other work
// on its core — the JS engine's helper threads — leaves its share to the others instead of holding up the layer).
// False when any fn(n) returned false.
template <typename Fn>
bool claim_images(int64_t N, int tasks, Fn fn) {
  std::atomic<bool> ok{true};
  std::atomic<int64_t> next{0};
  parallel_run(
      [&](int, int) {
        for (int64_t n = next.fetch_add(1); n < N; n = next.fetch_add(1)) {
          if (!fn(n)) {
            ok.store(false);
            return;
          }
        }
      },
      tasks);
  return ok.load();
}

// dw[F, K], db[F] = the sum of `used` partials [dwT[K, F] | db[F]] (`stride` floats apart), in chunk order
// (partial 0, + partial 1, + partial 2, ...: the same bits whichever thread ran which chunk), then dwT transposed.
// The sum runs first, over contiguous ranges of the partials (streaming reads, claimed over the pool), into
// partial 0; the transpose then reads one partial, not `used` (a transposing read of each partial per row of dw
// re-fetched the partials from L3 for every row).
void reduce_partials(float* partials, int used, int64_t stride, int64_t F, int64_t K, float* dw, float* db) {
  const int64_t DW = F * K, S = DW + F;
  if (used > 1) {
    const auto sum = [&](std::size_t b, std::size_t e) {
      for (int t = 1; t < used; ++t) {
        const float* p = partials + stride * t;
        for (std::size_t i = b; i < e; ++i) partials[i] += p[i];
      }
    };
    const auto n = static_cast<std::size_t>(S);
    if (S * used >= (int64_t(1) << 15)) {
      parallel_for(n, (grain_for(n, 4096) + 15) / 16 * 16, sum);  // whole cache lines per chunk
    } else {
      sum(0, n);
    }
  }
  const auto transpose = [&](std::size_t f0, std::size_t f1) {
    for (std::size_t f = f0; f < f1; ++f) {
      float* dwf = dw + f * K;
      for (int64_t j = 0; j < K; ++j) dwf[j] = partials[j * F + static_cast<int64_t>(f)];
      db[f] = partials[DW + static_cast<int64_t>(f)];
    }
  };
  if (DW >= (int64_t(1) << 15)) {
    parallel_for(static_cast<std::size_t>(F), grain_for(static_cast<std::size_t>(F)), transpose);
  } else {
    transpose(0, static_cast<std::size_t>(F));
  }
}

}  // namespace

// x[N,C,H,W], w[F,C*KH*KW], b[F], r[N,F,OH,OW] (nullable) -> y[N,F,OH,OW] (+ r, then ReLU'd when `relu`)
bool conv_forward(const float* x, const float* w, const float* b, const WindowGeom& g, int64_t F, float* y,
                  bool relu, const float* r) {
  const KernelTable& kt = kernels();
  const int64_t X = g.image(), Y = F * g.positions();
  const int tasks = image_tasks(g.N);
  // With a residual the kernels write conv + b, and the sum and the ReLU follow per image (the Add and Relu
  // layers' kernels: the same bits), while the image's output is still in cache.
  const bool act = relu && !r;
  const auto residual = [&](int64_t n) {
    if (!r) return;
    const auto len = static_cast<std::size_t>(Y);
    kt.elementwise->add(y + n * Y, r + n * Y, len);
    if (relu) kt.elementwise->act_fwd(Act::relu, y + n * Y, y + n * Y, len, 0.0f);
  };
  DirectFwd& d = t_fwd;
  d.on = false;
  if (tasks > 0 && !setup_direct_fwd(d, *kt.conv_direct, g, w, F)) return false;
  if (d.on) {
    return claim_images(g.N, tasks, [&](int64_t n) {
      if (!direct_fwd_image(d, x + n * X, g, b, act, y + n * Y)) return false;
      residual(n);
      return true;
    });
  }
  const auto image = [&](int64_t n) {
    if (!forward_image(kt, x + n * X, w, b, g, F, y + n * Y, act)) return false;
    residual(n);
    return true;
  };
  if (tasks == 0) {  // few images: one at a time, each GEMM threaded
    for (int64_t n = 0; n < g.N; ++n) {
      if (!image(n)) return false;
    }
    return true;
  }
  return claim_images(g.N, tasks, image);
}

// x[N,C,H,W], w[F,C*KH*KW], b[F], r (nullable) -> y[N,F,OH,OW] (conv.h)
bool conv_forward_inference(const float* x, const float* w, const float* b, const WindowGeom& g, int64_t F, float* y,
                            bool relu, const float* r) {
  const KernelTable& kt = kernels();
  const int tasks = image_tasks(g.N);
  WinogradFwd& wf = t_wino;
  wf.on = false;
  if (tasks > 0 && !setup_winograd_fwd(wf, kt, g, w, b, F)) return false;
  if (!wf.on) return conv_forward(x, w, b, g, F, y, relu, r);
  const int64_t X = g.image(), Y = F * g.positions();
  return claim_images(g.N, tasks, [&](int64_t n) {
    if (!winograd_fwd_image(wf, x + n * X, relu && !r, y + n * Y)) return false;
    if (r) {
      const auto len = static_cast<std::size_t>(Y);
      kt.elementwise->add(y + n * Y, r + n * Y, len);
      if (relu) kt.elementwise->act_fwd(Act::relu, y + n * Y, y + n * Y, len, 0.0f);
    }
    return true;
  });
}

// x[N,C,H,W], w[F,C*KH*KW], b[F] -> z[N,F,PH,PW] (conv.h)
bool conv_forward_max_pool(const float* x, const float* w, const float* b, const WindowGeom& g, int64_t F, bool relu,
                           const WindowGeom& pool, float* z, int32_t* argmax) {
  const KernelTable& kt = kernels();
  const WindowGeom pg = make_window(g.N, F, g.OH, g.OW, pool.KH, pool.KW, pool.stride, pool.pad);
  const int64_t X = g.image(), P = g.positions(), PP = pg.positions();
  const int tasks = image_tasks(g.N);
  const ImageFwd fw{t_fwd, t_wino};
  fw.d.on = fw.w.on = false;
  const bool two = pg.KH == 2 && pg.KW == 2 && pg.stride == 2 && pg.pad == 0;
  // Winograd only at inference: training's forward must give the direct path's y (its backward reads it)
  if (tasks > 0 && two && !setup_image_fwd(fw, kt, g, w, b, F, !argmax)) return false;
  // Inference on the direct path: the pool in registers, the convolution's output never stored (conv_pool_fwd.h;
  // the same bits).
  ConvPoolFwd& cp = t_cpool;
  cp.on = false;
  if (!argmax && fw.d.on && !setup_conv_pool_fwd(cp, *kt.conv_pool, *kt.conv_direct, g, w, F)) return false;
  if (cp.on) {
    return claim_images(g.N, tasks, [&](int64_t n) { return conv_pool_fwd_image(cp, x + n * X, g, b, relu, z + n * F * PP); });
  }
  if (!fw.on()) {  // the two ops, through workspaces
    float* y = t_pool_y.get(g.N * F * P);
    int32_t* am = argmax ? argmax : reinterpret_cast<int32_t*>(t_pool_arg.get(g.N * F * PP));
    if (!y || !am || !conv_forward(x, w, b, g, F, y, relu)) return false;
    max_pool_forward(y, pg, z, am);
    return true;
  }
  // max_pool_forward's kernel choice: under 8 windows a row the reference (same bits)
  const MaxPool2x2Kernels& pk = pg.OW >= 8 ? *kt.max_pool_2x2 : max_pool_2x2_kernels_ref;
  return claim_images(g.N, tasks, [&](int64_t n) {
    float* yn = t_pool_y.get(F * P + F * PP);
    if (!yn || !fw.run(x + n * X, g, b, relu, yn)) return false;
    int32_t* am = reinterpret_cast<int32_t*>(yn + F * P);  // dropped (inference), else the plane's in argmax
    for (int64_t f = 0; f < F; ++f) {
      const int64_t q = n * F + f;
      pk.forward(yn + f * P, g.OW, pg.OH, pg.OW, z + q * PP, argmax ? argmax + q * PP : am,
                 argmax ? static_cast<int32_t>(q * P) : 0);
    }
    return true;
  });
}

// x[N,C,H,W] -> z[N,F2,PH,PW] through two convolutions (conv.h)
bool conv2_forward_max_pool(const float* x, const float* w1, const float* b1, const WindowGeom& g1, int64_t F1,
                            bool relu1, const float* w2, const float* b2, const WindowGeom& g2, int64_t F2, bool relu2,
                            const WindowGeom& pool, float* z) {
  const KernelTable& kt = kernels();
  const WindowGeom pg = make_window(g2.N, F2, g2.OH, g2.OW, pool.KH, pool.KW, pool.stride, pool.pad);
  const int64_t X = g1.image(), P1 = g1.positions(), P2 = g2.positions(), PP = pg.positions();
  const int tasks = image_tasks(g1.N);
  const ImageFwd fw1{t_fwd, t_wino}, fw2{t_fwd2, t_wino2};
  fw1.d.on = fw1.w.on = fw2.d.on = fw2.w.on = false;
  const bool two = pg.KH == 2 && pg.KW == 2 && pg.stride == 2 && pg.pad == 0;
  if (tasks > 0 && two && !setup_image_fwd(fw1, kt, g1, w1, b1, F1)) return false;
  if (fw1.on() && !setup_image_fwd(fw2, kt, g2, w2, b2, F2)) return false;
  if (!fw1.on() || !fw2.on()) {  // conv1 through a workspace, then conv2 + pool
    float* y1 = t_pool_y1.get(g1.N * F1 * P1);
    if (!y1 || !conv_forward(x, w1, b1, g1, F1, y1, relu1)) return false;
    return conv_forward_max_pool(y1, w2, b2, g2, F2, relu2, pool, z);
  }
  const MaxPool2x2Kernels& pk = pg.OW >= 8 ? *kt.max_pool_2x2 : max_pool_2x2_kernels_ref;
  const WindowGeom g2n = make_window(1, g2.C, g2.H, g2.W, g2.KH, g2.KW, g2.stride, g2.pad);
  return claim_images(g1.N, tasks, [&](int64_t n) {
    float* y1 = t_pool_y1.get(F1 * P1 + F2 * P2 + F2 * PP);
    if (!y1 || !fw1.run(x + n * X, g1, b1, relu1, y1)) return false;
    float* y2 = y1 + F1 * P1;
    if (!fw2.run(y1, g2n, b2, relu2, y2)) return false;
    int32_t* am = reinterpret_cast<int32_t*>(y2 + F2 * P2);
    for (int64_t f = 0; f < F2; ++f) pk.forward(y2 + f * P2, g2.OW, pg.OH, pg.OW, z + (n * F2 + f) * PP, am, 0);
    return true;
  });
}

// dy[N,F,OH,OW], x[N,C,H,W], w[F,C*KH*KW], y[N,F,OH,OW] (nullable) -> dw[F,C*KH*KW], db[F], dx[N,C,H,W] (nullable)
bool conv_backward(const float* dy, const float* x, const float* w, const WindowGeom& g, int64_t F, float* dx,
                   float* dw, float* db, const float* y) {
  return conv::backward_driver(dy, x, w, g, F, dx, dw, db, y, nullptr, nullptr);
}

// conv_backward, with dy either given or unpooled per image from `pool` (conv_internal.h)
bool conv::backward_driver(const float* dy, const float* x, const float* w, const WindowGeom& g, int64_t F, float* dx,
                           float* dw, float* db, const float* y, const PoolGrad* pool,
                           std::atomic<bool>* outside) {
  const KernelTable& kt = kernels();
  const ConvDirectKernels& cd = *kt.conv_direct;
  const int64_t X = g.image(), Y = F * g.positions(), K = g.taps(), DW = F * K;
  const int tasks = image_tasks(g.N);
  // Caller-owned buffer: [wf (C*F*KH*KW, when dx goes as a convolution)] then one [dwT | db] partial
  // (K*F + F floats) per task. Partials are transposed (dwT[K, F]): the GEMM then has the wide dimension
  // K as rows and reads the unrolled image in place.
  const bool conv_dx = dx && dx_as_conv(g);
  // images in chunks of `grain`, one partial each
  const int64_t grain = tasks == 0 ? g.N : (g.N + backward_chunks(tasks) - 1) / backward_chunks(tasks);
  const int64_t nwf = conv_dx ? DW : 0, stride = DW + F, slots = grain == 0 ? 1 : (g.N + grain - 1) / grain;
  float* buf = t_partials.get(nwf + stride * slots);
  if (!buf) return false;
  float* wf = conv_dx ? buf : nullptr;
  float* partials = buf + nwf;
  if (wf) flip_filters(w, g, F, wf);
  // dx = conv(dy, wf) through the implicit GEMM where it applies (images in parallel only).
  DirectFwd& dxf = t_dxf;
  dxf.on = false;
  if (wf && tasks > 0 && !setup_direct_fwd(dxf, cd, dx_geometry(g, F), wf, g.C)) return false;
  // Stride > 1: dx phase by phase on the same kernels (conv_strided.h), images in parallel only.
  StridedDx& sdx = t_sdx;
  sdx.on = false;
  if (dx && !conv_dx && tasks > 0 && !setup_strided_dx(sdx, cd, g, w, F)) return false;
  // The direct weight gradient where it applies; with fewer images than threads the per-image GEMMs use the
  // whole pool instead.
  std::vector<ConvSegment>& segs = t_segs;
  DwPath dw_path = tasks > 0 ? direct_dw_path(cd, g, F, segs) : DwPath::gemm;
  // Elsewhere the group weight gradient where it applies (conv_dw.h).
  DwTaps& dwt = t_dwt;
  if (dw_path == DwPath::gemm && tasks > 0 && dw_taps_applies(cd, g, F, &dwt)) dw_path = DwPath::taps;
  auto image = [&](int64_t n, float* pdw, bool first) {
    BackwardImage a{dy ? dy + n * Y : nullptr, x + n * X, y ? y + n * Y : nullptr, dx ? dx + n * X : nullptr, pdw,
                    pdw + DW, first};
    a.pool = pool;
    a.n = n;
    a.outside = outside;
    if (sdx.on) a.sdx = &sdx;
    return a;
  };
  // The group weight gradient of images [lo, hi) into pdw (conv_dw.h): per image the bias gradient, mask and dx
  // (dW skipped), its layout and its gradient transposed; per group of dwt.group images one dw_taps call.
  const auto taps_chunk = [&](int64_t lo, int64_t hi, float* pdw) {
    const int64_t XB = dwt.xfloats, P = g.positions(), G = dwt.group;
    float* xb = t_group.get(G * (XB + F * P));
    if (!xb) return false;
    float* dyT = xb + G * XB;
    for (int64_t n0 = lo; n0 < hi; n0 += G) {
      const int64_t m = hi - n0 < G ? hi - n0 : G;
      for (int64_t j = 0; j < m; ++j) {
        BackwardImage a = image(n0 + j, pdw, n0 + j == lo);
        const float* dyn = nullptr;
        a.skip_dw = true;
        a.used_dy = &dyn;
        if (!backward_image(kt, a, w, wf, g, F, &dxf)) return false;
        dw_taps_image(dwt, x + (n0 + j) * X, g, xb + j * XB);
        dw_transpose(dyn, F, P, dyT + j * F * P);
      }
      cd.dw_taps(xb, XB, dyT, F * P, m, dwt.off.data(), K, dwt.pos.data(), P, F, pdw, n0 == lo);
    }
    return true;
  };
  int used = 1;
  if (tasks == 0) {  // few images: one at a time, each GEMM threaded
    for (int64_t n = 0; n < g.N; ++n) {
      if (!backward_image(kt, image(n, partials, n == 0), w, wf, g, F, nullptr)) return false;
    }
  } else if (grain == 0) {  // no images: a zero gradient
    std::memset(partials, 0, sizeof(float) * static_cast<std::size_t>(stride));
  } else {
    std::atomic<bool> ok{true};
    parallel_for(
        static_cast<std::size_t>(g.N), static_cast<std::size_t>(grain), [&](std::size_t lo, std::size_t hi) {
          float* pdw = partials + stride * static_cast<int64_t>(lo / static_cast<std::size_t>(grain));
          if (dw_path == DwPath::taps) {
            if (!taps_chunk(static_cast<int64_t>(lo), static_cast<int64_t>(hi), pdw)) ok.store(false);
            return;
          }
          if (dw_path == DwPath::lanes) {
            // Per image: the bias gradient, ReLU mask and dx, then its dW directly into 16-lane partials,
            // reduced into this task's dwT partial at the end.
            const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, XP = g.C * Hp * Wp + 16;
            const int64_t MY = y || pool ? Y : 0;  // the masked (or unpooled) gradient of one image
            float* xp = t_group.get(XP + MY + DW * 16);
            if (!xp) {
              ok.store(false);
              return;
            }
            float* acc = xp + XP + MY;
            for (int64_t n = static_cast<int64_t>(lo); n < static_cast<int64_t>(hi); ++n) {
              const bool first = n == static_cast<int64_t>(lo);
              BackwardImage a = image(n, pdw, first);
              const float* dyn = nullptr;
              a.skip_dw = true;
              a.mask = MY ? xp + XP : nullptr;
              a.used_dy = &dyn;
              if (!backward_image(kt, a, w, wf, g, F, &dxf)) {
                ok.store(false);
                return;
              }
              cd.pad_image(x + n * X, g, xp);
              cd.dw(xp, dyn, g, F, segs.data(), static_cast<int64_t>(segs.size()), acc, first);
            }
            conv_dw_reduce(acc, DW, pdw);
            return;
          }
          for (int64_t n = static_cast<int64_t>(lo); n < static_cast<int64_t>(hi); ++n) {
            if (!backward_image(kt, image(n, pdw, n == static_cast<int64_t>(lo)), w, wf, g, F, &dxf)) {
              ok.store(false);
              return;
            }
          }
        });
    if (!ok.load()) return false;
    used = static_cast<int>(slots);
  }
  reduce_partials(partials, used, stride, F, K, dw, db);
  return true;
}

}  // namespace simdnet
