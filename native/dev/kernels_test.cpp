// Kernel test and bench of the C++ core, without Node (llm.c's dev/cpu): every tier this CPU runs (kernels.h) is
// compared with the scalar reference table over awkward shapes — K equal to, below and above the blocking, partial
// tiles, odd lengths, strides, padding — and then timed. Build and run: `npm run test:core` (CMake option
// SIMDNET_CORE_TOOLS; scripts/core-tools.js). Exit status 1 on the first family that mismatches, with the first
// mismatch printed (index, got, expected).
//   simdnet_kernels_test           test every tier, then time each kernel family per tier
//   simdnet_kernels_test --no-bench  test only
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/conv_direct.h"
#include "core/conv_internal.h"
#include "core/conv_pool_fwd.h"
#include "core/conv_strided.h"
#include "core/elementwise.h"
#include "core/half.h"
#include "core/im2col.h"
#include "core/kernels.h"
#include "core/optim.h"
#include "core/pool.h"
#include "core/rng.h"
#include "core/sgemm_kernels.h"
#include "core/winograd.h"

using namespace simdnet;

namespace {

int g_failures = 0;
int g_checks = 0;

std::vector<float> rand_vec(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(n);
  const uint32_t base = stream_base(seed, 7);
  for (size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * stream_uniform(base, static_cast<uint32_t>(i));
  return v;
}

// |a - e| <= atol + rtol*|e| (NaN matches NaN; rtol = atol = 0: bit-identical). Prints the first mismatch.
bool close(const char* what, const std::string& at, const float* a, const float* e, size_t n, float rtol, float atol) {
  ++g_checks;
  for (size_t i = 0; i < n; ++i) {
    const bool both_nan = std::isnan(a[i]) && std::isnan(e[i]);
    const bool ok = rtol == 0 && atol == 0 ? std::memcmp(&a[i], &e[i], sizeof(float)) == 0 || both_nan
                                           : both_nan || std::fabs(a[i] - e[i]) <= atol + rtol * std::fabs(e[i]);
    if (!ok) {
      std::printf("FAIL %s %s: index %zu of %zu: got %.9g, expected %.9g\n", what, at.c_str(), i, n, a[i], e[i]);
      ++g_failures;
      return false;
    }
  }
  return true;
}

// ---- SGEMM micro-kernels: k around the blocking, every partial m x n, packed and in-place operands --------------
void test_sgemm(const SgemmKernels& t, const SgemmKernels& ref) {
  const int MR = t.mr, NR = t.nr;
  const int64_t ks[] = {0, 1, 2, 7, 8, 15, 16, 17, 63, t.kc - 1, t.kc, t.kc + 1, 2 * t.kc + 3};
  for (int64_t k : ks) {
    std::vector<float> a = rand_vec(static_cast<size_t>(k * MR + 1), 1 + static_cast<uint32_t>(k));
    std::vector<float> b = rand_vec(static_cast<size_t>(k * NR + 1), 2 + static_cast<uint32_t>(k));
    for (int m = 1; m <= MR; ++m) {
      for (int n = 1; n <= NR; ++n) {
        for (float beta : {0.0f, 1.0f, -0.5f}) {
          const int64_t ldc = NR + 3;
          std::vector<float> c(static_cast<size_t>(MR * ldc), beta == 0 ? NAN : 0.25f), cr = c;
          if (beta != 0) cr = c = rand_vec(c.size(), 9);
          t.ukernel(k, a.data(), 1, MR, b.data(), NR, c.data(), ldc, 1.5f, beta, m, n);
          // the reference computes the same tile in its own (smaller or equal) sub-tiles, reading the tier's packed
          // panels through their strides
          for (int i0 = 0; i0 < m; i0 += ref.mr)
            for (int j0 = 0; j0 < n; j0 += ref.nr)
              ref.ukernel(k, a.data() + i0, 1, MR, b.data() + j0, NR, cr.data() + i0 * ldc + j0, ldc, 1.5f, beta,
                          std::min(ref.mr, m - i0), std::min(ref.nr, n - j0));
          // untouched outside m x n, close inside
          const std::string at = std::string(t.name) + " k=" + std::to_string(k) + " m=" + std::to_string(m) +
                                 " n=" + std::to_string(n) + " beta=" + std::to_string(beta);
          if (!close("sgemm ukernel", at, c.data(), cr.data(), c.size(), 2e-5f * static_cast<float>(k + 1), 1e-5f))
            return;
        }
      }
    }
  }
}

// ---- im2col / col2im: bit-identical over a geometry sweep ----------------------------------------------------
void test_im2col(const Im2colKernels& t, const Im2colKernels& ref) {
  for (int64_t H : {1, 4, 9}) for (int64_t W : {1, 5, 17, 140}) for (int64_t KH : {1, 3}) for (int64_t KW : {1, 2, 5})
  for (int64_t stride : {1, 2, 3}) for (int64_t pad : {0, 1, 2}) {
    if (H + 2 * pad < KH || W + 2 * pad < KW) continue;
    const WindowGeom g = make_window(1, 2, H, W, KH, KW, stride, pad);
    const size_t n = static_cast<size_t>(g.taps() * g.positions());
    std::vector<float> x = rand_vec(static_cast<size_t>(g.image()), 3), col = rand_vec(n, 4);
    std::vector<float> a(n, NAN), e(n, NAN), scratch(n), xa(x.size(), 0.0f), xe(x.size(), 0.0f);
    const std::string at = std::string(t.name) + " H" + std::to_string(H) + " W" + std::to_string(W) + " K" +
                           std::to_string(KH) + "x" + std::to_string(KW) + " s" + std::to_string(stride) + " p" +
                           std::to_string(pad);
    t.im2col_t(x.data(), g, 0, g.OH, a.data());
    ref.im2col_t(x.data(), g, 0, g.OH, e.data());
    if (!close("im2col_t", at, a.data(), e.data(), n, 0, 0)) return;
    t.col2im_t(col.data(), g, 0, g.OH, xa.data());
    ref.col2im_t(col.data(), g, 0, g.OH, xe.data());
    if (!close("col2im_t", at, xa.data(), xe.data(), x.size(), 0, 0)) return;
    t.im2col(x.data(), g, 0, g.OH, a.data(), scratch.data());
    ref.im2col(x.data(), g, 0, g.OH, e.data(), scratch.data());
    if (!close("im2col", at, a.data(), e.data(), n, 0, 0)) return;
  }
}

// ---- elementwise, optimizer, half: every length 0..70 and a long one, misaligned starts ------------------------
void test_elementwise(const ElementwiseKernels& t, const ElementwiseKernels& ref) {
  for (size_t n : {size_t(0), size_t(1), size_t(3), size_t(7), size_t(8), size_t(9), size_t(15), size_t(16),
                   size_t(17), size_t(31), size_t(33), size_t(70), size_t(1001)}) {
    const std::string at = std::string(t.name) + " n=" + std::to_string(n);
    std::vector<float> x = rand_vec(n + 1, 11, -4, 4), y0 = rand_vec(n + 1, 12);
    std::vector<float> a = y0, e = y0;
    t.axpy(0.75f, x.data() + 1, a.data() + 1, n);
    ref.axpy(0.75f, x.data() + 1, e.data() + 1, n);
    if (!close("axpy", at, a.data(), e.data(), n + 1, 1e-6f, 1e-6f)) return;
    for (Act kind : {Act::relu, Act::sigmoid, Act::tanh, Act::leaky_relu}) {
      a = y0;
      e = y0;
      t.act_fwd(kind, x.data() + 1, a.data() + 1, n, 0.1f);
      ref.act_fwd(kind, x.data() + 1, e.data() + 1, n, 0.1f);
      if (!close("act_fwd", at + " kind=" + std::to_string(static_cast<int>(kind)), a.data(), e.data(), n + 1, 2e-6f,
                 1e-7f))
        return;
    }
    {  // the fused Add + ReLU: y = a + b (relu), dx = y > 0 ? dy0 + dy1 : 0 (dy1 null too); exact, in place too
      std::vector<float> b = rand_vec(n + 1, 13, -4, 4), d1 = rand_vec(n + 1, 14);
      for (bool relu : {false, true}) {
        a = y0;
        e = y0;
        t.add_relu(x.data() + 1, b.data() + 1, a.data() + 1, n, relu);
        ref.add_relu(x.data() + 1, b.data() + 1, e.data() + 1, n, relu);
        if (!close("add_relu", at + (relu ? " relu" : ""), a.data(), e.data(), n + 1, 0, 0)) return;
      }
      for (bool two : {false, true}) {
        std::vector<float> ga = d1, ge = y0;  // dx = dy1 (in place) against the reference's separate dx
        t.relu_grad_sum(y0.data() + 1, two ? ga.data() + 1 : nullptr, x.data() + 1, ga.data() + 1, n);
        ref.relu_grad_sum(y0.data() + 1, two ? d1.data() + 1 : nullptr, x.data() + 1, ge.data() + 1, n);
        ga[0] = ge[0];
        if (!close("relu_grad_sum", at + (two ? " two" : " one"), ga.data(), ge.data(), n + 1, 0, 0)) return;
      }
    }
    if (n > 0) {
      std::vector<float> pa(n), pe(n);
      const double sa = t.exp_sub(x.data(), 1.0f, pa.data(), n), se = ref.exp_sub(x.data(), 1.0f, pe.data(), n);
      if (!close("exp_sub", at, pa.data(), pe.data(), n, 2e-6f, 0)) return;
      const float fa = static_cast<float>(sa), fe = static_cast<float>(se);
      if (!close("exp_sub sum", at, &fa, &fe, 1, 1e-5f, 0)) return;
    }
  }
}

void test_optim(const OptimKernels& t, const OptimKernels& ref) {
  OptimHyper h{0.01, 0.9, 0.99, 0.9, 0.999, 3, 0.01};
  const OptimCoeffs k = optim_coeffs(h);
  for (int r = 0; r <= 6; ++r) {
    for (size_t n : {size_t(1), size_t(7), size_t(8), size_t(9), size_t(33), size_t(1000)}) {
      const OptRule rule = static_cast<OptRule>(r);
      std::vector<float> p = rand_vec(n, 21), g = rand_vec(n, 22), s1 = rand_vec(n, 23, 0, 1), s2 = rand_vec(n, 24, 0, 1);
      std::vector<float> pe = p, s1e = s1, s2e = s2;
      t.step(rule, p.data(), g.data(), s1.data(), s2.data(), n, k);
      ref.step(rule, pe.data(), g.data(), s1e.data(), s2e.data(), n, k);
      const std::string at = std::string(t.name) + " rule=" + std::to_string(r) + " n=" + std::to_string(n);
      if (!close("optim param", at, p.data(), pe.data(), n, 1e-6f, 1e-7f)) return;
      if (!close("optim s1", at, s1.data(), s1e.data(), n, 1e-6f, 1e-7f)) return;
      if (!close("optim s2", at, s2.data(), s2e.data(), n, 1e-6f, 1e-7f)) return;
    }
  }
}

void test_half(const HalfKernels& t, const HalfKernels& ref) {
  for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(9), size_t(100)}) {
    std::vector<float> x = rand_vec(n, 31, -70000, 70000);
    if (n > 3) x[1] = NAN, x[2] = 1e-8f, x[3] = -0.0f;
    std::vector<uint16_t> ha(n), he(n);
    t.to_half(x.data(), ha.data(), n);
    ref.to_half(x.data(), he.data(), n);
    std::vector<float> fa(n), fe(n);
    t.from_half(he.data(), fa.data(), n);
    ref.from_half(he.data(), fe.data(), n);
    std::vector<float> ba(ha.begin(), ha.end()), be(he.begin(), he.end());
    const std::string at = std::string(t.name) + " n=" + std::to_string(n);
    if (!close("to_half", at, ba.data(), be.data(), n, 0, 0) || !close("from_half", at, fa.data(), fe.data(), n, 0, 0))
      return;
  }
}

