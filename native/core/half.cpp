// binary16 conversion (contract in core/half.h): the scalar reference by bit manipulation, and the drivers.
#include "core/half.h"

#include <cstring>

#include "core/elementwise.h"
#include "core/kernels.h"

namespace simdnet {

uint16_t float_bits_to_half(uint32_t x) {
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t exp = (x >> 23) & 0xffu;
  const uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(mant ? sign | 0x7e00u | (mant >> 13) : sign | 0x7c00u);
  const int e = static_cast<int>(exp) - 112;  // the half exponent field of a normal result
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e >= 1) {
    uint32_t h = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;  // a carry into the exponent is right (up to Inf)
    return static_cast<uint16_t>(sign | h);
  }
  if (e < -10) return static_cast<uint16_t>(sign);  // below 2^-25 (or a float subnormal): ±0
  const uint32_t m = mant | 0x800000u;
  const int shift = 14 - e;  // 14..24: the value in units of 2^-24 is m >> shift
  uint32_t h = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1u);
  const uint32_t halfway = 1u << (shift - 1);
  if (rem > halfway || (rem == halfway && (h & 1u))) h++;  // may reach 0x400, the smallest normal
  return static_cast<uint16_t>(sign | h);
}

uint32_t half_to_float_bits(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return sign | 0x7f800000u | (mant ? 0x400000u | (mant << 13) : 0u);
  if (exp == 0) {
    if (mant == 0) return sign;
    uint32_t e = 113;  // normalize: the value is mant·2^-24
    while (!(mant & 0x400u)) {
      mant <<= 1;
      e--;
    }
    return sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  return sign | ((exp + 112) << 23) | (mant << 13);
}

namespace {

void to_half_ref(const float* src, uint16_t* dst, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t b;
    std::memcpy(&b, src + i, 4);
    dst[i] = float_bits_to_half(b);
  }
}

void from_half_ref(const uint16_t* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const uint32_t b = half_to_float_bits(src[i]);
    std::memcpy(dst + i, &b, 4);
  }
}

}  // namespace

const HalfKernels half_kernels_ref = {"reference", to_half_ref, from_half_ref};


void to_half(const float* src, uint16_t* dst, size_t n) {
  const HalfKernels& k = *kernels().half;
  for_each_chunk(n, [&](size_t b, size_t e) { k.to_half(src + b, dst + b, e - b); });
}

void from_half(const uint16_t* src, float* dst, size_t n) {
  const HalfKernels& k = *kernels().half;
  for_each_chunk(n, [&](size_t b, size_t e) { k.from_half(src + b, dst + b, e - b); });
}

}  // namespace simdnet
