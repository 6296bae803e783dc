// Packing for the SGEMM driver (sgemm.cpp): micro-panels in the layouts of sgemm_kernels.h, and the software
// prefetches that keep the in-place paths fed. Baseline x86-64 (SSE) only; included by sgemm.cpp alone.
//
// A W-wide micro-panel of kc steps holds element (k, w) at d[k*W + w]: B panels have W = NR (w a column of
// op(B)), A panels W = MR (w a row of op(A)). A source is given as element (k, line) at src[k*sk + line*sw].
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define SIMDNET_SSE 1
#endif

namespace simdnet {
namespace sgemm_pack {

// 4 x 4 transpose of floats: rows s0..s3 (4 contiguous each) -> d, d + ld, d + 2*ld, d + 3*ld. SSE is
// part of baseline x86-64; other targets take the scalar path.
inline void transpose4(const float* s0, const float* s1, const float* s2, const float* s3, float* d, int64_t ld) {
#if SIMDNET_SSE
  __m128 r0 = _mm_loadu_ps(s0), r1 = _mm_loadu_ps(s1), r2 = _mm_loadu_ps(s2), r3 = _mm_loadu_ps(s3);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(d, r0);
  _mm_storeu_ps(d + ld, r1);
  _mm_storeu_ps(d + 2 * ld, r2);
  _mm_storeu_ps(d + 3 * ld, r3);
#else
  for (int q = 0; q < 4; ++q) {
    d[q * ld + 0] = s0[q];
    d[q * ld + 1] = s1[q];
    d[q * ld + 2] = s2[q];
    d[q * ld + 3] = s3[q];
  }
#endif
}

// Asks for the cache lines of `n` floats at `s` to be brought into L1 (hint T0) or L2 (T1): rows of a
// block are short runs a page apart, which the hardware prefetcher follows too late.
template <int kHint>
inline void prefetch_lines(const float* s, int64_t n) {
#if SIMDNET_SSE
  const uintptr_t first = reinterpret_cast<uintptr_t>(s) & ~uintptr_t(63);
  const uintptr_t last = reinterpret_cast<uintptr_t>(s + n - 1);
  for (uintptr_t l = first; l <= last; l += 64) _mm_prefetch(reinterpret_cast<const char*>(l), static_cast<_mm_hint>(kHint));
#else
  (void)s;
  (void)n;
#endif
}
inline void prefetch_run(const float* s, int64_t n) { prefetch_lines<3>(s, n); }     // _MM_HINT_T0
inline void prefetch_run_l2(const float* s, int64_t n) { prefetch_lines<2>(s, n); }  // _MM_HINT_T1

// Runs shorter than this (floats) are left to the hardware prefetcher: the software prefetch would cost
// more than it hides.
constexpr int64_t kPrefetchMinRun = 32;

// Packs `n` (<= W) lines of a source into one W-wide micro-panel, line w of the source becoming column w:
// d[p*W + w] = src[p*sk + w*sw] for p < kc, zero for w >= n. The two layouts that matter are specialized:
//   sw == 1: each k step of the panel is contiguous in the source (one row of B, or one column of A^T);
//   sk == 1: each line is contiguous along k (a row of A, or a row of B^T): 4 x 4 transposes.
template <int W>
void pack_panel(const float* src, int64_t sk, int64_t sw, int n, int64_t kc, float* d) {
  if (sw == 1) {
    if (n == W) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = src + p * sk;
        for (int w = 0; w < W; ++w) d[p * W + w] = s[w];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = src + p * sk;
        for (int w = 0; w < W; ++w) d[p * W + w] = 0.0f;  // fixed width: vector stores
        for (int w = 0; w < n; ++w) d[p * W + w] = s[w];
      }
    }
    return;
  }
  if (n < W) std::memset(d, 0, sizeof(float) * W * kc);  // partial panel: zero it whole, then fill
  if (sk == 1) {
    const float* line[W];
    for (int w = 0; w < n; ++w) line[w] = src + w * sw;
    for (int w = 0; w < n && w < 4; ++w) prefetch_run(line[w], kc);
    int w = 0;
    for (; w + 4 <= n; w += 4) {
      for (int q = w + 4; q < n && q < w + 8; ++q) prefetch_run(line[q], kc);
      int64_t p = 0;
      for (; p + 4 <= kc; p += 4) transpose4(line[w] + p, line[w + 1] + p, line[w + 2] + p, line[w + 3] + p, d + p * W + w, W);
      for (; p < kc; ++p)
        for (int q = 0; q < 4; ++q) d[p * W + w + q] = line[w + q][p];
    }
    for (; w < n; ++w)
      for (int64_t p = 0; p < kc; ++p) d[p * W + w] = line[w][p];
    return;
  }
  for (int64_t p = 0; p < kc; ++p)
    for (int w = 0; w < n; ++w) d[p * W + w] = src[p * sk + w * sw];
}

// Packs lines [0, nlines) x k steps [0, kc) of a source (element (k, line) at src[k*sk + line*sw]) into
// W-wide micro-panels, panel q at dst + q*kc*W. With sw == 1 every k step is read end to end once,
// dealt out to the panels, and rows a few steps ahead are prefetched: block rows are short runs a page
// apart, which the hardware prefetcher does not follow.
template <int W>
void pack_panels_w(const float* src, int64_t sk, int64_t sw, int64_t nlines, int64_t kc, float* dst) {
  const int64_t npanels = (nlines + W - 1) / W;
  if (sw == 1 && npanels > 1) {
    const int64_t full = nlines / W;
    const int tail = static_cast<int>(nlines - full * W);
    for (int64_t p = 0; p < kc; ++p) {
      const float* s = src + p * sk;
      if (p + 8 < kc) prefetch_run(s + 8 * sk, nlines);
      float* d = dst + p * W;
      for (int64_t q = 0; q < full; ++q, s += W, d += kc * W)
        for (int w = 0; w < W; ++w) d[w] = s[w];
      if (tail) {
        for (int w = 0; w < W; ++w) d[w] = 0.0f;
        for (int w = 0; w < tail; ++w) d[w] = s[w];
      }
    }
    return;
  }
  for (int64_t q = 0; q < npanels; ++q) {
    const int n = static_cast<int>(std::min<int64_t>(W, nlines - q * W));
    pack_panel<W>(src + q * W * sw, sk, sw, n, kc, dst + q * kc * W);
  }
}

inline void pack_panels(int W, const float* src, int64_t sk, int64_t sw, int64_t nlines, int64_t kc, float* dst) {
  switch (W) {
    case 6: return pack_panels_w<6>(src, sk, sw, nlines, kc, dst);
    case 12: return pack_panels_w<12>(src, sk, sw, nlines, kc, dst);
    case 16: return pack_panels_w<16>(src, sk, sw, nlines, kc, dst);
    case 32: return pack_panels_w<32>(src, sk, sw, nlines, kc, dst);
    default: break;
  }
  // Any other tile width (none today): the plain loop.
  for (int64_t q = 0; q * W < nlines; ++q) {
    const int64_t n = std::min<int64_t>(W, nlines - q * W);
    float* d = dst + q * kc * W;
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t w = 0; w < W; ++w) d[p * W + w] = w < n ? src[p * sk + (q * W + w) * sw] : 0.0f;
  }
}

}  // namespace sgemm_pack
}  // namespace simdnet
