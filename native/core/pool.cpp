// Max/average pooling (contracts in pool.h). Work is split over the N*C planes; each window is clipped to
// the image once per output row/column, so padding costs nothing.
#include "core/pool.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/kernels.h"
#include "core/threadpool.h"

namespace simdnet {
namespace {

// Runs fn(plane) for the N*C planes, in chunks of planes claimed over the pool (small jobs stay on the calling
// thread).
template <typename Fn>
void for_each_plane(const WindowGeom& g, Fn fn) {
  const int64_t planes = g.N * g.C;
  const int64_t work = planes * g.positions() * g.KH * g.KW;
  const auto n = static_cast<std::size_t>(planes);
  parallel_for(n, work < (int64_t(1) << 14) ? n : grain_for(n), [&](std::size_t b, std::size_t e) {
    for (int64_t p = static_cast<int64_t>(b); p < static_cast<int64_t>(e); ++p) fn(p);
  });
}

// The window rows/cols of output o clipped to [0, in): [lo, hi).
inline void clip(int64_t o, int64_t k, const WindowGeom& g, int64_t in, int64_t& lo, int64_t& hi) {
  const int64_t start = o * g.stride - g.pad;
  lo = start < 0 ? 0 : start;
  hi = start + k > in ? in : start + k;
}

bool is_2x2(const WindowGeom& g) { return g.KH == 2 && g.KW == 2 && g.stride == 2 && g.pad == 0; }

}  // namespace

// The book's 2x2 window, stride 2, no padding: every window lies inside the image. Branch-free selects in
// window order (strict '>', so the first maximum wins).
void max_pool_2x2_forward_ref(const float* xp, int64_t W, int64_t OH, int64_t OW, float* yp, int32_t* ap,
                              int32_t base) {
  for (int64_t oh = 0; oh < OH; ++oh) {
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

void max_pool_2x2_backward_ref(const float* dy, const int32_t* ap, int64_t H, int64_t W, int64_t OH, int64_t OW,
                               float* dx, int32_t base) {
  for (int64_t oh = 0; oh < OH; ++oh) {
    float* r0 = dx + 2 * oh * W;
    float* r1 = r0 + W;
    const int32_t i0 = base + static_cast<int32_t>(2 * oh * W);
    for (int64_t ow = 0; ow < OW; ++ow) {  // bit masks, not branches: argmax positions are random
      uint32_t v;
      const float f = dy[oh * OW + ow] + 0.0f;
      std::memcpy(&v, &f, sizeof v);
      const int32_t d = ap[oh * OW + ow] - (i0 + static_cast<int32_t>(2 * ow));
      const uint32_t u[4] = {v & (0u - static_cast<uint32_t>(d == 0)), v & (0u - static_cast<uint32_t>(d == 1)),
                             v & (0u - static_cast<uint32_t>(d == W)), v & (0u - static_cast<uint32_t>(d == W + 1))};
      std::memcpy(r0 + 2 * ow, u, 2 * sizeof(float));
      std::memcpy(r1 + 2 * ow, u + 2, 2 * sizeof(float));
    }
    for (int64_t w = 2 * OW; w < W; ++w) r0[w] = r1[w] = 0.0f;  // odd W: the last column is in no window
  }
  for (int64_t h = 2 * OH; h < H; ++h) std::memset(dx + h * W, 0, sizeof(float) * static_cast<std::size_t>(W));
}

const MaxPool2x2Kernels max_pool_2x2_kernels_ref = {"reference", max_pool_2x2_forward_ref,
                                                    max_pool_2x2_backward_ref};


// Branch-free (argmax positions are random: a short-circuit test mispredicts) and vectorizable: d = argmax -
// (window's first element) must be 0, 1, W or W+1; unsigned d <= 1 or d - W <= 1.
bool max_pool_2x2_in_window(const int32_t* ap, int64_t W, int64_t OH, int64_t OW, int32_t base) {
  const uint32_t w = static_cast<uint32_t>(W);
  for (int64_t oh = 0; oh < OH; ++oh) {
    const uint32_t i0 = static_cast<uint32_t>(base) + static_cast<uint32_t>(2 * oh * W);
    const int32_t* ar = ap + oh * OW;
    uint32_t ok = 1;
    for (int64_t ow = 0; ow < OW; ++ow) {
      const uint32_t d = static_cast<uint32_t>(ar[ow]) - (i0 + 2 * static_cast<uint32_t>(ow));
      ok &= static_cast<uint32_t>(d <= 1u) | static_cast<uint32_t>(d - w <= 1u);
    }
    if (!ok) return false;
  }
  return true;
}

// x[N,C,H,W] -> y[N,C,OH,OW], argmax[N*C*OH*OW]
void max_pool_forward(const float* x, const WindowGeom& g, float* y, int32_t* argmax) {
  const int64_t HW = g.H * g.W, P = g.positions();
  if (is_2x2(g)) {
    // Under 8 windows a row, the AVX2 kernel runs half-empty masked vectors: the reference (which the
    // compiler vectorizes 4 wide) is faster there (8x8 planes: 0.15 vs 0.18 ms per 100x64 planes). Same bits.
    const MaxPool2x2Kernels& k = g.OW >= 8 ? *kernels().max_pool_2x2 : max_pool_2x2_kernels_ref;
    for_each_plane(g, [&](int64_t plane) {
      k.forward(x + plane * HW, g.W, g.OH, g.OW, y + plane * P, argmax + plane * P, static_cast<int32_t>(plane * HW));
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
  if (is_2x2(g) && g.OW >= 8) {
    // 2x2 stride 2: when every argmax lies in its own window (as forward produces; that implies in range),
    // the dense kernel writes each plane once: no zeroing pass, no scatter. Otherwise the general path.
    // Narrower rows (OW < 8) gain nothing over the scatter (8x8 planes: 0.24 vs 0.21 ms), so they scatter.
    const int cap2 = std::max(1, static_cast<int>(std::min<int64_t>(threads(), planes)));
    std::vector<char> windowed(static_cast<std::size_t>(cap2), 1);
    parallel_run(
        [&](int ith, int nth) {
          std::size_t b, e;
          split_range(static_cast<std::size_t>(planes), ith, nth, b, e);
          bool in_win = true;
          for (int64_t p = static_cast<int64_t>(b); p < static_cast<int64_t>(e) && in_win; ++p) {
            in_win = max_pool_2x2_in_window(argmax + p * P, g.W, g.OH, g.OW, static_cast<int32_t>(p * HW));
          }
          windowed[static_cast<std::size_t>(ith)] = in_win;
        },
        cap2);
    bool all = true;
    for (char c : windowed) all = all && c;
    if (all) {
      const MaxPool2x2Kernels& k = *kernels().max_pool_2x2;
      for_each_plane(g, [&](int64_t plane) {
        k.backward(dy + plane * P, argmax + plane * P, g.H, g.W, g.OH, g.OW, dx + plane * HW,
                   static_cast<int32_t>(plane * HW));
      });
      return -1;
    }
  }
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
  // Pass 2: scatter. argmax may be memory that another thread changes between the passes (a SharedArrayBuffer):
  // each index is read once more here and written through only if it is still where pass 1 allowed (its own
  // plane, or anywhere in dx), so a changed index can never write outside dx, nor into another task's plane.
  // Indices that do not change (every ordinary call) pass both checks and give the same sums.
  if (all_own) {
    for_each_plane(g, [&](int64_t plane) {
      float* dp = dx + plane * HW;
      std::memset(dp, 0, sizeof(float) * static_cast<std::size_t>(HW));
      const float* dyp = dy + plane * P;
      const int32_t* ap = argmax + plane * P;
      const int64_t lo = plane * HW;
      for (int64_t i = 0; i < P; ++i) {
        const uint64_t a = static_cast<uint64_t>(static_cast<int64_t>(ap[i]) - lo);
        if (a < static_cast<uint64_t>(HW)) dp[a] += dyp[i];
      }
    });
  } else {  // indices cross planes: one thread, in order
    std::memset(dx, 0, sizeof(float) * static_cast<std::size_t>(total));
    const int64_t n = planes * P;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t a = argmax[i];
      if (a >= 0 && a < total) dx[a] += dy[i];
    }
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
