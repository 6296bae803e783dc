// The Winograd F(4x4, 3x3) forward's tier-independent parts (contracts in winograd.h): the geometry, the weight
// transform, where it applies, the per-call setup and the run of one image through the tier's five kernels.
// conv.cpp runs the images over the pool (the inference ops only).
#include "core/winograd.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/kernels.h"

namespace simdnet {

WinogradGeom winograd_geom(const WindowGeom& g, int64_t F) {
  WinogradGeom q{};
  q.C = g.C;
  q.H = g.H;
  q.W = g.W;
  q.pad = g.pad;
  q.OH = g.OH;
  q.OW = g.OW;
  q.F = F;
  q.TH = (g.OH + 3) / 4;
  q.TW = (g.OW + 3) / 4;
  q.T = q.TH * q.TW;
  q.Hq = 4 * q.TH + 2;
  q.Wq = 4 * q.TW + 2;
  q.Cp = (g.C + kWinoLanes - 1) / kWinoLanes * kWinoLanes;
  q.Fp = (F + kWinoLanes - 1) / kWinoLanes * kWinoLanes;
  q.VS = q.T * q.Cp + kWinoLanes;
  q.MS = q.T * q.Fp + kWinoLanes;
  const int64_t panels = q.Fp / kWinoLanes;
  q.NV = panels % 4 == 0 ? 4 : panels % 2 == 0 ? 2 : 1;
  return q;
}

void winograd_weights(const float* w, const WinogradGeom& q, float* U) {
  static const double G[6][3] = {{0.25, 0, 0},
                                 {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                 {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                 {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                 {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                 {0, 0, 1}};
  const int64_t C = q.C, Fp = q.Fp;
  std::memset(U, 0, sizeof(float) * static_cast<size_t>(36 * Fp * C));
  for (int64_t f = 0; f < q.F; ++f) {
    const int64_t p = f / kWinoLanes, l = f % kWinoLanes;
    for (int64_t c = 0; c < C; ++c) {
      const float* k = w + (f * C + c) * 9;
      double t[6][3];  // G k
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 3; ++j) t[i][j] = G[i][0] * k[j] + G[i][1] * k[3 + j] + G[i][2] * k[6 + j];
      for (int i = 0; i < 6; ++i) {
        for (int j = 0; j < 6; ++j) {  // (G k) G^T
          const double u = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
          U[(((i * 6 + j) * (Fp / kWinoLanes) + p) * C + c) * kWinoLanes + l] = static_cast<float>(u);
        }
      }
    }
  }
}

namespace {
std::atomic<bool>& winograd_switch() {
  static std::atomic<bool> on{[] {
    const char* env = std::getenv("SIMDNET_WINOGRAD");
    return !(env && std::strcmp(env, "0") == 0);
  }()};
  return on;
}
}  // namespace

bool set_winograd(bool on) { return winograd_switch().exchange(on); }

namespace conv {
namespace {
thread_local Workspace t_wino;  // xt, V, M and yt of one image, per executing thread

// Transformed weights of the last few convolutions, per calling thread: the weight transform (36*C*F values in
// double, scattered into U's panels) cost more than 100 images of the convolution for conv6 (0.77 ms of 1.67 ms per
// batch of 100, 1 thread, measured under load) and runs serially before the images go over the pool. An entry is
// reused when its C, F and weights are the same bits (a memcmp of the filters); weights changed in place by
// training miss and are transformed again. The least recently used entry is replaced, so the two convolutions of
// conv2_forward_max_pool never evict each other; 128 entries hold every Winograd convolution of a ResNet-20/32/56
// inference (16 / 28 / 52; a cyclic walk over more convolutions than entries would miss every time, so the table is
// sized for the deepest built-in network with room for a user's deeper graph). Only the matching entry's
// filters are compared in full (a memcmp stops at the first differing bytes). Memory per calling thread: the
// transforms are 4x the filters (a ResNet-20 about 5 MB, a ResNet-56 about 17 MB).
struct UEntry {
  int64_t C = -1, F = -1, used = 0;
  Workspace w, U;  // a copy of w[F, C, 3, 3]; its transform
};
constexpr int kUEntries = 128;
thread_local UEntry t_ucache[kUEntries];
thread_local int64_t t_uclock = 0;

// U for w (from the cache or transformed into it); null when a workspace cannot be allocated.
const float* cached_weights(const float* w, const WinogradGeom& q) {
  const int64_t nw = q.F * q.C * 9;
  UEntry* victim = &t_ucache[0];
  for (UEntry& e : t_ucache) {
    float* ew = e.C == q.C && e.F == q.F ? e.w.get(nw) : nullptr;
    if (ew && std::memcmp(ew, w, sizeof(float) * static_cast<size_t>(nw)) == 0) {
      e.used = ++t_uclock;
      return e.U.get(q.u_floats());
    }
    if (e.used < victim->used) victim = &e;
  }
  victim->C = victim->F = -1;
  float* ew = victim->w.get(nw);
  float* U = victim->U.get(q.u_floats());
  if (!ew || !U) return nullptr;
  std::memcpy(ew, w, sizeof(float) * static_cast<size_t>(nw));
  winograd_weights(w, q, U);
  victim->C = q.C;
  victim->F = q.F;
  victim->used = ++t_uclock;
  return U;
}
}  // namespace

// Where it measured faster than the direct forward (conv + 2x2 pool at inference, 64 images, 1 thread CPU time,
// alternating, medians of 7; AVX-512, under load ~10): DeepConvNet's conv2..conv6 1.4-3x; C8 F16 28x28 1.31x,
// C16 F8 28x28 1.11x, C64 F8 14x14 1.17x, C8 F64 14x14 1.12x, C128 F128 4x4 1.59x, 7x7 2.16x, C256 F256 8x8 2.21x;
// slower only at C8 F8 28x28 (0.77x: 16 GEMMs of 8x8 do too little per transform). Hence C, F >= 8 and C*F >= 128.
bool winograd_fwd_applies(const KernelTable& kt, const WindowGeom& g, int64_t F) {
  if (!kt.winograd || g.KH != 3 || g.KW != 3 || g.stride != 1 || g.C < 8 || F < 8 || g.C * F < 128) return false;
  if (!winograd_switch().load(std::memory_order_relaxed)) return false;
  const WinogradGeom q = winograd_geom(g, F);
  // every buffer well inside int32 element counts and a per-thread workspace of reasonable size
  const int64_t most = int64_t(1) << 26;
  return q.xt_floats() < most && q.v_floats() < most && q.m_floats() < most && q.u_floats() < most;
}

bool setup_winograd_fwd(WinogradFwd& d, const KernelTable& kt, const WindowGeom& g, const float* w, const float* b,
                        int64_t F) {
  d.on = false;
  if (!winograd_fwd_applies(kt, g, F)) return true;
  d.k = kt.winograd;
  d.q = winograd_geom(g, F);
  d.U = cached_weights(w, d.q);
  float* bias = d.wpack.get(d.q.Fp);
  if (!d.U || !bias) return false;
  d.bias = nullptr;
  if (b) {
    d.bias = bias;
    for (int64_t f = 0; f < d.q.Fp; ++f) d.bias[f] = f < F ? b[f] : 0.0f;
  }
  d.on = true;
  return true;
}

bool winograd_fwd_image(const WinogradFwd& d, const float* xn, bool relu, float* yn) {
  const WinogradGeom& q = d.q;
  const int64_t XT = q.xt_floats(), VF = q.v_floats(), MF = q.m_floats();
  float* xt = t_wino.get(XT + VF + MF + q.yt_floats());
  if (!xt) return false;
  float* V = xt + XT;
  float* M = V + VF;
  float* yt = M + MF;
  d.k->pack(xn, q, xt);
  d.k->input(xt, q, V);
  d.k->gemm(V, d.U, q, M);
  d.k->output(M, q, d.bias, relu, yt);
  d.k->unpack(yt, q, yn);
  return true;
}

}  // namespace conv
}  // namespace simdnet
