// Max/average pooling (contracts in pool.h). Work is split over the N*C planes; each window is clipped to
// the image once per output row/column, so padding costs nothing.
#include "core/pool.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/threadpool.h"

namespace simdnet {
namespace {

// Runs fn(plane) for the N*C planes, split over the pool (small jobs stay on the calling thread).
template <typename Fn>
void for_each_plane(const WindowGeom& g, Fn fn) {
  const int64_t planes = g.N * g.C;
  const int64_t work = planes * g.positions() * g.KH * g.KW;
  const int max_tasks = work < (int64_t(1) << 14) ? 1 : static_cast<int>(std::min<int64_t>(planes, 1 << 20));
  parallel_run(
      [&](int ith, int nth) {
        std::size_t b, e;
        split_range(static_cast<std::size_t>(planes), ith, nth, b, e);
        for (int64_t p = static_cast<int64_t>(b); p < static_cast<int64_t>(e); ++p) fn(p);
      },
      max_tasks);
}

// The window rows/cols of output o clipped to [0, in): [lo, hi).
inline void clip(int64_t o, int64_t k, const WindowGeom& g, int64_t in, int64_t& lo, int64_t& hi) {
  const int64_t start = o * g.stride - g.pad;
  lo = start < 0 ? 0 : start;
  hi = start + k > in ? in : start + k;
}

// The book's 2x2 window, stride 2, no padding: every window lies inside the image. Branch-free selects in
// window order (strict '>', so the first maximum wins) that the compiler can vectorize.
void max_pool_2x2_plane(const float* xp, const WindowGeom& g, float* yp, int32_t* ap, int32_t base) {
  const int64_t W = g.W, OW = g.OW;
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const float* r0 = xp + 2 * oh * W;
    const float* r1 = r0 + W;
    float* yr = yp + oh * OW;
    int32_t* ar = ap + oh * OW;
    const int32_t i0 = base + static_cast<int32_t>(2 * oh * W);
    for (int64_t ow = 0; ow < OW; ++ow) {
      const float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      const int32_t ia = i0 + static_cast<int32_t>(2 * ow);
      float best = a;
      int32_t bi = ia;
      bi = b > best ? ia + 1 : bi;
      best = b > best ? b : best;
      bi = c > best ? ia + static_cast<int32_t>(W) : bi;
      best = c > best ? c : best;
      bi = d > best ? ia + static_cast<int32_t>(W) + 1 : bi;
      best = d > best ? d : best;
      yr[ow] = best;
      ar[ow] = bi;
    }
  }
}

}  // namespace

// x[N,C,H,W] -> y[N,C,OH,OW], argmax[N*C*OH*OW]
void max_pool_forward(const float* x, const WindowGeom& g, float* y, int32_t* argmax) {
  const int64_t HW = g.H * g.W, P = g.positions();
  if (g.KH == 2 && g.KW == 2 && g.stride == 2 && g.pad == 0) {
    for_each_plane(g, [&](int64_t plane) {
      max_pool_2x2_plane(x + plane * HW, g, y + plane * P, argmax + plane * P, static_cast<int32_t>(plane * HW));
    });
    return;
  }
  for_each_plane(g, [&](int64_t plane) {
    const float* xp = x + plane * HW;
    float* yp = y + plane * P;
    int32_t* ap = argmax + plane * P;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      int64_t h0, h1;
      clip(oh, g.KH, g, g.H, h0, h1);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t w0, w1;
        clip(ow, g.KW, g, g.W, w0, w1);
        // pad < KH, KW: the clipped window is never empty. Start from its first element, then strict '>':
        // the first maximum wins, and an all -inf window still points at a real element.
        int64_t best_i = h0 * g.W + w0;
        float best = xp[best_i];
        for (int64_t ih = h0; ih < h1; ++ih) {
          const float* xr = xp + ih * g.W;
          for (int64_t iw = w0; iw < w1; ++iw) {
            if (xr[iw] > best) {
              best = xr[iw];
              best_i = ih * g.W + iw;
            }
          }
        }
        yp[oh * g.OW + ow] = best;
        ap[oh * g.OW + ow] = static_cast<int32_t>(plane * HW + best_i);
      }
    }
  });
}

