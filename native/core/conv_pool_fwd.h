// Inference of a convolution (stride 1) read only by a 2x2 stride-2 max pool, pooled in registers: the convolution's
// output is never stored, not even per image (conv_forward_max_pool's per-image buffer of F*OH*OW floats, written
// then read back by the pool, cost as much as the FMAs for a 1-channel first layer).
//
//   z[f, ph, pw] = max over (dy, dx) in window order (0,0), (0,1), (1,0), (1,1) of
//                  relu?(sum over (c, kh, kw) of w[f, c, kh, kw] * xpad[c, 2ph + dy + kh, 2pw + dx + kw] + b[f])
//
// Vector lanes run over pooled positions q = ph*PW + pw (every lane used, whatever the width: 144 pooled
// positions of SimpleConvNet are 9 vectors of 16). The four window phases of a vector are four accumulators of
// one filter, so the pool is three lane-wise maxima before one store into z. Their inputs come from the image's
// "phase planes": for each channel c and row/column shift (a, b) in [0, KH] x [0, KW],
//   planes[((c*(KH+1) + a)*(KW+1) + b)*PPs + q] = xpad[c, 2ph + a, 2pw + b]   (zero outside the image)
// so tap (c, kh, kw) of phase (dy, dx) reads plane (c, kh + dy, kw + dx) at q: one contiguous vector load.
// PPs = PP = PH*PW rounded up to a multiple of 16, the lanes past PP zero.
//
// Arithmetic, per conv output: one float FMA chain from zero in tap order (c, kh, kw) (the reference: multiply
// then add), then + b[f], then the Relu layer's t <= 0 ? 0 : t — the direct forward's (conv_direct.h) — and the
// pool's select chain best = v > best ? v : best in window order: bit for bit conv_forward + max_pool_forward on
// the same tier wherever conv_forward takes the direct path (the only place it is used).
#pragma once
#include <cstdint>
#include <vector>

#include "core/conv_direct.h"
#include "core/im2col.h"

namespace simdnet {

// One image's z[F, PP] from its phase planes. Tiles (conv_tiles with the tier's max_rows) of up to R filters; the
// packed weights wpack[tile.a_off + k*R + i] (conv_pack_weights); off[k] = the plane offset (floats) of tap k for
// phase (0, 0); phase (0, 1) adds o_dx = PPs, (1, 0) adds o_dy = (KW+1)*PPs. bias nullable. Lanes past PP are
// computed and not stored.
using ConvPoolFwdFn = void (*)(const float* planes, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                               const int32_t* off, int64_t K, int64_t o_dx, int64_t o_dy, int64_t PP,
                               const float* bias, bool relu, float* z);
// Scalar (core/conv_pool_fwd_ref.cpp): vectors of 8 lanes, tiles of up to 3 filters (the AVX2 shape).
void conv_pool_fwd_3x4_ref(const float* planes, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                           const int32_t* off, int64_t K, int64_t o_dx, int64_t o_dy, int64_t PP, const float* bias,
                           bool relu, float* z);
// AVX2/FMA (native/kernels/x86/conv_pool_avx2.cpp): 3 filters x 4 phases of 8 lanes, 12 ymm accumulators.
void conv_pool_fwd_3x4_avx2(const float* planes, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                            const int32_t* off, int64_t K, int64_t o_dx, int64_t o_dy, int64_t PP, const float* bias,
                            bool relu, float* z);
// AVX-512 (native/kernels/x86/conv_pool_avx512.cpp): 6 filters x 4 phases of 16 lanes, 24 zmm accumulators.
void conv_pool_fwd_6x4_avx512(const float* planes, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                              const int32_t* off, int64_t K, int64_t o_dx, int64_t o_dy, int64_t PP,
                              const float* bias, bool relu, float* z);

// xp (image n zero-padded, [C, Hp, Wp] plus 16 floats of slack: ConvDirectKernels::pad_image) -> its phase planes
// (above), PPs floats each, lanes [PP, PPs) zero. Writes up to 8 floats past the last plane (16 floats of slack).
using ConvPoolPlanesFn = void (*)(const float* xp, const WindowGeom& g, float* planes);
void conv_pool_planes_ref(const float* xp, const WindowGeom& g, float* planes);
void conv_pool_planes_avx2(const float* xp, const WindowGeom& g, float* planes);

// One tier's kernels (kernels.h).
struct ConvPoolKernels {
  const char* name;
  int lanes;     // pooled positions per vector (8 or 16)
  int max_rows;  // filters per tile (3 or 6; tiles spread in units of max_rows/3)
  ConvPoolFwdFn fwd;
  ConvPoolPlanesFn planes;
};
extern const ConvPoolKernels conv_pool_kernels_ref;     // core/conv_pool_fwd_ref.cpp
extern const ConvPoolKernels conv_pool_kernels_avx2;    // native/kernels/x86/conv_pool_avx2.cpp
extern const ConvPoolKernels conv_pool_kernels_avx512;  // native/kernels/x86/conv_pool_avx512.cpp

// Pooled positions rounded up to whole 16-float vectors (every tier's plane stride).
inline int64_t conv_pool_plane_stride(const WindowGeom& g) { return ((g.OH / 2) * (g.OW / 2) + 15) / 16 * 16; }
// Floats of one image's phase planes (without the slack).
inline int64_t conv_pool_planes_floats(const WindowGeom& g) {
  return g.C * (g.KH + 1) * (g.KW + 1) * conv_pool_plane_stride(g);
}

// The per-call setup (packed weights, tiles, offsets) and the per-image run; on = false where it does not apply.
struct ConvPoolFwd {
  bool on = false;
  const ConvPoolKernels* k = nullptr;
  ConvImageFn pad_image = nullptr;  // the tier's (ConvDirectKernels)
  int64_t K = 0;
  std::vector<ConvTile> tiles;
  std::vector<int32_t> off;
  Workspace wpack;
  float* wp = nullptr;
};

// Where the pooled-in-registers forward may be taken (the caller adds: a 2x2 stride-2 pool, no argmax, the direct
// forward applies so the bits are conv_forward's, Winograd does not): stride 1, not 1x1, at least one pooled
// position, and small phase planes — at most kConvPoolMaxPlaneFloats (re-read per filter tile from L1/L2) and few
// input channels (kConvPoolMaxChannels: measured, see conv_pool_fwd.cpp).
constexpr int64_t kConvPoolMaxPlaneFloats = int64_t(1) << 15;
constexpr int64_t kConvPoolMaxChannels = 4;
bool conv_pool_fwd_applies(const WindowGeom& g);
// Sets up p for g (F filters) with the tier's kernels; false only when a workspace cannot be allocated.
bool setup_conv_pool_fwd(ConvPoolFwd& p, const ConvPoolKernels& k, const ConvDirectKernels& d, const WindowGeom& g,
                         const float* w, int64_t F);
// z_n[F, PH*PW] for image x_n; false only when the per-thread planes cannot be allocated.
bool conv_pool_fwd_image(const ConvPoolFwd& p, const float* xn, const WindowGeom& g, const float* b, bool relu,
                         float* zn);

}  // namespace simdnet
