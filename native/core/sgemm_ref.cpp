// Scalar references for SGEMM: the micro-kernel every SIMD tier is checked against (and the fallback on
// CPUs without AVX2), and the naive triple loop used as an oracle.
#include <cstring>

#include "core/sgemm.h"
#include "core/sgemm_kernels.h"

namespace simdnet {

// sgemm_ukernel_6x16_ref — contract in sgemm_kernels.h.
//   Tile: MR x NR = 6 x 16. A~: any strides (packed: rs_a = 1, cs_a = 6). B~: rows of 16 at stride rs_b
//   (packed: rs_b = 16). Edge tiles: the full 6 x 16 product is accumulated in a local array (rows past m
//   repeat row m-1, so nothing outside the tile is read), then only the m x n corner is stored to C.
void sgemm_ukernel_6x16_ref(int64_t k, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b,
                            float* c, int64_t rs_c, float alpha, float beta, int m, int n) {
  constexpr int MR = 6, NR = 16;
  float acc[MR][NR];
  std::memset(acc, 0, sizeof(acc));
  const float* arow[MR];
  for (int i = 0; i < MR; ++i) arow[i] = a + (i < m ? i : m - 1) * rs_a;
  for (int64_t p = 0; p < k; ++p) {
    const float* bp = b + p * rs_b;
    const int64_t ap = p * cs_a;
    for (int i = 0; i < MR; ++i) {
      const float ai = arow[i][ap];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * bp[j];
    }
  }
  for (int i = 0; i < m; ++i) {
    float* ci = c + i * rs_c;
    if (beta == 0.0f) {
      for (int j = 0; j < n; ++j) ci[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < n; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

static_assert(sgemm_blocking_fits(6, 16, 144, 256, 4080), "blocking vs core/cache.h");
const SgemmKernels sgemm_kernels_ref = {"reference", 6, 16, 6, 16, 144, 256, 4080, sgemm_ukernel_6x16_ref};

void sgemm_naive(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < K; ++p) {
        const float a = trans_a ? A[p * lda + i] : A[i * lda + p];
        const float b = trans_b ? B[j * ldb + p] : B[p * ldb + j];
        acc += static_cast<double>(a) * b;
      }
      float& c = C[i * ldc + j];
      c = static_cast<float>(alpha * acc + (beta == 0.0f ? 0.0 : static_cast<double>(beta) * c));
    }
  }
}

}  // namespace simdnet
