// CPU feature detection: cpuid for the instruction sets, XGETBV for the OS saving the YMM state.
#pragma once

namespace simdnet {

struct CpuFeatures {
  bool avx2 = false;  // AVX2 and FMA and F16C usable (CPU supports them and the OS saves YMM registers)
};

// Detected once; cheap to call.
const CpuFeatures& cpu_features();

}  // namespace simdnet
