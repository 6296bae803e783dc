// CPU feature detection: cpuid for the instruction sets, XGETBV for the OS saving the YMM state.
#pragma once

namespace simdnet {

struct CpuFeatures {
  bool avx2 = false;    // AVX2 and FMA and F16C usable (CPU supports them and the OS saves YMM registers)
  bool avx512 = false;  // AVX-512 F, VL and BW usable (and the OS saves the opmask and ZMM state); implies avx2
};

// Detected once; cheap to call.
const CpuFeatures& cpu_features();

}  // namespace simdnet
