// im2col / col2im: the window geometry shared by convolution and pooling, the per-image kernels
// (a scalar reference and an AVX2 tier, in the tier tables of kernels.h), and the exported
// whole-batch ops in the book's layout (common/util.py).
//
// Two column layouts:
//   book layout   col [OH*OW, C*KH*KW]  per image (row = output position; the batch stacks N of them)
//   transposed    colT[C*KH*KW, OH*OW]  per image (row = one (c, kh, kw) tap; what the fused conv uses,
//                                        so that y[F, OH*OW] = W[F, C*KH*KW] * colT is a plain GEMM)
// Padding reads as 0. col2im overwrites x with the sum of every column entry mapping to it, adding the
// contributions to each element in (kh, kw) order — the order of the book's loop — in every kernel, so
// all tiers give bit-identical results.
#pragma once
#include <cstdint>

namespace simdnet {

// Geometry of a window op on x[N, C, H, W]: kernel KH x KW, `stride`, zero/−∞ `pad` on all four sides.
struct WindowGeom {
  int64_t N, C, H, W, KH, KW, stride, pad;
  int64_t OH, OW;  // floor((H + 2*pad - KH) / stride) + 1, likewise for W

  int64_t taps() const { return C * KH * KW; }      // columns of the book layout
  int64_t positions() const { return OH * OW; }     // output positions per image
  int64_t image() const { return C * H * W; }       // elements of one input image
};

// Fills OH/OW. The caller has checked H + 2*pad >= KH and W + 2*pad >= KW (output size >= 1).
inline WindowGeom make_window(int64_t N, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t stride,
                              int64_t pad) {
  WindowGeom g{N, C, H, W, KH, KW, stride, pad, 0, 0};
  g.OH = (H + 2 * pad - KH) / stride + 1;
  g.OW = (W + 2 * pad - KW) / stride + 1;
  return g;
}

// The outputs o in [0, out) whose input index o*stride - pad + k falls inside [0, in): returns [lo, hi)
// (lo == hi when none does). Everything outside reads padding.
inline void valid_outputs(int64_t k, int64_t pad, int64_t stride, int64_t in, int64_t out, int64_t& lo, int64_t& hi) {
  const int64_t first = pad - k;  // o*stride >= first
  lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  const int64_t last = in - 1 + pad - k;  // o*stride <= last
  hi = last < 0 ? 0 : last / stride + 1;
  if (hi > out) hi = out;
  if (lo > hi) lo = hi;
}

// Per-image kernels over a band of output rows [oh0, oh1) (drivers band large images to bound the
// workspace and keep it in cache). `x` is one image [C, H, W]; g.N is ignored. With Pb = (oh1 - oh0)*OW:
struct Im2colKernels {
  const char* name;
  // x[C,H,W] -> colT[C*KH*KW, Pb]  (the band's output positions, row-major)
  void (*im2col_t)(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* colT);
  // colT[C*KH*KW, Pb] -> x[C,H,W]: ADDS every entry to the input element it maps to (the caller zeroes x)
  void (*col2im_t)(const float* colT, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x);
  // x[C,H,W] -> col[Pb, C*KH*KW]  (book layout: `col` points at the band's first row); `scratch` holds
  // C*KH*KW*Pb floats (a tier may ignore it)
  void (*im2col)(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* col, float* scratch);
  // col[Pb, C*KH*KW] -> x[C,H,W]: ADDS (book layout), `scratch` as above
  void (*col2im)(const float* col, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x, float* scratch);
};

// Scalar C++ (im2col.cpp): the reference, and the fallback on CPUs without AVX2.
void im2col_t_ref(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* colT);
void col2im_t_ref(const float* colT, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x);
void im2col_ref(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* col, float* scratch);
void col2im_ref(const float* col, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x, float* scratch);
extern const Im2colKernels im2col_kernels_ref;

// AVX2 (native/kernels/x86/im2col_avx2.cpp): vector row copies/adds for stride 1 with masked edges (other
// strides: scalar loops); the book layout goes through colT and 8x8 register transposes.
void im2col_t_avx2(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* colT);
void col2im_t_avx2(const float* colT, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x);
void im2col_avx2(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* col, float* scratch);
void col2im_avx2(const float* col, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x, float* scratch);
extern const Im2colKernels im2col_kernels_avx2;


// Output rows per band so that a band's colT (taps * rows * OW floats) stays within `max_floats`
// (at least one row).
inline int64_t band_rows(const WindowGeom& g, int64_t max_floats) {
  const int64_t per_row = g.taps() * g.OW;
  int64_t r = per_row > 0 ? max_floats / per_row : g.OH;
  if (r < 1) r = 1;
  return r > g.OH ? g.OH : r;
}

// Whole-batch ops, parallel over images. They return false (having written part of the output) only when
// a workspace cannot be allocated.
// x[N,C,H,W] -> col[N*OH*OW, C*KH*KW]
bool im2col(const float* x, const WindowGeom& g, float* col);
// col[N*OH*OW, C*KH*KW] -> x[N,C,H,W] (overwritten with the sum)
bool col2im(const float* col, const WindowGeom& g, float* x);

// A float buffer that only grows (64-byte aligned); one per thread (thread_local) keeps hot loops free of
// allocation.
class Workspace {
 public:
  Workspace() = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace();
  // At least n floats (contents unspecified); nullptr only if the allocation fails.
  float* get(int64_t n);

 private:
  float* p_ = nullptr;
  int64_t cap_ = 0;
};

}  // namespace simdnet
