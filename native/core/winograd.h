// Winograd F(4x4, 3x3) forward of a stride-1 3x3 convolution at inference (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2015; channels-last as in NNPACK / XNNPACK). Per 4x4 block of outputs and channel
// pair it takes 36 multiplies where the direct convolution takes 144 (4x fewer), in exchange for transforms and a
// larger rounding error (measured in test/ops/conv-winograd.test.ts and stated in conv_paths.cpp). Used only by the
// inference ops (conv_forward_max_pool, conv2_forward_max_pool) where winograd_fwd_applies says; training keeps the
// direct forward (its output is the backward's input and must not differ by the transform's rounding).
//
// One image, all in per-thread buffers (in L2: DeepConvNet's largest layer, 16x28x28, needs about 350 KB):
//   pack    x_n[C, H, W]       -> xt[Hq][Wq][Cp]     zero-padded, channels last (transposes of 16x16 blocks)
//   input   xt                 -> V[36][T][Cp]       V[e][t] = (B^T d B)[e], d the 6x6 input tile t
//   gemm    V[e][T][C] U[e]    -> M[36][T][Fp]       36 small GEMMs: M[e] = V[e] * U[e], U[e] = (G w G^T)[e]
// (V[e] and M[e] start VS and MS floats apart: T*Cp and T*Fp plus one cache line, so that the 36 vectors a tile
// transform stores or loads do not fall into the same few L1 sets when T*Cp*4 is a multiple of 2 KB.)
//   output  M                  -> yt[4TH][4TW][Fp]   A^T m A + bias (ReLU'd), 4x4 outputs per tile
//   unpack  yt                 -> y_n[F, OH, OW]     the valid part, transposed back
// Tiles t = th*TW + tw (TH = ceil(OH/4), TW = ceil(OW/4)); tile t reads padded rows 4th..4th+5, columns 4tw..4tw+5
// and writes output rows 4th..4th+3, columns 4tw..4tw+3 (past OH/OW: computed, dropped by unpack). Channels and
// filters are padded to 16 (Cp, Fp; the padding is zero): every tier uses these layouts, so each kernel can be
// compared with the reference on its own (native/dev/kernels_test.cpp). A NaN or infinity in the input reaches every
// output of the tiles whose 6x6 window holds it (up to 8x8 outputs), where the direct forward reaches its 3x3
// neighbours.
//
//   B^T = [4  0 -5  0  1  0]   G = [ 1/4     0     0]   A^T = [1  1  1  1  1  0]
//         [0 -4 -4  1  1  0]       [-1/6 -1/6  -1/6]         [0  1 -1  2 -2  0]
//         [0  4 -4 -1  1  0]       [-1/6  1/6  -1/6]         [0  1  1  4  4  0]
//         [0 -2 -1  2  1  0]       [1/24  1/12  1/6]         [0  1 -1  8 -8  1]
//         [0  2 -1 -2  1  0]       [1/24 -1/12  1/6]
//         [0  4  0 -5  0  1]       [   0     0     1]
#pragma once
#include <cstdint>

#include "core/im2col.h"

namespace simdnet {

struct KernelTable;

constexpr int kWinoLanes = 16;  // channel and filter padding, and the width of U's panels

struct WinogradGeom {
  int64_t C, H, W, pad, OH, OW, F;  // one image: x[C, H, W] -> y[F, OH, OW] (stride 1, 3x3)
  int64_t TH, TW, T;                // tiles
  int64_t Hq, Wq;                   // the padded channels-last input: 4*TH + 2 rows, 4*TW + 2 columns
  int64_t Cp, Fp;                   // C and F rounded up to kWinoLanes
  int64_t VS, MS;                   // floats from V[e] to V[e + 1] (T*Cp + 16), M[e] to M[e + 1] (T*Fp + 16)
  int NV;                           // 16-filter panels per GEMM tile (4, 2 or 1: the largest dividing Fp/16)

