// Scalar reference im2col/col2im kernels, the workspace, and the whole-batch drivers (layouts and
// contracts in im2col.h).
#include "core/im2col.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/kernels.h"
#include "core/threadpool.h"

namespace simdnet {

// ---- workspace -------------------------------------------------------------------------------------------

Workspace::~Workspace() { std::free(p_); }

float* Workspace::get(int64_t n) {
  if (n <= cap_) return p_;
  // Grow by at least half again so a slowly growing request does not reallocate every call.
  int64_t want = n + n / 2;
  const uint64_t bytes = (static_cast<uint64_t>(want) * sizeof(float) + 63) & ~uint64_t(63);
  void* q = std::aligned_alloc(64, bytes);
  if (!q) {
    want = n;
    q = std::aligned_alloc(64, (static_cast<uint64_t>(n) * sizeof(float) + 63) & ~uint64_t(63));
    if (!q) return nullptr;
  }
  std::free(p_);
  p_ = static_cast<float*>(q);
  cap_ = want;
  return p_;
}

// ---- scalar reference kernels ----------------------------------------------------------------------------

// x[C,H,W] -> colT[C*KH*KW, (oh1-oh0)*OW]
void im2col_t_ref(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* colT) {
  const int64_t OW = g.OW, s = g.stride, Pb = (oh1 - oh0) * OW;
  float* dst = colT;
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw, dst += Pb) {
        int64_t lo, hi;
        valid_outputs(kw, g.pad, s, g.W, OW, lo, hi);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          float* d = dst + (oh - oh0) * OW;
          const int64_t ih = oh * s - g.pad + kh;
          if (ih < 0 || ih >= g.H) {
            for (int64_t ow = 0; ow < OW; ++ow) d[ow] = 0.0f;
            continue;
          }
          const float* xr = xc + ih * g.W - g.pad + kw;
          for (int64_t ow = 0; ow < lo; ++ow) d[ow] = 0.0f;
          if (s == 2) {  // ResNet's strided convolutions: a constant stride, so the copy vectorizes
            for (int64_t ow = lo; ow < hi; ++ow) d[ow] = xr[2 * ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow] = xr[ow * s];
          }
          for (int64_t ow = hi; ow < OW; ++ow) d[ow] = 0.0f;
        }
      }
    }
  }
}

// colT[C*KH*KW, (oh1-oh0)*OW] -> x[C,H,W] (+=)
void col2im_t_ref(const float* colT, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x) {
  const int64_t OW = g.OW, s = g.stride, Pb = (oh1 - oh0) * OW;
  const float* src = colT;
  for (int64_t c = 0; c < g.C; ++c) {
    float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw, src += Pb) {
        int64_t lo, hi;
        valid_outputs(kw, g.pad, s, g.W, OW, lo, hi);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const int64_t ih = oh * s - g.pad + kh;
          if (ih < 0 || ih >= g.H) continue;
          const float* sr = src + (oh - oh0) * OW;
          float* xr = xc + ih * g.W - g.pad + kw;
          for (int64_t ow = lo; ow < hi; ++ow) xr[ow * s] += sr[ow];
        }
      }
    }
  }
}

// x[C,H,W] -> col[(oh1-oh0)*OW, C*KH*KW]
void im2col_ref(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* col, float*) {
  const int64_t K = g.taps(), s = g.stride;
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      float* row = col + ((oh - oh0) * g.OW + ow) * K;
      const int64_t ih0 = oh * s - g.pad, iw0 = ow * s - g.pad;
      for (int64_t c = 0; c < g.C; ++c) {
        const float* xc = x + c * g.H * g.W;
        for (int64_t kh = 0; kh < g.KH; ++kh) {
          const int64_t ih = ih0 + kh;
          const bool row_ok = ih >= 0 && ih < g.H;
          for (int64_t kw = 0; kw < g.KW; ++kw) {
            const int64_t iw = iw0 + kw;
            *row++ = row_ok && iw >= 0 && iw < g.W ? xc[ih * g.W + iw] : 0.0f;
          }
        }
      }
    }
  }
}

// col[(oh1-oh0)*OW, C*KH*KW] -> x[C,H,W] (+=), taps outermost: the same addition order as col2im_t.
void col2im_ref(const float* col, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x, float*) {
  const int64_t K = g.taps(), s = g.stride;
  int64_t j = 0;
  for (int64_t c = 0; c < g.C; ++c) {
    float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw, ++j) {
        int64_t lo, hi;
        valid_outputs(kw, g.pad, s, g.W, g.OW, lo, hi);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const int64_t ih = oh * s - g.pad + kh;
          if (ih < 0 || ih >= g.H) continue;
          const float* cr = col + (oh - oh0) * g.OW * K + j;
          float* xr = xc + ih * g.W - g.pad + kw;
          for (int64_t ow = lo; ow < hi; ++ow) xr[ow * s] += cr[ow * K];
        }
      }
    }
  }
}

const Im2colKernels im2col_kernels_ref = {"reference", im2col_t_ref, col2im_t_ref, im2col_ref, col2im_ref};


// ---- whole-batch drivers ---------------------------------------------------------------------------------

namespace {

// Book-layout bands: a band's scratch stays under 4 MB.
constexpr int64_t kBookBandFloats = int64_t(1) << 20;

thread_local Workspace t_book_scratch;

// Runs fn(n, oh0, oh1, scratch) for every image and band, images in chunks claimed over the pool (scratch is
// per executing thread and rewritten before it is read).
template <typename Fn>
bool for_each_band(const WindowGeom& g, Fn fn) {
  const int64_t rows = band_rows(g, kBookBandFloats);
  std::atomic<bool> ok{true};
  const auto N = static_cast<std::size_t>(g.N);
  parallel_for(N, grain_for(N), [&](std::size_t b, std::size_t e) {
    float* scratch = t_book_scratch.get(g.taps() * rows * g.OW);
    if (!scratch) {
      ok.store(false);
      return;
    }
    for (int64_t n = static_cast<int64_t>(b); n < static_cast<int64_t>(e); ++n) {
      for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rows) fn(n, oh0, oh0 + rows < g.OH ? oh0 + rows : g.OH, scratch);
    }
  });
  return ok.load();
}

}  // namespace

// x[N,C,H,W] -> col[N*OH*OW, C*KH*KW]
bool im2col(const float* x, const WindowGeom& g, float* col) {
  const Im2colKernels& k = *kernels().im2col;
  const int64_t K = g.taps(), P = g.positions(), X = g.image();
  return for_each_band(g, [&](int64_t n, int64_t oh0, int64_t oh1, float* scratch) {
    k.im2col(x + n * X, g, oh0, oh1, col + (n * P + oh0 * g.OW) * K, scratch);
  });
}

// col[N*OH*OW, C*KH*KW] -> x[N,C,H,W] (overwritten with the sum)
bool col2im(const float* col, const WindowGeom& g, float* x) {
  const Im2colKernels& k = *kernels().im2col;
  const int64_t K = g.taps(), P = g.positions(), X = g.image();
  return for_each_band(g, [&](int64_t n, int64_t oh0, int64_t oh1, float* scratch) {
    if (oh0 == 0) std::memset(x + n * X, 0, sizeof(float) * static_cast<std::size_t>(X));
    k.col2im(col + (n * P + oh0 * g.OW) * K, g, oh0, oh1, x + n * X, scratch);
  });
}

}  // namespace simdnet