void test_pool(const MaxPool2x2Kernels& t, const MaxPool2x2Kernels& ref) {
  for (int64_t H : {2, 3, 8, 9}) for (int64_t W : {2, 5, 16, 17, 33}) {
    const int64_t OH = H / 2, OW = W / 2;
    std::vector<float> x = rand_vec(static_cast<size_t>(H * W), 41), ya(OH * OW), ye(OH * OW);
    std::vector<int32_t> aa(OH * OW), ae(OH * OW);
    t.forward(x.data(), W, OH, OW, ya.data(), aa.data(), 5);
    ref.forward(x.data(), W, OH, OW, ye.data(), ae.data(), 5);
    std::vector<float> fa(aa.begin(), aa.end()), fe(ae.begin(), ae.end());
    const std::string at = std::string(t.name) + " H" + std::to_string(H) + " W" + std::to_string(W);
    if (!close("maxpool2x2 y", at, ya.data(), ye.data(), ya.size(), 0, 0) ||
        !close("maxpool2x2 argmax", at, fa.data(), fe.data(), fa.size(), 0, 0))
      return;
    std::vector<float> dy = rand_vec(ya.size(), 42), da(H * W, NAN), de(H * W, NAN);
    t.backward(dy.data(), ae.data(), H, W, OH, OW, da.data(), 5);
    ref.backward(dy.data(), ae.data(), H, W, OH, OW, de.data(), 5);
    if (!close("maxpool2x2 dx", at, da.data(), de.data(), da.size(), 0, 0)) return;
  }
}

