// SGEMM micro-kernels: the contract every tier implements, and the tables the driver (sgemm.cpp) picks from.
//
// A micro-kernel computes one tile of C, at most MR x NR:
//     C[m x n] = alpha * A~[m x k] * B~[k x NR](first n columns) + beta * C
//   A~  element (i, p) at a[i*rs_a + p*cs_a]. Either a packed micro-panel (rs_a = 1, cs_a = MR: k columns
//       of MR floats, zero-padded past m) or the caller's matrix read in place (any strides). Rows i >= m
//       are never read.
//   B~  element (p, j) at b[p*rs_b + j]. Either a packed micro-panel (rs_b = NR, 64-byte aligned,
//       zero-padded past n) or, for a full-width tile (n == NR), the caller's row-major B read in place.
//       All NR columns of every row must be readable.
//   C   element (i, j) at c[i*rs_c + j]; only i < m, j < n are touched. beta == 0: C is written without
//       being read (NaN/Inf already there do not propagate).
//   1 <= m <= MR, 1 <= n <= NR, k >= 0 (k == 0 gives C = beta*C).
// Accumulation is in float, in p order: one FMA (or multiply-add) chain per element of C.
#pragma once
#include <cstdint>

#include "core/cache.h"
#include "core/kernels.h"

namespace simdnet {

using SgemmUkernel = void (*)(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b,
                              float* c, int64_t rs_c, float alpha, float beta, int m, int n);

// One tier: its micro-kernel, tile and cache blocking (MC a multiple of MR, NC of NR; sized against core/cache.h,
// checked where each table is defined). An edge tile of m x n costs the kernel round_up(m, edge_mr) rows and
// round_up(n, edge_nr) columns (the driver's per-shape choice of tile uses it).
struct SgemmKernels {
  const char* name;
  int mr, nr;
  int edge_mr, edge_nr;
  int mc, kc, nc;
  SgemmUkernel ukernel;
};

// Scalar C++ (baseline TU, sgemm_ref.cpp): the reference and the fallback on CPUs without AVX2.
void sgemm_ukernel_6x16_ref(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b,
                            float* c, int64_t rs_c, float alpha, float beta, int m, int n);
extern const SgemmKernels sgemm_kernels_ref;

// AVX2/FMA (native/kernels/x86/sgemm_avx2.cpp): 6x16, 12 ymm accumulators.
void sgemm_ukernel_6x16_avx2(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b,
                             float* c, int64_t rs_c, float alpha, float beta, int m, int n);
extern const SgemmKernels sgemm_kernels_avx2;

// AVX-512 (native/kernels/x86/sgemm_avx512.cpp): 12x32, 24 zmm accumulators.
void sgemm_ukernel_12x32_avx512(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b,
                                int64_t rs_b, float* c, int64_t rs_c, float alpha, float beta, int m, int n);
extern const SgemmKernels sgemm_kernels_avx512;


// FMA throughput loops for the peak measurement (bench): `iters` rounds of independent FMA chains on
// registers only; return the floating-point operations done (2 per lane per FMA).
double fma_peak_loop_avx2(int64_t iters);
double fma_peak_loop_avx512(int64_t iters);

// Measured FMA peak of `isa` (avx2 or avx512) on `nthreads` pool tasks, each running its loop for about
// `seconds`. Returns total GFLOP/s and sets *used to the tasks that ran; returns -1 when the CPU cannot run
// `isa` (or it is the reference tier, which has no peak loop).
double fma_peak_gflops(int nthreads, Isa isa, double seconds, int* used);

}  // namespace simdnet
