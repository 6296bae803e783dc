// AVX2 im2col/col2im kernels (contracts and layouts in core/im2col.h). Compiled with -mavx2 -mfma
// (native/sources.json); reached only through im2col_kernels_avx2 when cpuid + XGETBV allow AVX2.
//
// Stride 1: each (tap, output row) is the input row shifted by kw - pad. im2col copies the band's rows into a
// zero-padded buffer first and then fills colT with whole unmasked vectors (im2col_t_padded); rows wider than
// 128 floats, or when that buffer cannot be allocated, fill it 8 lanes at a time with one masked load (lanes in
// the padding masked off: they read as 0 and touch no memory) and one store; col2im adds the valid run with 8-wide loads/stores and a masked tail (nothing outside the run is read or
// written). Other strides: the scalar reference loops. The book layout goes through colT and an 8x8 in-register transpose. Every
// element receives the same additions in the same order as the reference, so results are bit-identical.
#include <immintrin.h>

#include <algorithm>

#include "core/im2col.h"

namespace simdnet {
namespace {

// Lanes [0, n) set, n in [0, 8].
inline __m256i lanes_below(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline void zero_run(float* d, int64_t n) {
  const __m256 z = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, z);
  if (i < n) _mm256_maskstore_ps(d + i, lanes_below(n - i), z);
}

inline void copy_run(float* d, const float* s, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_loadu_ps(s + i), b = _mm256_loadu_ps(s + i + 8);
    _mm256_storeu_ps(d + i, a);
    _mm256_storeu_ps(d + i + 8, b);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_loadu_ps(s + i));
  if (i < n) {
    const __m256i m = lanes_below(n - i);
    _mm256_maskstore_ps(d + i, m, _mm256_maskload_ps(s + i, m));
  }
}

// d[i] += s[i]
inline void add_run(float* d, const float* s, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_add_ps(_mm256_loadu_ps(d + i), _mm256_loadu_ps(s + i)));
  if (i < n) {
    const __m256i m = lanes_below(n - i);
    _mm256_maskstore_ps(d + i, m, _mm256_add_ps(_mm256_maskload_ps(d + i, m), _mm256_maskload_ps(s + i, m)));
  }
}

// dst[j, i] = src[i, j] for i < rows, j < cols: 8x8 blocks in registers, scalar edges.
void transpose(const float* src, int64_t rows, int64_t cols, int64_t lds, float* dst, int64_t ldd) {
  const int64_t r8 = rows & ~int64_t(7), c8 = cols & ~int64_t(7);
  for (int64_t i = 0; i < r8; i += 8) {
    for (int64_t j = 0; j < c8; j += 8) {
      const float* s = src + i * lds + j;
      const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lds), r2 = _mm256_loadu_ps(s + 2 * lds),
                   r3 = _mm256_loadu_ps(s + 3 * lds), r4 = _mm256_loadu_ps(s + 4 * lds),
                   r5 = _mm256_loadu_ps(s + 5 * lds), r6 = _mm256_loadu_ps(s + 6 * lds),
                   r7 = _mm256_loadu_ps(s + 7 * lds);
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float* d = dst + j * ldd + i;
      _mm256_storeu_ps(d, _mm256_permute2f128_ps(s0, s4, 0x20));
      _mm256_storeu_ps(d + ldd, _mm256_permute2f128_ps(s1, s5, 0x20));
      _mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(s2, s6, 0x20));
      _mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(s3, s7, 0x20));
      _mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(s0, s4, 0x31));
      _mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(s1, s5, 0x31));
      _mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(s2, s6, 0x31));
      _mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
    for (int64_t ii = i; ii < i + 8; ++ii) {
      for (int64_t j = c8; j < cols; ++j) dst[j * ldd + ii] = src[ii * lds + j];
    }
  }
  for (int64_t i = r8; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) dst[j * ldd + i] = src[i * lds + j];
  }
}

// The padded copy of a band's input rows, per executing thread.
thread_local Workspace t_padded;

