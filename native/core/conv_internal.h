// The fused convolution's parts, shared by its translation units (internal to native/core; the API is conv.h):
//   conv_paths.cpp   which path each part of a convolution takes (and conv_plan, which reports it)
//   conv_im2col.cpp  the per-image im2col + SGEMM path, over bands of output rows
//   conv_direct.cpp  the direct path's setup (segments, tiles, packed weights, offsets) and per-image run
//   conv.cpp         the drivers: images over the pool, per-task partials and their fixed-order reduction
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "core/conv_direct.h"
#include "core/im2col.h"
#include "core/kernels.h"
#include "core/pool.h"

namespace simdnet {
namespace conv {

// ---- path choice (conv_paths.cpp) --------------------------------------------------------------------------

inline bool is_pointwise(const WindowGeom& g) { return g.KH == 1 && g.KW == 1 && g.stride == 1 && g.pad == 0; }

// Tasks for image-parallel work: the thread count capped by N (0 means run images one after another, each
// GEMM on the whole pool).
int image_tasks(int64_t N);

// How the weight gradient goes: the tier's lane loop (ConvDirectKernels::dw) or im2col + SGEMM. Fills `segs`
// (16-lane row segments) when it returns lanes.
enum class DwPath { gemm, lanes, taps };  // taps: the group weight gradient (conv_dw.h), chosen in conv.cpp
DwPath direct_dw_path(const ConvDirectKernels& k, const WindowGeom& g, int64_t F, std::vector<ConvSegment>& segs);

// Whether the implicit-GEMM forward applies to g under k, and how (*expanded: over the W-expanded copy, else
// rows of the padded image). Fills `segs`.
bool direct_fwd_applies(const ConvDirectKernels& k, const WindowGeom& g, std::vector<ConvSegment>& segs,
                        bool* expanded);

// Stride 1 with pad <= K-1 and a square kernel: dx is itself a convolution, of dy (F channels, padded by
// K-1-pad) with the flipped, transposed filters wf[C, F*KH*KW].
bool dx_as_conv(const WindowGeom& g);
// The geometry of dx = conv(dy, wf): input dy_n[F, OH, OW], output [C, H, W].
WindowGeom dx_geometry(const WindowGeom& g, int64_t F);

// ---- the direct forward (conv_direct.cpp) ------------------------------------------------------------------

// The implicit-GEMM forward of one geometry: set up once per call by the calling thread, read by every task.
struct DirectFwd {
  bool on = false;
  const ConvDirectKernels* k = nullptr;
  int64_t K = 0;
  std::vector<ConvTile> tiles;
  std::vector<int32_t> off;
  std::vector<ConvSegment> segs;
  Workspace wpack;
  float* wp = nullptr;    // wpack's floats
  bool expanded = false;  // positions in runs over a W-expanded copy (else rows of the padded image)
};

// Sets up `d` for y = conv(x; w[F, K]) over g with the kernels k, or turns it off where the direct path does not
// apply. Returns false only when the packed weights cannot be allocated (d.on is then false).
bool setup_direct_fwd(DirectFwd& d, const ConvDirectKernels& k, const WindowGeom& g, const float* w, int64_t F);
// One image through the direct path: pad (or expand) into the per-thread buffer, then the tiles.
bool direct_fwd_image(const DirectFwd& d, const float* xn, const WindowGeom& g, const float* b, bool relu, float* yn);

// ---- the im2col path (conv_im2col.cpp) ---------------------------------------------------------------------

// y_n[F, P] = b + W * unroll(x_n) (ReLU'd when `relu`).
bool forward_image(const KernelTable& kt, const float* xn, const float* w, const float* b, const WindowGeom& g,
                   int64_t F, float* yn, bool relu);
// wf[c, (f*KH + kh)*KW + kw] = w[f, c, KH-1-kh, KW-1-kw]
void flip_filters(const float* w, const WindowGeom& g, int64_t F, float* wf);

// conv_backward_max_pool's source of dy (conv.h): the 2x2 stride-2 max pool's output gradient dz, its argmax (flat
// indices into the convolution's output [N, F, OH, OW]) and output z, all [N, F, PH, PW]. Image n's dy_n is built
// in cache: dz masked by z > 0 (with `relu`), routed to each window's argmax by the pool's backward kernel.
struct PoolGrad {
  const float* dz;
  const int32_t* argmax;
  const float* z;
  int64_t PH, PW;
  bool relu;
  const MaxPool2x2Kernels* pk;  // the pool's backward kernel (the reference under 8 windows a row, as max_pool_forward)
};

// Image n's dy_n[F, OH*OW] from pg (see PoolGrad), into m. False when an argmax of the image is not one of its own
// window's elements (the caller falls back to the scatter); nothing reachable outside m and the per-thread
// workspace is written either way. False with *alloc set when the workspace cannot be allocated.
bool unpool_image(const PoolGrad& pg, int64_t n, const WindowGeom& g, int64_t F, float* m, bool* alloc);

// conv_backward's driver (conv.cpp): dy given, or (dy null) unpooled per image from `pool`; then false with
// *outside set when an image's argmax lies outside its window (the results are then incomplete).
bool backward_driver(const float* dy, const float* x, const float* w, const WindowGeom& g, int64_t F, float* dx,
                     float* dw, float* db, const float* y, const PoolGrad* pool, std::atomic<bool>* outside);

// One image's backward. dwT[K, F] (= when `first`, else +=) unroll(x_n) * dy_n^T; db likewise; dx_n when
// dxn != null, either as conv(dy_n, wf) (wf != null, see dx_as_conv; through `dxf` where it is on) or as
// col2im(W^T dy_n). yn (nullable): the fused-ReLU output, dy masked by yn > 0 first. pool (nullable): dy_n comes
// from unpool_image(*pool, n) instead (dyn and yn unused); on an argmax outside its window backward_image returns
// false with *outside set.
struct StridedDx;  // conv_strided.h
struct BackwardImage {
  const float* dyn;
  const float* xn;
  const float* yn;   // nullable
  float* dxn;        // nullable
  float* dwT;
  float* db;
  bool first;
  bool skip_dw = false;               // dwT left alone (the caller computes it directly)
  float* mask = nullptr;              // where the masked gradient goes (else a per-thread workspace)
  const float** used_dy = nullptr;    // set to the gradient this image used (dy_n or its masked copy)
  const PoolGrad* pool = nullptr;     // dy_n unpooled from the max pool's gradient (image n)
  int64_t n = 0;
  std::atomic<bool>* outside = nullptr;  // set when pool's argmax of image n is outside its window
  const StridedDx* sdx = nullptr;     // dx_n phase by phase (conv_strided.h) where it is on
};
bool backward_image(const KernelTable& kt, const BackwardImage& a, const float* w, const float* wf,
                    const WindowGeom& g, int64_t F, const DirectFwd* dxf);

}  // namespace conv
}  // namespace simdnet
