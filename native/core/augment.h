// Data augmentation of an image batch, drawn from the shared counter-based stream (rng.h) so the native and
// TypeScript backends (lib/backend/ts/augment.ts) produce the same batch for the same (seed, counter).
//   x[N,C,H,W] -> y[N,C,H,W]   (y must not alias x)
//
// Image n draws its parameters from slots n*kAugmentSlots + j of stream_base(seed, counter), whether or not
// the option behind a slot is on (switching one option never changes another's draws):
//   j=0 shift x  j=1 shift y   j=2 rotation   j=3 flip horizontal   j=4 flip vertical
//   j=5 crop x   j=6 crop y    j=7 brightness
// Per output pixel (u, v), the source coordinate is found by undoing, in this order: the shift (whole pixels),
// the rotation about the image center (positive = counter-clockwise as displayed), the flips, the crop offset.
// Whole-pixel source coordinates are copied exactly; others are sampled bilinearly, with `fill` standing in
// for every pixel outside the source. Then a brightness delta is added to every pixel of the image.
// Coordinates and interpolation are computed in double and rounded to float once (as the TS backend does).
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/ops_types.generated.h"

namespace simdnet {

constexpr int kAugmentSlots = 8;

// AugmentOptions (shift, rotation, flip_h, flip_v, crop_padding, brightness, fill; zero = off):
// core/ops_types.generated.h, from native/ops.json (AugmentConfig).

// The transform of one image, as drawn.
struct AugmentDraw {
  int tx = 0, ty = 0;      // shift (output = source moved right by tx, down by ty)
  double cos_t = 1, sin_t = 0;
  bool flip_h = false, flip_v = false;
  int ox = 0, oy = 0;      // crop offset minus padding: source x = (undone) x + ox
  double delta = 0;        // brightness delta
};

// The parameters of image n from the stream with base `base`.
AugmentDraw augment_draw(const AugmentOptions& opt, int H, int W, uint32_t base, std::size_t n);

// One image: x[C,H,W] -> y[C,H,W].
void augment_image(const float* x, int C, int H, int W, const AugmentOptions& opt, const AugmentDraw& d, float* y);

// The whole batch, parallel over images with the thread pool.
void augment_batch(const float* x, std::size_t N, int C, int H, int W, const AugmentOptions& opt, uint32_t seed,
                   uint32_t counter, float* y);

}  // namespace simdnet