// Stride 1 through a padded copy: the band's input rows (ih = oh0 - pad .. oh1 - 1 - pad + KH - 1) are first
// copied into xp[C, R, Wp] with the padding written as zeros (Wp = W + 2*pad = OW + KW - 1), so that row oh of
// tap (c, kh, kw) is the plain run xp[c, oh - oh0 + kh, kw .. kw + OW): whole 8-lane loads and stores, no
// masks. A row's last chunk may run past OW: it stores into the next row of colT (written after it, in
// order) and loads past the padded row (into the next row or the slack): only the very last row of colT
// stores its tail with a mask. Returns false (nothing written) for rows too wide to be worth it or when
// the copy cannot be allocated: the caller takes the masked path.
bool im2col_t_padded(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* colT) {
  const int64_t OW = g.OW, Pb = (oh1 - oh0) * OW, pad = g.pad, W = g.W;
  const int64_t Wp = W + 2 * pad, R = oh1 - oh0 + g.KH - 1, plane = R * Wp;
  const int64_t chunks = (OW + 7) / 8;
  if (chunks > 16) return false;
  // Overhanging loads of the last plane's last row reach at most 8 floats past it (8*chunks <= OW + 7 and
  // KW - 1 + OW = Wp): 16 floats of slack.
  float* xp = t_padded.get(g.C * plane + 16);
  if (!xp) return false;
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = x + c * g.H * W;
    float* pc = xp + c * plane;
    for (int64_t r = 0; r < R; ++r) {
      float* d = pc + r * Wp;
      const int64_t ih = oh0 - pad + r;
      if (ih < 0 || ih >= g.H) {
        zero_run(d, Wp);
        continue;
      }
      for (int64_t i = 0; i < pad; ++i) d[i] = 0.0f;
      copy_run(d + pad, xc + ih * W, W);
      for (int64_t i = pad + W; i < Wp; ++i) d[i] = 0.0f;
    }
  }
  // The slack is read only into colT entries overwritten later, but keep it finite.
  _mm256_storeu_ps(xp + g.C * plane, zero);
  _mm256_storeu_ps(xp + g.C * plane + 8, zero);
  const int64_t rows = oh1 - oh0;
  float* dst = colT;
  for (int64_t c = 0; c < g.C; ++c) {
    const float* pc = xp + c * plane;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw, dst += Pb) {
        const float* src = pc + kh * Wp + kw;
        // Whole-vector rows overhang up to 7 floats into the next row (overwritten next); rows whose overhang
        // would pass the end of colT (the last tap's last row; with rows narrower than a vector, a few more) are
        // copied exactly.
        const int64_t room = g.taps() * Pb - (dst - colT) - 8 * chunks;  // row r is whole-vector iff r*OW <= room
        const int64_t plain = room < 0 ? 0 : std::min<int64_t>(rows, room / OW + 1);
        switch (chunks) {
          case 1:
            for (int64_t r = 0; r < plain; ++r) _mm256_storeu_ps(dst + r * OW, _mm256_loadu_ps(src + r * Wp));
            break;
          case 2:
            for (int64_t r = 0; r < plain; ++r) {
              const __m256 a = _mm256_loadu_ps(src + r * Wp), b = _mm256_loadu_ps(src + r * Wp + 8);
              _mm256_storeu_ps(dst + r * OW, a);
              _mm256_storeu_ps(dst + r * OW + 8, b);
            }
            break;
          case 4:
            for (int64_t r = 0; r < plain; ++r) {
              const float* s = src + r * Wp;
              float* d = dst + r * OW;
              const __m256 a = _mm256_loadu_ps(s), b = _mm256_loadu_ps(s + 8), e = _mm256_loadu_ps(s + 16),
                           f = _mm256_loadu_ps(s + 24);
              _mm256_storeu_ps(d, a);
              _mm256_storeu_ps(d + 8, b);
              _mm256_storeu_ps(d + 16, e);
              _mm256_storeu_ps(d + 24, f);
            }
            break;
          default:
            for (int64_t r = 0; r < plain; ++r) {
              const float* s = src + r * Wp;
              float* d = dst + r * OW;
              for (int64_t j = 0; j < chunks; ++j) _mm256_storeu_ps(d + 8 * j, _mm256_loadu_ps(s + 8 * j));
            }
        }
        for (int64_t r = plain; r < rows; ++r) copy_run(dst + r * OW, src + r * Wp, OW);
      }
    }
  }
  return true;
}

}  // namespace

