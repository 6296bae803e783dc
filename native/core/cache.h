// The cache sizes the blocking constants assume (per core, data). Each constant that sizes a block of work says
// which level it targets and is checked against these with a static_assert where it is defined: SGEMM's MC/KC/NC
// (native/kernels/x86/sgemm_*.cpp, core/sgemm_ref.cpp) and the convolution's column bands (core/conv_im2col.cpp).
// Values: the CPUs the blocking was tuned on (Zen 4/5, Skylake-SP and later servers). A smaller cache (Haswell
// client: 256 KiB L2) costs speed, never correctness.
#pragma once
#include <cstdint>

namespace simdnet {

constexpr int64_t kL1Bytes = int64_t(32) << 10;        // L1d: 32 KiB (Haswell .. Zen 4; Zen 5 has 48 KiB)
constexpr int64_t kL2Bytes = int64_t(1) << 20;         // L2: 1 MiB (Zen 4/5, Skylake-SP .. Sapphire Rapids: 1-2 MiB)
constexpr int64_t kL3ShareBytes = int64_t(4) << 20;    // one core's share of L3: 4 MiB (Zen: 32 MiB per 8 cores)

// SGEMM blocking (BLIS): a B micro-panel (KC x NR) stays in L1 across the MC/MR micro-kernel calls, an A block
// (MC x KC) in half of L2 (the other half streams B), a B block (KC x NC) in the core's share of L3.
constexpr bool sgemm_blocking_fits(int64_t mr, int64_t nr, int64_t mc, int64_t kc, int64_t nc) {
  return kc * nr * 4 <= kL1Bytes && mc * kc * 4 <= kL2Bytes / 2 && kc * nc * 4 <= kL3ShareBytes && mc % mr == 0 &&
         nc % nr == 0;
}

}  // namespace simdnet