// ---- direct convolution: the same drivers' inputs (segments, tiles, packed weights, offsets) for each tier -------
void test_conv_direct(const ConvDirectKernels& t, const ConvDirectKernels& ref) {
  struct G { int64_t C, H, W, K, pad, F; };
  const G cases[] = {{2, 5, 14, 3, 1, 5}, {2, 5, 17, 3, 1, 13}, {1, 6, 28, 5, 0, 30}, {3, 4, 33, 2, 1, 1},
                     {2, 7, 12, 3, 1, 16}, {4, 3, 8, 3, 1, 31}, {1, 9, 40, 7, 3, 33}};
  for (const G& c : cases) {
    const WindowGeom g = make_window(1, c.C, c.H, c.W, c.K, c.K, 1, c.pad);
    const int64_t K = g.taps(), P = g.positions(), Hp = c.H + 2 * c.pad, Wp = c.W + 2 * c.pad;
    std::vector<float> x = rand_vec(static_cast<size_t>(g.image()), 51), w = rand_vec(static_cast<size_t>(c.F * K), 52);
    std::vector<float> b = rand_vec(static_cast<size_t>(c.F), 53);
    const std::string at = std::string(t.name) + " C" + std::to_string(c.C) + " " + std::to_string(c.H) + "x" +
                           std::to_string(c.W) + " K" + std::to_string(c.K) + " pad" + std::to_string(c.pad) + " F" +
                           std::to_string(c.F);
    std::vector<float> out[2];
    const ConvDirectKernels* tiers[2] = {&t, &ref};
    for (int i = 0; i < 2; ++i) {
      const ConvDirectKernels& k = *tiers[i];
      std::vector<ConvSegment> segs;
      conv_row_segments(g, k.lanes, segs);
      std::vector<ConvTile> tiles;
      std::vector<float> wp(static_cast<size_t>(conv_tiles(c.F, K, k.max_rows, tiles)));
      conv_pack_weights(w.data(), K, tiles, wp.data());
      std::vector<int32_t> off;
      conv_offsets(g, false, off);
      std::vector<float> xp(static_cast<size_t>(c.C * Hp * Wp + 16));
      k.pad_image(x.data(), g, xp.data());
      out[i].assign(static_cast<size_t>(c.F * P), NAN);
      k.fwd(xp.data(), wp.data(), tiles.data(), static_cast<int64_t>(tiles.size()), off.data(), K, segs.data(),
            static_cast<int64_t>(segs.size()), P, b.data(), true, out[i].data());
    }
    if (!close("conv fwd direct", at, out[0].data(), out[1].data(), out[0].size(), 1e-5f, 1e-5f)) return;
    if (!t.dw || c.K > kDwDirectMaxKW) continue;
    std::vector<ConvSegment> segs;
    conv_row_segments(g, 16, segs);
    std::vector<float> xp(static_cast<size_t>(c.C * Hp * Wp + 16));
    ref.pad_image(x.data(), g, xp.data());
    std::vector<float> dy = rand_vec(static_cast<size_t>(c.F * P), 54);
    std::vector<float> acc[2];
    for (int i = 0; i < 2; ++i) {
      acc[i].assign(static_cast<size_t>(c.F * K * 16), NAN);
      tiers[i]->dw(xp.data(), dy.data(), g, c.F, segs.data(), static_cast<int64_t>(segs.size()), acc[i].data(), true);
      tiers[i]->dw(xp.data(), dy.data(), g, c.F, segs.data(), static_cast<int64_t>(segs.size()), acc[i].data(), false);
    }
    if (!close("conv dw direct", at, acc[0].data(), acc[1].data(), acc[0].size(), 1e-5f, 1e-5f)) return;
  }
}