// x[C,H,W] -> colT[C*KH*KW, (oh1-oh0)*OW]
// Stride 1: an output row of one tap is x's input row shifted by kw - pad, with padding lanes zero. Each
// 8-lane chunk is one masked load (lanes outside the image masked off: read as 0, never touched in memory)
// and one store (masked for the row's last partial chunk). Masks depend only on (kw, chunk): built once per
// tap for rows up to kMaxChunks*8 wide; wider rows take the run-copy path.
void im2col_t_avx2(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* colT) {
  if (g.stride != 1) {
    im2col_t_ref(x, g, oh0, oh1, colT);
    return;
  }
  if (im2col_t_padded(x, g, oh0, oh1, colT)) return;
  constexpr int64_t kMaxChunks = 16;
  const int64_t OW = g.OW, Pb = (oh1 - oh0) * OW;
  const int64_t full = OW / 8, rem = OW % 8, chunks = full + (rem ? 1 : 0);
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i tail = lanes_below(rem);
  __m256i load_mask[kMaxChunks];
  float* dst = colT;
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      // Output rows of the band whose input row ih = oh - pad + kh is inside the image.
      int64_t vlo = g.pad - kh, vhi = g.H + g.pad - kh;
      vlo = vlo < oh0 ? oh0 : (vlo > oh1 ? oh1 : vlo);
      vhi = vhi > oh1 ? oh1 : (vhi < vlo ? vlo : vhi);
      for (int64_t kw = 0; kw < g.KW; ++kw, dst += Pb) {
        int64_t lo, hi;
        valid_outputs(kw, g.pad, 1, g.W, OW, lo, hi);
        zero_run(dst, (vlo - oh0) * OW);
        if (chunks <= kMaxChunks) {
          const __m256i vlo_m1 = _mm256_set1_epi32(static_cast<int>(lo - 1)), vhi_v = _mm256_set1_epi32(static_cast<int>(hi));
          for (int64_t j = 0; j < chunks; ++j) {
            const __m256i ow = _mm256_add_epi32(iota, _mm256_set1_epi32(static_cast<int>(8 * j)));
            load_mask[j] = _mm256_and_si256(_mm256_cmpgt_epi32(ow, vlo_m1), _mm256_cmpgt_epi32(vhi_v, ow));
          }
          for (int64_t oh = vlo; oh < vhi; ++oh) {
            float* d = dst + (oh - oh0) * OW;
            const float* xr = xc + (oh - g.pad + kh) * g.W - g.pad + kw;  // element ow of the shifted row
            int64_t j = 0;
            for (; j < full; ++j) _mm256_storeu_ps(d + 8 * j, _mm256_maskload_ps(xr + 8 * j, load_mask[j]));
            if (rem) _mm256_maskstore_ps(d + 8 * j, tail, _mm256_maskload_ps(xr + 8 * j, load_mask[j]));
          }
        } else {
          for (int64_t oh = vlo; oh < vhi; ++oh) {
            float* d = dst + (oh - oh0) * OW;
            const float* xr = xc + (oh - g.pad + kh) * g.W - g.pad + kw;
            if (lo > 0) zero_run(d, lo);
            copy_run(d + lo, xr + lo, hi - lo);
            if (hi < OW) zero_run(d + hi, OW - hi);
          }
        }
        zero_run(dst + (vhi - oh0) * OW, (oh1 - vhi) * OW);
      }
    }
  }
}

// colT[C*KH*KW, (oh1-oh0)*OW] -> x[C,H,W] (+=)
void col2im_t_avx2(const float* colT, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x) {
  if (g.stride != 1) {
    col2im_t_ref(colT, g, oh0, oh1, x);
    return;
  }
  const int64_t OW = g.OW, Pb = (oh1 - oh0) * OW;
  const float* src = colT;
  for (int64_t c = 0; c < g.C; ++c) {
    float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      int64_t vlo = g.pad - kh, vhi = g.H + g.pad - kh;
      vlo = vlo < oh0 ? oh0 : (vlo > oh1 ? oh1 : vlo);
      vhi = vhi > oh1 ? oh1 : (vhi < vlo ? vlo : vhi);
      for (int64_t kw = 0; kw < g.KW; ++kw, src += Pb) {
        int64_t lo, hi;
        valid_outputs(kw, g.pad, 1, g.W, OW, lo, hi);
        if (hi <= lo) continue;
        for (int64_t oh = vlo; oh < vhi; ++oh) {
          float* xr = xc + (oh - g.pad + kh) * g.W - g.pad + kw;
          add_run(xr + lo, src + (oh - oh0) * OW + lo, hi - lo);
        }
      }
    }
  }
}

// x[C,H,W] -> col[(oh1-oh0)*OW, C*KH*KW] via colT in `scratch`
void im2col_avx2(const float* x, const WindowGeom& g, int64_t oh0, int64_t oh1, float* col, float* scratch) {
  const int64_t K = g.taps(), Pb = (oh1 - oh0) * g.OW;
  im2col_t_avx2(x, g, oh0, oh1, scratch);
  transpose(scratch, K, Pb, Pb, col, K);
}

// col[(oh1-oh0)*OW, C*KH*KW] -> x[C,H,W] (+=) via colT in `scratch`
void col2im_avx2(const float* col, const WindowGeom& g, int64_t oh0, int64_t oh1, float* x, float* scratch) {
  const int64_t K = g.taps(), Pb = (oh1 - oh0) * g.OW;
  transpose(col, Pb, K, K, scratch, Pb);
  col2im_t_avx2(scratch, g, oh0, oh1, x);
}

const Im2colKernels im2col_kernels_avx2 = {"avx2", im2col_t_avx2, col2im_t_avx2, im2col_avx2, col2im_avx2};

}  // namespace simdnet
