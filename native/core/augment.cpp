// Data augmentation: x[N,C,H,W] -> y[N,C,H,W], one pass per image (see augment.h for the contract).
// Scalar on purpose: it is a gather with per-pixel coordinates, cheap next to the network it feeds.
// Every double expression below is written in the same order as lib/backend/ts/augment.ts, so both
// backends round the same values (only cos/sin of a nonzero angle may differ in the last bit).
#include "core/augment.h"

#include <algorithm>
#include <cmath>

#include "core/rng.h"
#include "core/threadpool.h"

namespace simdnet {

namespace {

constexpr double kPi = 3.141592653589793;

inline double slot(uint32_t base, std::size_t n, int j) {
  return static_cast<double>(stream_uniform(base, static_cast<uint32_t>(n * kAugmentSlots + j)));
}

// Whole pixels in [-m, m], uniform, with m = round(frac * size).
inline int draw_shift(double u, double frac, int size) {
  const double m = std::floor(frac * size + 0.5);
  return static_cast<int>(std::floor(u * (2 * m + 1)) - m);
}

}  // namespace

AugmentDraw augment_draw(const AugmentOptions& opt, int H, int W, uint32_t base, std::size_t n) {
  AugmentDraw d;
  d.tx = draw_shift(slot(base, n, 0), opt.shift, W);
  d.ty = draw_shift(slot(base, n, 1), opt.shift, H);
  const double theta = (2 * slot(base, n, 2) - 1) * opt.rotation * (kPi / 180);
  if (opt.rotation != 0) {
    d.cos_t = std::cos(theta);
    d.sin_t = std::sin(theta);
  }
  d.flip_h = opt.flip_h && slot(base, n, 3) < 0.5;
  d.flip_v = opt.flip_v && slot(base, n, 4) < 0.5;
  const double p = opt.crop_padding;
  d.ox = static_cast<int>(std::floor(slot(base, n, 5) * (2 * p + 1)) - p);
  d.oy = static_cast<int>(std::floor(slot(base, n, 6) * (2 * p + 1)) - p);
  d.delta = (2 * slot(base, n, 7) - 1) * opt.brightness;
  return d;
}

void augment_image(const float* x, int C, int H, int W, const AugmentOptions& opt, const AugmentDraw& d, float* y) {
  const std::size_t plane = static_cast<std::size_t>(H) * W;
  const double cx = (W - 1) * 0.5, cy = (H - 1) * 0.5;
  const double fill = opt.fill;
  const bool bright = opt.brightness != 0;
  for (int v = 0; v < H; v++) {
    for (int u = 0; u < W; u++) {
      // Undo shift, rotation, flips, crop.
      const double du = static_cast<double>(u - d.tx) - cx;
      const double dv = static_cast<double>(v - d.ty) - cy;
      double sx = cx + du * d.cos_t - dv * d.sin_t;
      double sy = cy + du * d.sin_t + dv * d.cos_t;
      if (d.flip_h) sx = (W - 1) - sx;
      if (d.flip_v) sy = (H - 1) - sy;
      sx += d.ox;
      sy += d.oy;
      const double fx0 = std::floor(sx), fy0 = std::floor(sy);
      const double fx = sx - fx0, fy = sy - fy0;
      // Far outside: everything is fill (also keeps the integer conversion below in range).
      const bool far = !(fx0 >= -2 && fx0 <= W && fy0 >= -2 && fy0 <= H);
      const long x0 = far ? -2 : static_cast<long>(fx0), y0 = far ? -2 : static_cast<long>(fy0);
      const bool in00 = !far && x0 >= 0 && x0 < W && y0 >= 0 && y0 < H;
      const bool in10 = !far && x0 + 1 >= 0 && x0 + 1 < W && y0 >= 0 && y0 < H;
      const bool in01 = !far && x0 >= 0 && x0 < W && y0 + 1 >= 0 && y0 + 1 < H;
      const bool in11 = !far && x0 + 1 >= 0 && x0 + 1 < W && y0 + 1 >= 0 && y0 + 1 < H;
      const std::size_t i00 = in00 ? static_cast<std::size_t>(y0) * W + x0 : 0;
      const std::size_t i10 = in10 ? static_cast<std::size_t>(y0) * W + x0 + 1 : 0;
      const std::size_t i01 = in01 ? static_cast<std::size_t>(y0 + 1) * W + x0 : 0;
      const std::size_t i11 = in11 ? static_cast<std::size_t>(y0 + 1) * W + x0 + 1 : 0;
      // Whole-pixel coordinates are copied; a pixel with no neighbour inside is fill, exactly.
      const bool exact = !(in00 || in10 || in01 || in11) || (fx == 0 && fy == 0);
      const std::size_t o = static_cast<std::size_t>(v) * W + u;
      for (int c = 0; c < C; c++) {
        const float* src = x + c * plane;
        double val;
        if (exact) {
          val = in00 ? static_cast<double>(src[i00]) : fill;
        } else {
          const double p00 = in00 ? static_cast<double>(src[i00]) : fill;
          const double p10 = in10 ? static_cast<double>(src[i10]) : fill;
          const double p01 = in01 ? static_cast<double>(src[i01]) : fill;
          const double p11 = in11 ? static_cast<double>(src[i11]) : fill;
          val = (1 - fy) * ((1 - fx) * p00 + fx * p10) + fy * ((1 - fx) * p01 + fx * p11);
        }
        if (bright) val = val + d.delta;
        y[c * plane + o] = static_cast<float>(val);
      }
    }
  }
}

void augment_batch(const float* x, std::size_t N, int C, int H, int W, const AugmentOptions& opt, uint32_t seed,
                   uint32_t counter, float* y) {
  const uint32_t base = stream_base(seed, counter);
  const std::size_t image = static_cast<std::size_t>(C) * H * W;
  // images in chunks claimed over the pool; each image's draw depends on its index only
  parallel_for(N, grain_for(N), [&](std::size_t b, std::size_t e) {
    for (std::size_t n = b; n < e; n++) {
      augment_image(x + n * image, C, H, W, opt, augment_draw(opt, H, W, base, n), y + n * image);
    }
  });
}

}  // namespace simdnet
