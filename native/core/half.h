// IEEE 754 binary16 <-> binary32, bit-identical to x86 F16C (vcvtps2ph with round-to-nearest-even, vcvtph2ps) and
// to lib/backend/ts/half.ts:
//   to_half:   round to nearest, ties to even; |x| >= 65520 -> ±Inf; below half the smallest subnormal -> ±0;
//              NaN -> quiet NaN, sign and the top 9 payload bits kept (0x7e00 | payload >> 13).
//   from_half: exact; subnormals normalized; NaN -> quiet NaN (payload << 13, quiet bit set).
#pragma once
#include <cstddef>
#include <cstdint>

namespace simdnet {

uint16_t float_bits_to_half(uint32_t f);
uint32_t half_to_float_bits(uint16_t h);

// Kernel contract: contiguous spans, any length (tails through a stack buffer, same conversion).
struct HalfKernels {
  const char* name;
  void (*to_half)(const float* src, uint16_t* dst, size_t n);
  void (*from_half)(const uint16_t* src, float* dst, size_t n);
};
extern const HalfKernels half_kernels_ref;   // half.cpp (scalar bit manipulation)
extern const HalfKernels half_kernels_avx2;  // native/kernels/x86/half_avx2.cpp (F16C)

void to_half(const float* src, uint16_t* dst, size_t n);
void from_half(const uint16_t* src, float* dst, size_t n);

}  // namespace simdnet