// ---- conv + 2x2 max pool in registers (inference): the phase planes bit for bit, the pooled outputs within rounding
// (FMA vs multiply-add), over channel counts, window shapes, pads, odd outputs and partial tiles and vectors ----------
void test_conv_pool(const ConvPoolKernels& t, const ConvPoolKernels& ref, const ConvDirectKernels& pad) {
  struct G { int64_t C, H, W, KH, KW, pad, F; bool relu; };
  const G cases[] = {{1, 28, 28, 5, 5, 0, 30, true}, {3, 23, 19, 7, 7, 3, 13, true}, {2, 11, 13, 4, 6, 1, 7, false},
                     {4, 9, 17, 1, 3, 0, 5, true}, {1, 6, 6, 2, 2, 0, 1, true}, {2, 30, 30, 3, 3, 0, 37, true}};
  for (const G& c : cases) {
    const WindowGeom g = make_window(1, c.C, c.H, c.W, c.KH, c.KW, 1, c.pad);
    const int64_t K = g.taps(), PP = (g.OH / 2) * (g.OW / 2), PPs = conv_pool_plane_stride(g);
    std::vector<float> x = rand_vec(static_cast<size_t>(g.image()), 61), w = rand_vec(static_cast<size_t>(c.F * K), 62);
    std::vector<float> b = rand_vec(static_cast<size_t>(c.F), 63);
    const std::string at = std::string(t.name) + " C" + std::to_string(c.C) + " " + std::to_string(c.H) + "x" +
                           std::to_string(c.W) + " K" + std::to_string(c.KH) + "x" + std::to_string(c.KW) + " pad" +
                           std::to_string(c.pad) + " F" + std::to_string(c.F);
    std::vector<float> xp(static_cast<size_t>(c.C * (c.H + 2 * c.pad) * (c.W + 2 * c.pad) + 16));
    pad.pad_image(x.data(), g, xp.data());
    std::vector<float> planes[2], z[2];
    const ConvPoolKernels* tiers[2] = {&t, &ref};
    for (int i = 0; i < 2; ++i) {
      const ConvPoolKernels& k = *tiers[i];
      planes[i].assign(static_cast<size_t>(conv_pool_planes_floats(g) + 16), NAN);
      k.planes(xp.data(), g, planes[i].data());
      std::vector<ConvTile> tiles;
      std::vector<float> wp(static_cast<size_t>(conv_tiles(c.F, K, k.max_rows, tiles)));
      conv_pack_weights(w.data(), K, tiles, wp.data());
      std::vector<int32_t> off;
      for (int64_t ch = 0; ch < c.C; ++ch)
        for (int64_t kh = 0; kh < c.KH; ++kh)
          for (int64_t kw = 0; kw < c.KW; ++kw)
            off.push_back(static_cast<int32_t>(((ch * (c.KH + 1) + kh) * (c.KW + 1) + kw) * PPs));
      z[i].assign(static_cast<size_t>(c.F * PP + 16), NAN);
      k.fwd(planes[i].data(), wp.data(), tiles.data(), static_cast<int64_t>(tiles.size()), off.data(), K, PPs,
            (c.KW + 1) * PPs, PP, b.data(), c.relu, z[i].data());
    }
    const size_t np = static_cast<size_t>(conv_pool_planes_floats(g));
    if (!close("conv pool planes", at, planes[0].data(), planes[1].data(), np, 0.0f, 0.0f)) return;
    if (!close("conv pool fwd", at, z[0].data(), z[1].data(), z[0].size(), 1e-5f, 1e-5f)) return;
  }
}

