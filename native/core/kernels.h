// Kernel dispatch: one table per ISA tier, filled once at load (BLIS's context, XNNPACK's configs).
//
// Every op family keeps its kernels in a small struct of function pointers (SgemmKernels, Im2colKernels,
// ElementwiseKernels, OptimKernels, HalfKernels, MaxPool2x2Kernels, ConvDirectKernels, NormKernels, WinogradKernels), one instance per tier:
// `<family>_kernels_ref` (scalar C++, compiled at baseline) and `<family>_kernels_avx2` / `_avx512` (in
// native/kernels/x86/, compiled with that ISA's flags only). A KernelTable holds one pointer per family.
// kernels.cpp fills the three tier tables on first use: each starts as a copy of the reference table, and the
// families a tier has are overwritten only where cpuid + XGETBV say the CPU and OS can run them (cpu.h); a
// family without a kernel for a tier keeps the lower tier's (avx512 has its own SGEMM and direct convolution,
// and AVX2 everything else). Op drivers read `kernels()` — the active table — once per call and never test
// the ISA themselves.
//
// The active tier starts as the best the CPU can run, unless the environment variable SIMDNET_KERNELS=reference
// (or =avx2) forces a lower one; JS can switch it at run time (tests and benchmarks compare the tiers in one
// process). Tiers: reference < avx2 < avx512.
#pragma once

namespace simdnet {

enum class Isa : int { reference = 0, avx2 = 1, avx512 = 2 };

struct SgemmKernels;
struct Im2colKernels;
struct ElementwiseKernels;
struct OptimKernels;
struct HalfKernels;
struct MaxPool2x2Kernels;
struct ConvDirectKernels;
struct NormKernels;
struct WinogradKernels;
struct ConvPoolKernels;

struct KernelTable {
  Isa isa;
  const SgemmKernels* sgemm;
  // A narrower SGEMM tile the driver may pick per shape where the main tile would run mostly empty
  // (avx512: the 6x16 AVX2 tile beside the 12x32 one); null when the tier has one tile.
  const SgemmKernels* sgemm_narrow;
  const Im2colKernels* im2col;
  const ElementwiseKernels* elementwise;
  const OptimKernels* optim;
  const HalfKernels* half;
  const MaxPool2x2Kernels* max_pool_2x2;
  const ConvDirectKernels* conv_direct;
  const NormKernels* norm;
  // Winograd F(4x4, 3x3) of the inference forward (winograd.h); null where the tier has none (avx2: the direct
  // forward stays), so this family does not fall back to the lower tier's.
  const WinogradKernels* winograd;
  // The inference forward of a convolution pooled 2x2 in registers (conv_pool_fwd.h).
  const ConvPoolKernels* conv_pool;
};

// The active tier's table (an atomic load; read it once per op call).
const KernelTable& kernels();
// The table of `isa` as filled for this CPU (tiers the CPU cannot run are left on the lower tier's kernels).
const KernelTable& kernel_table(Isa isa);

Isa active_isa();
// Returns false (and changes nothing) when the CPU cannot run `isa`.
bool set_active_isa(Isa isa);
// The best ISA this CPU can run, whatever is active.
Isa best_isa();
const char* isa_name(Isa isa);

}  // namespace simdnet