// dy[N,C,OH,OW], argmax -> dx[N,C,H,W]
int64_t max_pool_backward(const float* dy, const int32_t* argmax, const WindowGeom& g, float* dx) {
  const int64_t HW = g.H * g.W, P = g.positions(), planes = g.N * g.C, total = planes * HW;
  // Pass 1: is every index in range? And does each plane's argmax stay inside its own plane (as forward
  // produces), so that planes can be written in parallel? Per task: first bad position, all-own flag.
  const int cap = std::max(1, static_cast<int>(std::min<int64_t>(threads(), planes)));
  std::vector<int64_t> first_bad(static_cast<std::size_t>(cap), -1);
  std::vector<char> own(static_cast<std::size_t>(cap), 1);
  parallel_run(
      [&](int ith, int nth) {
        std::size_t b, e;
        split_range(static_cast<std::size_t>(planes), ith, nth, b, e);
        int64_t bad = -1;
        bool in_plane = true;
        for (int64_t p = static_cast<int64_t>(b); p < static_cast<int64_t>(e) && bad < 0; ++p) {
          const int32_t* ap = argmax + p * P;
          const int64_t lo = p * HW, hi = lo + HW;
          for (int64_t i = 0; i < P; ++i) {
            const int64_t a = ap[i];
            if (a < 0 || a >= total) {
              bad = p * P + i;
              break;
            }
            in_plane = in_plane && a >= lo && a < hi;
          }
        }
        first_bad[static_cast<std::size_t>(ith)] = bad;
        own[static_cast<std::size_t>(ith)] = in_plane;
      },
      cap);
  bool all_own = true;
  for (int t = 0; t < cap; ++t) {  // tasks cover planes in order: the first bad task has the first bad index
    if (first_bad[static_cast<std::size_t>(t)] >= 0) return first_bad[static_cast<std::size_t>(t)];
    all_own = all_own && own[static_cast<std::size_t>(t)];
  }
  // Pass 2: scatter.
  if (all_own) {
    for_each_plane(g, [&](int64_t plane) {
      float* dp = dx + plane * HW;
      std::memset(dp, 0, sizeof(float) * static_cast<std::size_t>(HW));
      const float* dyp = dy + plane * P;
      const int32_t* ap = argmax + plane * P;
      float* base = dx;
      for (int64_t i = 0; i < P; ++i) base[ap[i]] += dyp[i];
    });
  } else {  // indices cross planes: one thread, in order
    std::memset(dx, 0, sizeof(float) * static_cast<std::size_t>(total));
    const int64_t n = planes * P;
    for (int64_t i = 0; i < n; ++i) dx[argmax[i]] += dy[i];
  }
  return -1;
}

// x[N,C,H,W] -> y[N,C,OH,OW]
void avg_pool_forward(const float* x, const WindowGeom& g, float* y) {
  const int64_t HW = g.H * g.W, P = g.positions();
  const float count = static_cast<float>(g.KH * g.KW);
  for_each_plane(g, [&](int64_t plane) {
    const float* xp = x + plane * HW;
    float* yp = y + plane * P;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      int64_t h0, h1;
      clip(oh, g.KH, g, g.H, h0, h1);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t w0, w1;
        clip(ow, g.KW, g, g.W, w0, w1);
        float s = 0.0f;
        for (int64_t ih = h0; ih < h1; ++ih) {
          const float* xr = xp + ih * g.W;
          for (int64_t iw = w0; iw < w1; ++iw) s += xr[iw];
        }
        yp[oh * g.OW + ow] = s / count;
      }
    }
  });
}

// dy[N,C,OH,OW] -> dx[N,C,H,W]
void avg_pool_backward(const float* dy, const WindowGeom& g, float* dx) {
  const int64_t HW = g.H * g.W, P = g.positions();
  const float count = static_cast<float>(g.KH * g.KW);
  for_each_plane(g, [&](int64_t plane) {
    float* dp = dx + plane * HW;
    std::memset(dp, 0, sizeof(float) * static_cast<std::size_t>(HW));
    const float* dyp = dy + plane * P;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      int64_t h0, h1;
      clip(oh, g.KH, g, g.H, h0, h1);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t w0, w1;
        clip(ow, g.KW, g, g.W, w0, w1);
        const float v = dyp[oh * g.OW + ow] / count;
        for (int64_t ih = h0; ih < h1; ++ih) {
          float* dr = dp + ih * g.W;
          for (int64_t iw = w0; iw < w1; ++iw) dr[iw] += v;
        }
      }
    }
  });
}

}  // namespace simdnet
