// Scalar reference of the Winograd F(4x4, 3x3) kernels (contracts in winograd.h): plain loops, the transforms of
// winograd_loops.h one channel at a time, compiled at baseline x86-64. The reference tier's table and the oracle of
// the C++ kernel test (native/dev/kernels_test.cpp).
#include "core/winograd.h"
#include "core/winograd_loops.h"

namespace simdnet {
namespace {

struct ScalarOps {
  using V = float;
  static constexpr int L = 1;
  static float load(const float* p) { return *p; }
  static void store(float* p, float v) { *p = v; }
  static float zero() { return 0.0f; }
  static float relu(float v) { return v <= 0.0f ? 0.0f : v; }
};

}  // namespace

void winograd_pack_ref(const float* xn, const WinogradGeom& q, float* xt) {
  for (int64_t hq = 0; hq < q.Hq; ++hq) {
    const int64_t h = hq - q.pad;
    for (int64_t wq = 0; wq < q.Wq; ++wq) {
      const int64_t w = wq - q.pad;
      float* dst = xt + (hq * q.Wq + wq) * q.Cp;
      const bool in = h >= 0 && h < q.H && w >= 0 && w < q.W;
      for (int64_t c = 0; c < q.Cp; ++c) dst[c] = in && c < q.C ? xn[(c * q.H + h) * q.W + w] : 0.0f;
    }
  }
}

void winograd_input_ref(const float* xt, const WinogradGeom& q, float* V) { loop_winograd_input<ScalarOps>(xt, q, V); }

void winograd_gemm_ref(const float* V, const float* U, const WinogradGeom& q, float* M) {
  const int64_t T = q.T, C = q.C, Cp = q.Cp, Fp = q.Fp;
  for (int64_t e = 0; e < 36; ++e) {
    const float* Ve = V + e * q.VS;
    const float* Ue = U + e * Fp * C;
    float* Me = M + e * q.MS;
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t f = 0; f < Fp; ++f) {
        const float* u = Ue + (f / kWinoLanes) * C * kWinoLanes + f % kWinoLanes;
        float s = 0.0f;
        for (int64_t c = 0; c < C; ++c) s += Ve[t * Cp + c] * u[c * kWinoLanes];
        Me[t * Fp + f] = s;
      }
    }
  }
}

void winograd_output_ref(const float* M, const WinogradGeom& q, const float* bias, bool relu, float* yt) {
  loop_winograd_output<ScalarOps>(M, q, bias, relu, yt);
}

void winograd_unpack_ref(const float* yt, const WinogradGeom& q, float* yn) {
  const int64_t OWq = 4 * q.TW;
  for (int64_t f = 0; f < q.F; ++f) {
    for (int64_t oh = 0; oh < q.OH; ++oh) {
      for (int64_t ow = 0; ow < q.OW; ++ow) yn[(f * q.OH + oh) * q.OW + ow] = yt[(oh * OWq + ow) * q.Fp + f];
    }
  }
}

const WinogradKernels winograd_kernels_ref = {
    "reference", winograd_pack_ref, winograd_input_ref, winograd_gemm_ref, winograd_output_ref, winograd_unpack_ref,
};

}  // namespace simdnet
