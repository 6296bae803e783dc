// Batch normalization on x viewed as [N, C, S]: statistics per channel c over the M = N·S values x[n, c, s]
// (dense input: C = features, S = 1; convolutions: C channels, S = H·W). The TypeScript oracle is
// lib/backend/ts/norm.ts (float64 throughout there).
//
// What is kept between forward and backward is x itself (the layer holds its input) plus mean[C] and std[C]:
// x̂ = (x − mean)/std is recomputed on the fly, never stored. With `relu` the op is BN followed by ReLU in one
// pass: y = max(0, γ·x̂ + β); backward takes dy of the ReLU's output and recomputes the ReLU's mask (y > 0) from x
// with the forward's own arithmetic (bn_affine's coefficients from the float mean and std it wrote, the tier's affine
// kernel), so it is that y > 0 exactly without reading y (one array fewer over memory in both passes).
//
// Work is split over channels (whole channels per task, rows summed in n order), so results do not depend on
// the thread count. Layouts with S > 1 go through the NormKernels row kernels of the active table (one row =
// the S contiguous values of x[n, c, ·]); S = 1 (dense) runs plain loops over contiguous channels.
#pragma once
#include <cstddef>

namespace simdnet {

// The per-channel affine map of the forward, y = a·x + b with a = γ/std, b = β − mean·a computed in double from the
// float mean and std the forward writes (so backward can recompute it) and rounded to float.
struct BnAffine {
  float a, b;
};
inline BnAffine bn_affine(float gamma, float beta, float mean, float std) {
  const double a = static_cast<double>(gamma) / static_cast<double>(std);
  return {static_cast<float>(a), static_cast<float>(static_cast<double>(beta) - static_cast<double>(mean) * a)};
}

// The fused ReLU's mask in backward: on, g = dy where the forward's a·x + b (the tier's affine arithmetic) is > 0.
struct ReluMask {
  bool on;
  float a, b;
};

// Row kernels: contiguous spans of any length S >= 1 and alignment. Sums are accumulated in float lanes (8–16 of
// them: AVX2) or in double (reference) within the row and returned in double (the driver adds rows in double). g
// below is dy, or with the mask on (the fused ReLU) dy where a·x + b > 0, computed exactly as `affine` computes it,
// and 0 elsewhere.
struct NormKernels {
  const char* name;
  // sum += Σ (x − shift); sumsq += Σ (x − shift)²
  void (*moments)(const float* x, size_t S, float shift, double* sum, double* sumsq);
  // y = a·x + b, then max(0, ·) when relu (x may be y)
  void (*affine)(const float* x, size_t S, float a, float b, bool relu, float* y);
  // sg += Σ g; sxg += Σ (x − mean)·g; sx += Σ (x − mean)
  void (*grad_sums)(const float* dy, const float* x, ReluMask m, size_t S, float mean, double* sg, double* sxg,
                    double* sx);
  // dx = a·g + b·(x − mean) + c (dx may be dy)
  void (*grad_apply)(const float* dy, const float* x, ReluMask m, size_t S, float mean, float a, float b, float c,
                     float* dx);
};

extern const NormKernels norm_kernels_ref;   // core/norm_ref.cpp
extern const NormKernels norm_kernels_avx2;  // kernels/x86/norm_avx2.cpp

// Training: batch mean and biased variance (one pass per row, shifted by the channel's first value);
// std[c] = sqrt(var + eps); run = momentum·run + (1 − momentum)·batch. Inference: the running statistics (left
// untouched). y = gamma[c]·(x − mean)/std + beta[c] (then max(0, ·) when relu), from the float mean and std written:
// S > 1 as a·x + b (bn_affine), S = 1 in double. x[N,C,S] -> y [N,C,S], mean [C], std [C] (the statistics used, for
// backward).
void batch_norm_forward(const float* x, size_t N, size_t C, size_t S, const float* gamma, const float* beta,
                        float* run_mean, float* run_var, double momentum, double eps, bool training, bool relu,
                        float* y, float* mean_out, float* std_out);

// The book's backward, per channel (M = N·S, x̂ = (x − mean)/std, g = dy, with relu masked where the forward's
// output (the same mean, std, gamma, beta) was > 0, recomputed from x):
//   dbeta = Σ g; dgamma = Σ x̂·g;
//   dx = (gamma/std)·(g − x̂·dgamma/M − (dbeta − dgamma·Σx̂/M)/M)
// (the derivation from the book's dxn/dxc/dstd/dvar/dmu steps is in lib/backend/ts/norm.ts).
void batch_norm_backward(const float* dy, const float* x, bool relu, const float* mean, const float* std_in,
                         const float* gamma, const float* beta, size_t N, size_t C, size_t S, float* dx,
                         float* dgamma, float* dbeta);

}  // namespace simdnet
