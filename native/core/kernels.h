// Kernel selection. Every op family keeps two tables of the same type: `<family>_kernels_ref` (scalar C++,
// compiled at baseline) and `<family>_kernels_avx2` (in native/kernels/x86/, compiled with -mavx2 -mfma).
// `active_isa()` picks one per call; it starts as the best the CPU can run (cpuid + XGETBV), unless the
// environment variable SIMDNET_KERNELS=reference (or =avx2) forces a lower tier. JS can switch it at run
// time (tests and benchmarks compare the paths in one process).
// Tiers: reference < avx2 < avx512. avx512 implies avx2: families without AVX-512 tables (all but SGEMM)
// keep using their AVX2 tables under it (use_avx2() is true).
#pragma once

namespace simdnet {

enum class Isa : int { reference = 0, avx2 = 1, avx512 = 2 };

Isa active_isa();
// Returns false (and changes nothing) when the CPU cannot run `isa`.
bool set_active_isa(Isa isa);
// The best ISA this CPU can run, whatever is active.
Isa best_isa();
const char* isa_name(Isa isa);

// What op families ask: may I use the AVX2/FMA tables? (true for avx2 and any later tier that implies it)
inline bool use_avx2() { return active_isa() != Isa::reference; }
// May I use AVX-512 tables? (only SGEMM has them)
inline bool use_avx512() { return active_isa() == Isa::avx512; }

}  // namespace simdnet
