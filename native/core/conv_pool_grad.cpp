// Training's convolution -> (ReLU) -> max pool, backward in one op (contract in conv.h, conv_backward_max_pool):
// the pool's backward folded into the convolution's masked gradient. Where the window is the book's 2x2 stride 2,
// each image's dy_n[F, OH*OW] is built in the per-thread buffer the fused-ReLU backward masks into (from the pool's
// gradient dz, masked by z > 0, routed by the pool's 2x2 backward kernel) and used while it is in cache: the pool's
// dx (the size of the convolution's output) is never written, and the convolution reads neither it nor y.
// Bit for bit conv_backward(max_pool_backward(dz, argmax), x, w, g, F, dx, dw, db, y): at a window's argmax the
// pool's output z equals y, so y > 0 there exactly where z > 0; everywhere else both give +0.
// Other windows (and argmax values outside their window, which only a caller's edit can make) go through a
// workspace: max_pool_backward of the masked dz, then conv_backward.
#include <cstring>

#include "core/conv.h"
#include "core/conv_internal.h"
#include "core/conv_loops.h"
#include "core/pool.h"

namespace simdnet {
namespace conv {
namespace {
thread_local Workspace t_dz;  // one image's ReLU-masked dz, per executing thread
}  // namespace

// dz masked by z > 0 as bit masks (+0 where z <= 0 or NaN), n floats.
static void mask_by_positive(const float* dz, const float* z, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = loop_float_of(loop_bits_of(dz[i]) & (0u - static_cast<uint32_t>(z[i] > 0.0f)));
  }
}

bool unpool_image(const PoolGrad& pg, int64_t n, const WindowGeom& g, int64_t F, float* m, bool* alloc) {
  const int64_t P = g.positions(), PP = pg.PH * pg.PW;
  const float* dz = pg.dz + n * F * PP;
  if (pg.relu) {
    float* t = t_dz.get(F * PP);
    if (!t) {
      *alloc = true;
      return false;
    }
    mask_by_positive(dz, pg.z + n * F * PP, F * PP, t);
    dz = t;
  }
  for (int64_t f = 0; f < F; ++f) {
    const int64_t q = n * F + f;  // the plane of the convolution's output
    const auto base = static_cast<int32_t>(q * P);
    const int32_t* am = pg.argmax + q * PP;
    if (!max_pool_2x2_in_window(am, g.OW, pg.PH, pg.PW, base)) return false;
    // every argmax is routed within its own window, even if it changed since the check (shared memory)
    pg.pk->backward(dz + f * PP, am, g.OH, g.OW, pg.PH, pg.PW, m + f * P, base);
  }
  return true;
}

}  // namespace conv

namespace {
thread_local Workspace t_unpooled;  // the scatter path: dy [N, F, OH, OW] and the masked dz, per calling thread
}  // namespace

int64_t conv_backward_max_pool(const float* dz, const int32_t* argmax, const float* z, const float* x, const float* w,
                               const WindowGeom& g, int64_t F, bool relu, const WindowGeom& pool, float* dx, float* dw,
                               float* db) {
  const WindowGeom pg = make_window(g.N, F, g.OH, g.OW, pool.KH, pool.KW, pool.stride, pool.pad);
  const int64_t Y = g.N * F * g.positions(), Z = g.N * F * pg.positions();
  if (pg.KH == 2 && pg.KW == 2 && pg.stride == 2 && pg.pad == 0) {
    const KernelTable& kt = kernels();
    const conv::PoolGrad p{dz, argmax, z, pg.OH, pg.OW, relu, pg.OW >= 8 ? kt.max_pool_2x2 : &max_pool_2x2_kernels_ref};
    std::atomic<bool> outside{false};
    if (conv::backward_driver(nullptr, x, w, g, F, dx, dw, db, nullptr, &p, &outside)) return -1;
    if (!outside.load()) return -2;
  }
  float* dy = t_unpooled.get(Y + (relu ? Z : 0));
  if (!dy) return -2;
  const float* d = dz;
  if (relu) {
    conv::mask_by_positive(dz, z, Z, dy + Y);
    d = dy + Y;
  }
  const int64_t bad = max_pool_backward(d, argmax, pg, dy);
  if (bad >= 0) return bad;
  return conv_backward(dy, x, w, g, F, dx, dw, db, nullptr) ? -1 : -2;
}

}  // namespace simdnet