// ---- Winograd F(4x4, 3x3): each kernel on the reference's input (copies bit for bit, arithmetic within rounding),
// and the whole chain against a float64 direct convolution (the error the inference ops accept) ----------------
void test_winograd(const WinogradKernels& t, const WinogradKernels& ref) {
  struct G { int64_t C, H, W, pad, F; };
  const G cases[] = {{16, 28, 28, 1, 16}, {32, 14, 14, 2, 32}, {64, 8, 8, 1, 64}, {9, 7, 5, 1, 13},
                     {17, 9, 11, 0, 33}, {8, 3, 3, 2, 24}, {20, 13, 6, 1, 48}, {8, 1, 1, 1, 8}, {31, 18, 21, 1, 17},
                     {16, 14, 14, 1, 32}, {12, 23, 17, 1, 16}, {16, 5, 7, 1, 64}};
  double worst = 0;
  for (const G& c : cases) {
    const WindowGeom g = make_window(1, c.C, c.H, c.W, 3, 3, 1, c.pad);
    const WinogradGeom q = winograd_geom(g, c.F);
    const std::string at = std::string(t.name) + " C" + std::to_string(c.C) + " " + std::to_string(c.H) + "x" +
                           std::to_string(c.W) + " pad" + std::to_string(c.pad) + " F" + std::to_string(c.F);
    std::vector<float> x = rand_vec(static_cast<size_t>(g.image()), 61), w = rand_vec(static_cast<size_t>(c.F * c.C * 9), 62);
    std::vector<float> b = rand_vec(static_cast<size_t>(q.Fp), 63), U(static_cast<size_t>(q.u_floats()));
    for (int64_t f = c.F; f < q.Fp; ++f) b[static_cast<size_t>(f)] = 0.0f;
    winograd_weights(w.data(), q, U.data());
    const auto vec = [](int64_t n) { return std::vector<float>(static_cast<size_t>(n), NAN); };
    std::vector<float> xt[2] = {vec(q.xt_floats()), vec(q.xt_floats())}, V[2] = {vec(q.v_floats()), vec(q.v_floats())};
    std::vector<float> M[2] = {vec(q.m_floats()), vec(q.m_floats())}, yt[2] = {vec(q.yt_floats()), vec(q.yt_floats())};
    std::vector<float> y[2] = {vec(c.F * g.positions()), vec(c.F * g.positions())};
    const WinogradKernels* tiers[2] = {&t, &ref};
    // each stage from the reference's previous stage
    for (int i = 0; i < 2; ++i) tiers[i]->pack(x.data(), q, xt[i].data());
    for (int i = 0; i < 2; ++i) tiers[i]->input(xt[1].data(), q, V[i].data());
    for (int i = 0; i < 2; ++i) tiers[i]->gemm(V[1].data(), U.data(), q, M[i].data());
    for (int i = 0; i < 2; ++i) tiers[i]->output(M[1].data(), q, b.data(), true, yt[i].data());
    for (int i = 0; i < 2; ++i) tiers[i]->unpack(yt[1].data(), q, y[i].data());
    if (!close("winograd pack", at, xt[0].data(), xt[1].data(), xt[0].size(), 0, 0)) return;
    if (!close("winograd input", at, V[0].data(), V[1].data(), V[0].size(), 1e-5f, 1e-5f)) return;
    if (!close("winograd gemm", at, M[0].data(), M[1].data(), M[0].size(), 1e-5f, 1e-5f)) return;
    if (!close("winograd output", at, yt[0].data(), yt[1].data(), yt[0].size(), 1e-5f, 1e-5f)) return;
    if (!close("winograd unpack", at, y[0].data(), y[1].data(), y[0].size(), 0, 0)) return;
    // the tier's whole chain against conv + bias + ReLU in float64: max |error| / max |y|
    t.pack(x.data(), q, xt[0].data());
    t.input(xt[0].data(), q, V[0].data());
    t.gemm(V[0].data(), U.data(), q, M[0].data());
    t.output(M[0].data(), q, b.data(), true, yt[0].data());
    t.unpack(yt[0].data(), q, y[0].data());
    double err = 0, top = 0;
    for (int64_t f = 0; f < c.F; ++f) {
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          double s = b[static_cast<size_t>(f)];
          for (int64_t ch = 0; ch < c.C; ++ch)
            for (int64_t kh = 0; kh < 3; ++kh)
              for (int64_t kw = 0; kw < 3; ++kw) {
                const int64_t ih = oh + kh - c.pad, iw = ow + kw - c.pad;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                s += double(w[static_cast<size_t>(((f * c.C + ch) * 3 + kh) * 3 + kw)]) *
                     x[static_cast<size_t>((ch * c.H + ih) * c.W + iw)];
              }
          s = s <= 0 ? 0 : s;
          const double got = y[0][static_cast<size_t>((f * g.OH + oh) * g.OW + ow)];
          err = std::max(err, std::fabs(got - s));
          top = std::max(top, std::fabs(s));
        }
      }
    }
    worst = std::max(worst, err / top);
    if (!(err <= 1e-5 * top)) {
      std::printf("FAIL winograd vs float64 %s: max error %.3g of max |y| %.3g\n", at.c_str(), err, top);
      ++g_failures;
      return;
    }
    ++g_checks;
  }
  std::printf("  %-9s winograd F(4x4,3x3) vs float64 direct: max |error| / max |y| = %.2g\n", t.name, worst);
}

