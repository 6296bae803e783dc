// Batch normalization on x viewed as [N, C, S]: statistics per channel c over the M = N·S values x[n, c, s]
// (dense input: C = features, S = 1; convolutions: C channels, S = H·W). The TypeScript oracle is
// lib/backend/ts/norm.ts (float64 throughout there).
//
// What is kept between forward and backward is x itself (the layer holds its input) plus mean[C] and std[C]:
// x̂ = (x − mean)/std is recomputed on the fly, never stored. With `relu` the op is BN followed by ReLU in one
// pass: y = max(0, γ·x̂ + β); backward takes that y as the ReLU mask (y > 0) and dy of the ReLU's output.
//
// Work is split over channels (whole channels per task, rows summed in n order), so results do not depend on
// the thread count. Layouts with S > 1 go through the NormKernels row kernels of the active table (one row =
// the S contiguous values of x[n, c, ·]); S = 1 (dense) runs plain loops over contiguous channels.
#pragma once
#include <cstddef>

namespace simdnet {

// Row kernels: contiguous spans of any length S >= 1 and alignment. Sums are accumulated in float lanes (8–16 of
// them: AVX2) or in double (reference) within the row and returned in double (the driver adds rows in double). g below is dy, or with y non-null
// (the fused ReLU's output) dy where y > 0 and 0 elsewhere.
struct NormKernels {
  const char* name;
  // sum += Σ (x − shift); sumsq += Σ (x − shift)²
  void (*moments)(const float* x, size_t S, float shift, double* sum, double* sumsq);
  // y = a·x + b, then max(0, ·) when relu (x may be y)
  void (*affine)(const float* x, size_t S, float a, float b, bool relu, float* y);
  // sg += Σ g; sxg += Σ (x − mean)·g; sx += Σ (x − mean)
  void (*grad_sums)(const float* dy, const float* x, const float* y, size_t S, float mean, double* sg, double* sxg,
                    double* sx);
  // dx = a·g + b·(x − mean) + c (dx may be dy)
  void (*grad_apply)(const float* dy, const float* x, const float* y, size_t S, float mean, float a, float b, float c,
                     float* dx);
};

extern const NormKernels norm_kernels_ref;   // core/norm_ref.cpp
extern const NormKernels norm_kernels_avx2;  // kernels/x86/norm_avx2.cpp

// Training: batch mean and biased variance (one pass per row, shifted by the channel's first value);
// std[c] = sqrt(var + eps); run = momentum·run + (1 − momentum)·batch. Inference: the running statistics (left
// untouched). y = gamma[c]·(x − mean)/std + beta[c] (then max(0, ·) when relu). x[N,C,S] -> y [N,C,S],
// mean [C], std [C] (the statistics used, for backward).
void batch_norm_forward(const float* x, size_t N, size_t C, size_t S, const float* gamma, const float* beta,
                        float* run_mean, float* run_var, double momentum, double eps, bool training, bool relu,
                        float* y, float* mean_out, float* std_out);

// The book's backward, per channel (M = N·S, x̂ = (x − mean)/std, g = dy masked by y > 0 when y is given):
//   dbeta = Σ g; dgamma = Σ x̂·g;
//   dx = (gamma/std)·(g − x̂·dgamma/M − (dbeta − dgamma·Σx̂/M)/M)
// (the derivation from the book's dxn/dxc/dstd/dvar/dmu steps is in lib/backend/ts/norm.ts).
void batch_norm_backward(const float* dy, const float* x, const float* y, const float* mean, const float* std_in,
                         const float* gamma, size_t N, size_t C, size_t S, float* dx, float* dgamma, float* dbeta);

}  // namespace simdnet
