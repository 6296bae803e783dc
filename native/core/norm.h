// Batch normalization on x viewed as [N, C, S]: statistics per channel c over the M = N·S values x[n, c, s]
// (dense input: C = features, S = 1; convolutions: C channels, S = H·W). The TypeScript oracle is
// lib/backend/ts/norm.ts. Sums are accumulated in double, elementwise results computed in double and rounded
// once. Work is split over channels, so results do not depend on the thread count.
#pragma once
#include <cstddef>

namespace simdnet {

// Training: batch mean and biased variance; std[c] = sqrt(var + eps); xn = (x − mean)/std;
// run = momentum·run + (1 − momentum)·batch. Inference: the running statistics (left untouched).
// y = gamma[c]·xn + beta[c]. x[N,C,S] -> y, xn [N,C,S], std [C].
void batch_norm_forward(const float* x, size_t N, size_t C, size_t S, const float* gamma, const float* beta,
                        float* run_mean, float* run_var, double momentum, double eps, bool training, float* y,
                        float* xn, float* std_out);

// The book's backward, per channel (M = N·S):
//   dbeta = Σ dy; dgamma = Σ xn·dy;
//   dx = (gamma/std)·(dy − xn·dgamma/M − (dbeta − dgamma·Σxn/M)/M)
// (the derivation from the book's dxn/dxc/dstd/dvar/dmu steps is in lib/backend/ts/norm.ts).
void batch_norm_backward(const float* dy, const float* xn, const float* std_in, const float* gamma, size_t N,
                         size_t C, size_t S, float* dx, float* dgamma, float* dbeta);

}  // namespace simdnet