  int64_t xt_floats() const { return Hq * Wq * Cp; }
  int64_t v_floats() const { return 36 * VS; }
  int64_t m_floats() const { return 36 * MS; }
  int64_t yt_floats() const { return 16 * T * Fp; }
  int64_t u_floats() const { return 36 * Fp * C; }
};

WinogradGeom winograd_geom(const WindowGeom& g, int64_t F);

// w[F, C, 3, 3] -> U[36][Fp/16][C][16]: U[e][p][c][l] = (G w[16p + l, c] G^T)[e] (computed in double, rounded once),
// zero for filters >= F. Panel p of U[e] is the GEMM's B operand for filters [16p, 16p + 16).
void winograd_weights(const float* w, const WinogradGeom& q, float* U);

// One tier's kernels (contracts in the diagram above; q from winograd_geom).
struct WinogradKernels {
  const char* name;
  // xt[hq][wq][c] = x_n[c][hq - pad][wq - pad], zero outside the image and for c >= C.
  void (*pack)(const float* xn, const WinogradGeom& q, float* xt);
  // V[e][t][c] (at V + e*VS + t*Cp + c) for every tile t and c < Cp.
  void (*input)(const float* xt, const WinogradGeom& q, float* V);
  // M[e][t][f] (at M + e*MS + t*Fp + f) = sum over c < C, in order, of V[e][t][c] * U[e][f/16][c][f%16], every e,
  // t < T, f < Fp.
  void (*gemm)(const float* V, const float* U, const WinogradGeom& q, float* M);
  // yt[4th + i][4tw + j][f] = (A^T m A)[i][j] + bias[f] (ReLU'd: v <= 0 ? 0 : v), m[e] = M[e][t][f]. bias: Fp
  // floats (zero past F) or null.
  void (*output)(const float* M, const WinogradGeom& q, const float* bias, bool relu, float* yt);
  // y_n[f][oh][ow] = yt[oh][ow][f] for f < F, oh < OH, ow < OW.
  void (*unpack)(const float* yt, const WinogradGeom& q, float* yn);
};
extern const WinogradKernels winograd_kernels_ref;     // core/winograd_ref.cpp (scalar)
extern const WinogradKernels winograd_kernels_avx512;  // native/kernels/x86/winograd_avx512.cpp

// Process-wide switch (tests and benchmarks): on unless the environment sets SIMDNET_WINOGRAD=0 at load. Returns
// the previous setting.
bool set_winograd(bool on);

namespace conv {

// Whether the inference ops take Winograd for the convolution g with F filters under the table kt: a tier with
// Winograd kernels, 3x3 stride 1, the channel and filter counts where it measured faster (C, F >= 8, C*F >= 128;
// winograd.cpp), and the switch (set_winograd) is on.
bool winograd_fwd_applies(const KernelTable& kt, const WindowGeom& g, int64_t F);

// Set up once per call by the calling thread, read by every task.
struct WinogradFwd {
  bool on = false;
  const WinogradKernels* k = nullptr;
  WinogradGeom q{};
  Workspace wpack;        // the bias padded to Fp
  const float* U = nullptr;  // the transformed weights (in the calling thread's cache, winograd.cpp)
  float* bias = nullptr;  // null when the call has none
};

// Sets up d for y = conv(x; w) + b over g (turned off where winograd_fwd_applies does not hold). Returns false only
// when the transformed weights cannot be allocated (d.on is then false).
bool setup_winograd_fwd(WinogradFwd& d, const KernelTable& kt, const WindowGeom& g, const float* w, const float* b,
                        int64_t F);
// One image x_n[C, H, W] -> y_n[F, OH, OW] through the per-thread buffers. False only when they cannot be allocated.
bool winograd_fwd_image(const WinogradFwd& d, const float* xn, bool relu, float* yn);

}  // namespace conv
}  // namespace simdnet
