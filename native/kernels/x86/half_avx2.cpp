// F16C binary16 conversion (contract in core/half.h; scalar reference in core/half.cpp). Compiled with
// -mavx2 -mf16c; reached only through the avx2 table (core/kernels.h) (every AVX2 CPU has F16C). 8 values per step; the tail goes
// through a zero-padded stack buffer and the same instruction.
#include <immintrin.h>

#include <cstring>

#include "core/half.h"

namespace simdnet {
namespace {

void to_half_avx2(const float* src, uint16_t* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  if (i < n) {
    float in[8] = {0};
    uint16_t out[8];
    std::memcpy(in, src + i, (n - i) * sizeof(float));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_cvtps_ph(_mm256_loadu_ps(in), _MM_FROUND_TO_NEAREST_INT));
    std::memcpy(dst + i, out, (n - i) * sizeof(uint16_t));
  }
}

void from_half_avx2(const uint16_t* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  }
  if (i < n) {
    uint16_t in[8] = {0};
    float out[8];
    std::memcpy(in, src + i, (n - i) * sizeof(uint16_t));
    _mm256_storeu_ps(out, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in))));
    std::memcpy(dst + i, out, (n - i) * sizeof(float));
  }
}

}  // namespace

const HalfKernels half_kernels_avx2 = {"avx2", to_half_avx2, from_half_avx2};

}  // namespace simdnet
