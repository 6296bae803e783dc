// Single-precision GEMM, row-major:  C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
//   op(A) = A   (A stored M x K, lda >= K)   or  A^T (A stored K x M, lda >= M)
//   op(B) = B   (B stored K x N, ldb >= N)   or  B^T (B stored N x K, ldb >= K)
//   beta == 0: C is written without being read (NaN/Inf already in C do not propagate).
// Splits its work over the thread pool; called from inside a pool task it runs on the calling thread.
#pragma once
#include <cstdint>

namespace simdnet {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Plain triple loop in double accumulation: the oracle for tests, never used on a hot path.
void sgemm_naive(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace simdnet