// ---- strided convolution (conv_strided.h): the tier's forward kernel over the input's phases, and dx phase by
// phase, against the definition in double; geometries where the phase rows and the expanded copies are taken,
// stride 3, pads past the kernel, 1x1 kernels (phases without taps) -------------------------------------------------
void test_conv_strided(const ConvDirectKernels& t) {
  struct G { int64_t C, H, W, KH, KW, s, pad, F; };
  const G cases[] = {{16, 28, 28, 3, 3, 2, 1, 32}, {32, 14, 14, 3, 3, 2, 1, 64}, {16, 28, 28, 1, 1, 2, 0, 32},
                     {32, 14, 14, 1, 1, 2, 0, 64}, {5, 13, 29, 3, 3, 2, 1, 13},  {2, 20, 23, 3, 3, 3, 1, 6},
                     {2, 19, 21, 5, 5, 2, 2, 11},  {3, 12, 17, 4, 3, 2, 1, 5},   {2, 7, 9, 3, 3, 2, 3, 4},
                     {2, 5, 6, 1, 1, 2, 2, 3},     {1, 31, 31, 1, 1, 2, 0, 1},  {3, 9, 30, 3, 3, 2, 1, 5},
                     {2, 7, 45, 3, 3, 3, 1, 6},    {2, 6, 32, 5, 5, 2, 2, 11},  {2, 4, 36, 1, 1, 2, 2, 3}};
  int ran_fwd = 0, ran_dx = 0;
  for (const G& c : cases) {
    const WindowGeom g = make_window(1, c.C, c.H, c.W, c.KH, c.KW, c.s, c.pad);
    const int64_t K = g.taps(), P = g.positions();
    const std::vector<float> x = rand_vec(static_cast<size_t>(g.image()), 61), w = rand_vec(static_cast<size_t>(c.F * K), 62);
    const std::vector<float> b = rand_vec(static_cast<size_t>(c.F), 63), dy = rand_vec(static_cast<size_t>(c.F * P), 64);
    std::vector<double> yd(static_cast<size_t>(c.F * P)), dxd(static_cast<size_t>(g.image()));
    for (int64_t f = 0; f < c.F; ++f)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const size_t o = static_cast<size_t>((f * g.OH + oh) * g.OW + ow);
          yd[o] = b[static_cast<size_t>(f)];
          for (int64_t ch = 0; ch < c.C; ++ch)
            for (int64_t kh = 0; kh < c.KH; ++kh)
              for (int64_t kw = 0; kw < c.KW; ++kw) {
                const int64_t ih = oh * c.s - c.pad + kh, iw = ow * c.s - c.pad + kw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                const size_t xi = static_cast<size_t>((ch * c.H + ih) * c.W + iw);
                const double wv = w[static_cast<size_t>(((f * c.C + ch) * c.KH + kh) * c.KW + kw)];
                yd[o] += wv * x[xi];
                dxd[xi] += wv * dy[o];
              }
        }
    const std::vector<float> yref(yd.begin(), yd.end()), dxref(dxd.begin(), dxd.end());
    const std::string at = std::string(t.name) + " C" + std::to_string(c.C) + " " + std::to_string(c.H) + "x" +
                           std::to_string(c.W) + " K" + std::to_string(c.KH) + "x" + std::to_string(c.KW) + " s" +
                           std::to_string(c.s) + " pad" + std::to_string(c.pad) + " F" + std::to_string(c.F);
    conv::DirectFwd d;
    conv::StridedDx sd;
    if (!conv::setup_strided_fwd(d, t, g, w.data(), c.F) || !conv::setup_strided_dx(sd, t, g, w.data(), c.F)) {
      std::printf("FAIL conv strided %s: setup (allocation)\n", at.c_str());
      ++g_failures;
      return;
    }
    if (d.on) {
      ++ran_fwd;
      std::vector<float> y(static_cast<size_t>(c.F * P), NAN);
      conv::strided_fwd_image(d, x.data(), g, b.data(), false, y.data());
      if (!close("conv strided fwd", at, y.data(), yref.data(), y.size(), 1e-4f, 1e-4f)) return;
    }
    if (sd.on) {
      ++ran_dx;
      std::vector<float> dx(static_cast<size_t>(g.image()), NAN);
      conv::strided_dx_image(sd, dy.data(), g, c.F, dx.data());
      if (!close("conv strided dx", at, dx.data(), dxref.data(), dx.size(), 1e-4f, 1e-4f)) return;
    }
  }
  // dx phase by phase only where rows of the phases fill the lanes: 4+ wide (8 lanes), 14+ (16 lanes)
  if (ran_fwd < 15 || ran_dx < (t.lanes == 16 ? 7 : 10)) {
    std::printf("FAIL conv strided %s: only %d forward and %d dx cases took the strided paths\n", t.name, ran_fwd, ran_dx);
    ++g_failures;
  }
}

