// The counter-based random stream shared with lib/rng.ts (bit-for-bit the same): dropout masks and
// augmentation draws are identical on both backends for the same seed.
//   mix32: the "lowbias32" integer hash (a bijection on 32-bit words).
//   stream_base(seed, counter) = mix32(seed ^ mix32(counter))
//   draw i of a stream         = mix32(base + i)            (32-bit wrap-around)
//   uniform in [0, 1)          = (draw >> 8) * 2^-24
#pragma once
#include <cstdint>

namespace simdnet {

inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

inline uint32_t stream_base(uint32_t seed, uint32_t counter) { return mix32(seed ^ mix32(counter)); }
inline uint32_t stream_draw(uint32_t base, uint32_t i) { return mix32(base + i); }
inline float stream_uniform(uint32_t base, uint32_t i) {
  return static_cast<float>(stream_draw(base, i) >> 8) * (1.0f / 16777216.0f);
}

}  // namespace simdnet
