// The weight gradient over groups of images (internal to native/core; kernels and contract: ConvDwTapsFn in
// conv_direct.h). Where it is taken (dw_taps_applies; conv_plan reports "direct", or "strided" for stride > 1),
// conv.cpp's backward driver runs each chunk of images in groups: per image the bias gradient, the ReLU mask (or
// unpooled gradient) and dx as before, the image laid out in rows as the forward lays it out (the zero-padded image,
// or a strided convolution's phase planes: conv_strided.h) and its output gradient transposed to dyT[P, F]; per
// group one call of the tier's dw_taps, which adds the group's sums into the chunk's dWT[K, F] partial.
//
//   dW[f, c, kh, kw] = sum over images n, output positions p of dy_n[f, p] * layout_n[off[(c*KH + kh)*KW + kw] + pos[p]]
//
// Accumulation: per (tap, filter) one chain over a group's images and positions in order, the groups added in order
// into the chunk's partial; the chunks are the backward's (backward_chunks in conv.cpp) and the group size depends
// only on the geometry, so dW does not depend on the thread count (1 to 4).
#pragma once
#include <cstdint>
#include <vector>

#include "core/conv_direct.h"
#include "core/im2col.h"

namespace simdnet {
namespace conv {

// One geometry's layout for the group weight gradient: set up once per call by the calling thread, read by every
// task.
struct DwTaps {
  bool on = false;
  const ConvDirectKernels* k = nullptr;
  std::vector<int32_t> off;  // off[k] per tap, in one image's layout
  std::vector<int32_t> pos;  // pos[p] per output position, in one image's layout
  int64_t xfloats = 0;       // one image's layout (16 floats of slack included)
  int64_t group = 1;         // images per group: their layouts and dyT within half of L2 (core/cache.h)
};

// Whether the group weight gradient applies to g with F filters under k, and d set up for it when it does: the
// tier has dw_taps, the kernel is not 1x1 (1x1 stride 2: im2col measured 1.3-1.8x faster), there are at least 32
// filters or the stride is > 1 (below, the lane loop or im2col: measured in conv_paths.cpp), the layout's offsets
// fit int32.
bool dw_taps_applies(const ConvDirectKernels& k, const WindowGeom& g, int64_t F, DwTaps* d);
// Image xn laid out into buf (d.xfloats floats).
void dw_taps_image(const DwTaps& d, const float* xn, const WindowGeom& g, float* buf);
// dyT[p*F + f] = dyn[f*P + p].
void dw_transpose(const float* dyn, int64_t F, int64_t P, float* dyT);

}  // namespace conv
}  // namespace simdnet