// ---- timing -------------------------------------------------------------------------------------------------
double time_us(const std::function<void()>& f) {
  f();
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    int iters = 0;
    double el = 0;
    do {
      f();
      ++iters;
      el = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    } while (el < 20000);
    best = std::min(best, el / iters);
  }
  return best;
}

void bench(const KernelTable& kt) {
  const SgemmKernels& s = *kt.sgemm;
  const int64_t k = s.kc;
  std::vector<float> a = rand_vec(static_cast<size_t>(k * s.mr), 1), b = rand_vec(static_cast<size_t>(k * s.nr), 2);
  std::vector<float> c(static_cast<size_t>(s.mr * s.nr));
  const double us = time_us([&] { s.ukernel(k, a.data(), 1, s.mr, b.data(), s.nr, c.data(), s.nr, 1, 0, s.mr, s.nr); });
  std::printf("  %-9s sgemm %dx%d ukernel, k=%lld: %8.2f us  %6.1f GFLOP/s (one thread)\n", isa_name(kt.isa), s.mr,
              s.nr, static_cast<long long>(k), us, 2.0 * s.mr * s.nr * k / us / 1e3);
  const WindowGeom g = make_window(1, 16, 28, 28, 3, 3, 1, 1);
  const ConvDirectKernels& cd = *kt.conv_direct;
  std::vector<ConvSegment> segs;
  conv_row_segments(g, cd.lanes, segs);
  std::vector<ConvTile> tiles;
  const int64_t K = g.taps(), F = 16;
  std::vector<float> w = rand_vec(static_cast<size_t>(F * K), 3), wp(static_cast<size_t>(conv_tiles(F, K, cd.max_rows, tiles)));
  conv_pack_weights(w.data(), K, tiles, wp.data());
  std::vector<int32_t> off;
  conv_offsets(g, false, off);
  std::vector<float> x = rand_vec(static_cast<size_t>(g.image()), 4), xp(static_cast<size_t>(16 * 30 * 30 + 16));
  std::vector<float> y(static_cast<size_t>(F * g.positions()));
  cd.pad_image(x.data(), g, xp.data());
  const double cus = time_us([&] {
    cd.fwd(xp.data(), wp.data(), tiles.data(), static_cast<int64_t>(tiles.size()), off.data(), K, segs.data(),
           static_cast<int64_t>(segs.size()), g.positions(), nullptr, false, y.data());
  });
  std::printf("  %-9s conv direct fwd 16x28x28 -> 16, 3x3:  %8.2f us  %6.1f GFLOP/s (one image, one thread)\n",
              isa_name(kt.isa), cus, 2.0 * F * K * g.positions() / cus / 1e3);
  if (!kt.winograd) return;
  struct L { const char* name; int64_t C, H, pad, F; };
  const L layers[] = {{"conv2", 16, 28, 1, 16}, {"conv3", 16, 14, 1, 32}, {"conv4", 32, 14, 2, 32},
                      {"conv5", 32, 8, 1, 64}, {"conv6", 64, 8, 1, 64}};
  const WinogradKernels& wk = *kt.winograd;
  for (const L& l : layers) {
    const WindowGeom lg = make_window(1, l.C, l.H, l.H, 3, 3, 1, l.pad);
    const WinogradGeom q = winograd_geom(lg, l.F);
    std::vector<float> lx = rand_vec(static_cast<size_t>(lg.image()), 5), lw = rand_vec(static_cast<size_t>(l.F * l.C * 9), 6);
    std::vector<float> U(static_cast<size_t>(q.u_floats())), xt(static_cast<size_t>(q.xt_floats()));
    std::vector<float> V(static_cast<size_t>(q.v_floats())), M(static_cast<size_t>(q.m_floats()));
    std::vector<float> yt(static_cast<size_t>(q.yt_floats())), ly(static_cast<size_t>(l.F * lg.positions()));
    winograd_weights(lw.data(), q, U.data());
    const double t0 = time_us([&] { wk.pack(lx.data(), q, xt.data()); });
    const double t1 = time_us([&] { wk.input(xt.data(), q, V.data()); });
    const double t2 = time_us([&] { wk.gemm(V.data(), U.data(), q, M.data()); });
    const double t3 = time_us([&] { wk.output(M.data(), q, nullptr, true, yt.data()); });
    const double t4 = time_us([&] { wk.unpack(yt.data(), q, ly.data()); });
    const double sum = t0 + t1 + t2 + t3 + t4, flop = 2.0 * l.F * l.C * 9 * lg.positions();
    conv::DirectFwd d;
    double td = 0;
    if (conv::setup_direct_fwd(d, *kt.conv_direct, lg, lw.data(), l.F) && d.on)
      td = time_us([&] { conv::direct_fwd_image(d, lx.data(), lg, nullptr, true, ly.data()); });
    std::printf("  %-9s winograd %s %lldx%lldx%lld -> %lld: pack %.2f input %.2f gemm %.2f (%.0f GFLOP/s) output %.2f "
                "unpack %.2f = %.2f us (direct-equivalent %.1f GFLOP/s; the direct forward %.2f us)\n",
                isa_name(kt.isa), l.name, (long long)l.C, (long long)l.H, (long long)l.H, (long long)l.F, t0, t1, t2,
                2.0 * 36 * q.T * l.C * q.Fp / t2 / 1e3, t3, t4, sum, flop / sum / 1e3, td);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool do_bench = !(argc > 1 && std::strcmp(argv[1], "--no-bench") == 0);
  const KernelTable& ref = kernel_table(Isa::reference);
  std::printf("simdnet core kernels: best tier %s\n", isa_name(best_isa()));
  for (int i = 0; i <= static_cast<int>(best_isa()); ++i) {
    const KernelTable& t = kernel_table(static_cast<Isa>(i));
    const int before = g_failures;
    test_sgemm(*t.sgemm, *ref.sgemm);
    if (t.sgemm_narrow) test_sgemm(*t.sgemm_narrow, *ref.sgemm);
    test_im2col(*t.im2col, *ref.im2col);
    test_elementwise(*t.elementwise, *ref.elementwise);
    test_optim(*t.optim, *ref.optim);
    test_half(*t.half, *ref.half);
    test_pool(*t.max_pool_2x2, *ref.max_pool_2x2);
    test_conv_direct(*t.conv_direct, *ref.conv_direct);
    if (t.winograd) test_winograd(*t.winograd, *ref.winograd);
    test_conv_strided(*t.conv_direct);
    test_conv_pool(*t.conv_pool, *ref.conv_pool, *ref.conv_direct);
    std::printf("%-9s %s\n", isa_name(t.isa), g_failures == before ? "ok (every family matches the reference)" : "FAILED");
  }
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  if (g_failures == 0 && do_bench) {
    std::printf("timing (best of 5, measured on whatever else the machine is running):\n");
    for (int i = 0; i <= static_cast<int>(best_isa()); ++i) bench(kernel_table(static_cast<Isa>(i)));
  }
  return g_failures == 0 ? 0 : 1;
}
