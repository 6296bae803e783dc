// Direct convolution (stride 1, no unrolled columns): the implicit-GEMM forward, also used for the input
// gradient (a convolution of dy with the flipped filters), and the direct weight gradient. conv_paths.cpp decides
// where each applies (conv_plan in conv.h reports it); the kernels of each tier are one ConvDirectKernels table
// (at the end of this file), with a scalar reference of every kernel, so the drivers run on every tier.
//
// ---- direct weight gradient --------------------------------------------------------------------------------
//
//   dW[f, c, kh, kw] = sum over images g and output positions (oh, ow) of dy_g[f, oh, ow] * xp_g[c, oh + kh, ow + kw]
//
// where xp_g is image g zero-padded into [C, Hp, Wp] (Hp = H + 2*pad, Wp = W + 2*pad). Vector lanes run over
// output positions: the positions are cut into segments of at most 16 consecutive positions of one output row
// (conv_row_segments), and for one (c, kh) a block of FB filters keeps FB x KW accumulators, each fed by one
// load of dy (FB per segment) and one shifted load of xp (KW per segment): an FMA-bound loop over rows that
// stay in L1, where the im2col GEMM streamed the unrolled image (C*KH*KW times its size) through L2. The
// 16-lane partial sums carry over from image to image (in L2) and are reduced once at the end.
// Accumulation order: per (f, tap) one 16-lane float sum over the images in order and the segments in order,
// then a fixed lane reduction: deterministic.
#pragma once
#include <cstdint>
#include <vector>

#include "core/im2col.h"

namespace simdnet {

// A run of output positions handled as one vector (dW and forward alike).
struct ConvSegment {
  int32_t out_off;  // oh*OW + ow0: the segment's first position in an output (or dy) plane [OH, OW]
  int32_t xp_off;   // oh*Wp + ow0: where its tap (0, 0) reads in a padded plane [Hp, Wp] (expanded copy: p0)
  uint32_t mask;    // lanes [0, len), len <= 16
};

// Widest kernel the direct path takes (its FB x KW accumulators and KW shifted rows must fit in registers).
constexpr int64_t kDwDirectMaxKW = 7;

// The segments of g's output positions (stride 1), runs of at most `lanes` (16 or 8) positions of one row.
// Returns the fraction of vector lanes they use: the caller takes the direct path only where that is high (with
// 16 lanes a 28-wide row is 16 + 12 lanes: 0.875; an 8-wide row is half a vector: 0.5).
double conv_row_segments(const WindowGeom& g, int lanes, std::vector<ConvSegment>& segs);

// Image n's contribution, kept as 16-lane partial sums: acc[((c*KH + kh)*KW + kw)*F + f][16] (overwritten when
// `first`, else added to), lane j of a segment's sum in acc[...][j]. xp: the image zero-padded, [C, Hp, Wp] plus
// 16 floats of slack; dy: its output gradient [F, OH*OW]; segs: conv_row_segments(g, 16). Requires stride 1 and
// KW <= kDwDirectMaxKW.
using ConvDwDirectFn = void (*)(const float* xp, const float* dy, const WindowGeom& g, int64_t F,
                                const ConvSegment* segs, int64_t nseg, float* acc, bool first);
// Scalar (core/conv_direct_ref.cpp): per accumulator, one multiply-add per segment in segment order.
void conv_dw_direct_x16_ref(const float* xp, const float* dy, const WindowGeom& g, int64_t F, const ConvSegment* segs,
                            int64_t nseg, float* acc, bool first);
// AVX-512 (native/kernels/x86/conv_avx512.cpp): blocks of FB filters x KW taps of zmm accumulators (FB by KW, see
// filters_per_block there), one FMA per (filter, tap) and segment.
void conv_dw_direct_x16_avx512(const float* xp, const float* dy, const WindowGeom& g, int64_t F,
                               const ConvSegment* segs, int64_t nseg, float* acc, bool first);

// ---- direct weight gradient over groups of images (any filter count, any stride) ------------------------------
//
//   dw[k*F + f] (= when `first`, else +=) the sum over images n < nimg in order, then positions p < P in order, of
//   dyT[n*dys + p*F + f] * x[n*xs + off[k] + pos[p]]
//
// An outer-product GEMM (dWT[K, F] = X[K, positions] * dY[positions, F]) whose reduction runs over every position of
// every image of a group, its A operand never unrolled: tap k of position p is the float at off[k] + pos[p] of the
// image's layout (the forward's rows of the padded image, or a strided convolution's phase planes), broadcast into
// every lane; B is the output gradient transposed per image, dyT[p][f] (lanes over filters). A register tile of
// taps x filters accumulates over the whole group before it is added to dw once: the im2col path unrolled each
// image (taps x its size) and stored its dWT[K, F] tile after every image's 49..784 positions. x: nimg layout
// buffers xs floats apart; dyT: nimg [P, F] blocks dys floats apart. Accumulation: per (k, f) one chain over
// (n, p) in order from 0 (an FMA chain on AVX2 and AVX-512: the same bits on both), then added to (or stored in) dw.
using ConvDwTapsFn = void (*)(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg,
                              const int32_t* off, int64_t K, const int32_t* pos, int64_t P, int64_t F, float* dw,
                              bool first);
// Scalar (core/conv_dw.cpp): per (k, f) multiply then add, in the order above.
void conv_dw_taps_ref(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg, const int32_t* off,
                      int64_t K, const int32_t* pos, int64_t P, int64_t F, float* dw, bool first);
// AVX2/FMA (native/kernels/x86/conv_dw_avx2.cpp): tiles of 6 taps x up to 16 filters (12 ymm accumulators).
void conv_dw_taps_6x16_avx2(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg,
                            const int32_t* off, int64_t K, const int32_t* pos, int64_t P, int64_t F, float* dw,
                            bool first);
// AVX-512 (native/kernels/x86/conv_dw_avx512.cpp): tiles of 6 taps x up to 64 filters (24 zmm accumulators).
void conv_dw_taps_6x64_avx512(const float* x, int64_t xs, const float* dyT, int64_t dys, int64_t nimg,
                              const int32_t* off, int64_t K, const int32_t* pos, int64_t P, int64_t F, float* dw,
                              bool first);

// out[j] = the sum of acc[j][0..16) (a fixed pairwise order: lane i + w into i for w = 8, 4, 2, 1), j < n. One
// scalar function for every tier (core/conv_direct.cpp).
void conv_dw_reduce(const float* acc, int64_t n, float* out);

// ---- implicit-GEMM forward (stride 1) ----------------------------------------------------------------------
//
//   y[f, oh, ow] = sum over (c, kh, kw) of w[f, c, kh, kw] * xp[c, oh + kh, ow + kw]  (+ b[f], ReLU optional)
//
// A GEMM whose B operand is never materialized: for k = (c, kh, kw) the row of B under a segment of output
// positions is the run of the padded image at off[k] = (c*Hp + kh)*Wp + kw past the segment's xp_off, so the
// micro-kernel loads it straight from the image. Tiles of up to 12 filters x two segments (2 x 16 lanes; AVX2:
// 6 filters x 2 x 8), the weights packed once per call ([K][R] per tile, like an A micro-panel), 12 broadcasts
// and two row loads per 24 FMAs (the SGEMM micro-kernel's balance) — without writing or reading the unrolled
// columns.
// Accumulation: one float FMA chain per output in k order, then + b[f]: the GEMM's products, in one K block.

struct ConvTile {
  int32_t f0, m, R;  // rows [f0, f0 + m) of the output; R rows computed (4, 8, 12; AVX2 2, 4, 6), past m zero weights
  int64_t a_off;     // the tile's packed weights at wpack + a_off: [K][R]
};

// Tiles for F filters: as few as max_rows-row tiles allow (12: AVX-512, 6: AVX2), rows spread evenly in units
// of max_rows/3 (16 filters: 8 + 8, not 12 + 4). Returns the packed weight floats.
int64_t conv_tiles(int64_t F, int64_t K, int max_rows, std::vector<ConvTile>& tiles);
// w[F, K] -> wpack (rows past a tile's m zero).
void conv_pack_weights(const float* w, int64_t K, const std::vector<ConvTile>& tiles, float* wpack);
// off[k] for k = (c*KH + kh)*KW + kw: in the padded image of g, or in its expanded copy.
void conv_offsets(const WindowGeom& g, bool expanded, std::vector<int32_t>& off);

// The W-expanded copy of an image: xe[c][kw][h][ow] = xp[c, h, ow + kw] for h < Hp, ow < OW (plus 16 floats of
// slack): im2col along W only (KW copies of the image where im2col makes KH*KW). Tap (c, kh, kw) of output
// position p = oh*OW + ow is then xe[((c*KW + kw)*Hp + kh)*OW + p]: linear in p, so any 16 consecutive positions
// are one vector load — every lane used, whatever the width (rows of 8 would fill half a vector).
// Segments of `lanes` consecutive positions (out_off = xp_off = p0) for the expanded copy; returns the fraction of
// lanes used.
double conv_expanded_segments(const WindowGeom& g, int lanes, std::vector<ConvSegment>& segs);

// The plain loops of conv_loops.h, one copy per tier (baseline: conv_direct_ref.cpp; AVX2: conv_avx2.cpp), all
// bit-identical: x_n zero-padded into xp[C, Hp, Wp] plus 16 floats of slack; the W-expanded copy; the fused
// backward's ReLU mask + bias gradient; the plain bias gradient.
using ConvImageFn = void (*)(const float* xn, const WindowGeom& g, float* out);
using ConvReluMaskBiasGradFn = void (*)(const float* dy, const float* y, int64_t F, int64_t P, float* m, float* db,
                                        bool first);
using ConvBiasGradFn = void (*)(const float* dyn, int64_t F, int64_t P, float* db, bool first);
void conv_pad_image_ref(const float* xn, const WindowGeom& g, float* xp);
void conv_expand_image_ref(const float* xn, const WindowGeom& g, float* xe);
void conv_relu_mask_bias_grad_ref(const float* dy, const float* y, int64_t F, int64_t P, float* m, float* db,
                                  bool first);
void conv_bias_grad_ref(const float* dyn, int64_t F, int64_t P, float* db, bool first);
void conv_pad_image_avx2(const float* xn, const WindowGeom& g, float* xp);
void conv_expand_image_avx2(const float* xn, const WindowGeom& g, float* xe);
void conv_relu_mask_bias_grad_avx2(const float* dy, const float* y, int64_t F, int64_t P, float* m, float* db,
                                   bool first);
void conv_bias_grad_avx2(const float* dyn, int64_t F, int64_t P, float* db, bool first);

// y[F, OH*OW] (one image) from its padded input xp ([C, Hp, Wp]) or its expanded copy, either with 16 floats of
// slack (a segment's load reads 16 floats from its start), and the matching segments and offsets; bias
// nullable. Tile = rows x (2 segments x lanes): the name's RxC. Every tier runs loop_fwd_direct (conv_loops.h).
using ConvFwdDirectFn = void (*)(const float* xp, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                                 const int32_t* off, int64_t K, const ConvSegment* segs, int64_t nseg, int64_t P,
                                 const float* bias, bool relu, float* y);
// Scalar (core/conv_direct_ref.cpp): 8-lane segments, tiles of up to 6 rows (the AVX2 shape); multiply then add.
void conv_fwd_direct_6x16_ref(const float* xp, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                              const int32_t* off, int64_t K, const ConvSegment* segs, int64_t nseg, int64_t P,
                              const float* bias, bool relu, float* y);
// AVX2/FMA (native/kernels/x86/conv_avx2.cpp): 8-lane segments, tiles of up to 6 rows, 12 ymm accumulators.
void conv_fwd_direct_6x16_avx2(const float* xp, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                               const int32_t* off, int64_t K, const ConvSegment* segs, int64_t nseg, int64_t P,
                               const float* bias, bool relu, float* y);
// AVX-512 (native/kernels/x86/conv_avx512.cpp): 16-lane segments, tiles of up to 12 rows, 24 zmm accumulators.
void conv_fwd_direct_12x32_avx512(const float* xp, const float* wpack, const ConvTile* tiles, int64_t ntiles,
                                  const int32_t* off, int64_t K, const ConvSegment* segs, int64_t nseg, int64_t P,
                                  const float* bias, bool relu, float* y);

// One tier's direct-convolution kernels (kernels.h).
struct ConvDirectKernels {
  const char* name;
  int lanes;     // positions per segment of the forward (8 or 16)
  int max_rows;  // filters per forward tile (6 or 12; tiles are spread in units of max_rows/3)
  ConvFwdDirectFn fwd;
  ConvImageFn pad_image;
  ConvImageFn expand_image;
  ConvReluMaskBiasGradFn relu_mask_bias_grad;
  ConvBiasGradFn bias_grad;
  // The direct weight gradient (segments of 16), taken for fewer than 32 filters; null where the tier has no
  // vector kernel for it (avx2), which then keeps its im2col + SGEMM weight gradient.
  ConvDwDirectFn dw;
  // The group-of-images weight gradient (conv_dw.h says where it is taken).
  ConvDwTapsFn dw_taps;
};
extern const ConvDirectKernels conv_direct_kernels_ref;     // core/conv_direct_ref.cpp
extern const ConvDirectKernels conv_direct_kernels_avx2;    // native/kernels/x86/conv_avx2.cpp
extern const ConvDirectKernels conv_direct_kernels_avx512;  // native/kernels/x86/conv_avx512.cpp

}  // namespace simdnet
