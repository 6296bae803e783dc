// A Node-free driver of the core's thread pool and threaded kernels, for ThreadSanitizer (scripts/sanitize.js
// builds it with -fsanitize=thread and runs it; any report fails the run). It drives every threaded op on
// awkward shapes under each kernel tier and several thread counts, from several calling threads at once (the
// pool serializes jobs; thread_local workspaces must not be shared), changes the thread count while jobs run,
// and throws from pool tasks (the exception must come back to the caller, and the pool must keep working).
// Each op's result is also compared with its single-thread result (relative error 1e-4): a race that TSan
// happens not to see can still show up as a wrong answer. Exit status 0 and "core_stress: ok" when all passed.
//
// Built as a core tool (native/sources.json "tools", CMake option SIMDNET_CORE_TOOLS); scripts/sanitize.js builds
// the core and this driver with -fsanitize=thread into build-sanitize/tsan/ and runs it.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/augment.h"
#include "core/conv.h"
#include "core/elementwise.h"
#include "core/im2col.h"
#include "core/kernels.h"
#include "core/norm.h"
#include "core/optim.h"
#include "core/pool.h"
#include "core/sgemm.h"
#include "core/threadpool.h"

namespace sn = simdnet;

namespace {

int g_checks = 0;
int g_failures = 0;

void fail(const std::string& what) {
  std::fprintf(stderr, "core_stress: FAIL %s\n", what.c_str());
  g_failures++;
}

// Deterministic fill in [-1, 1).
void fill(std::vector<float>& v, uint32_t seed) {
  uint32_t s = seed * 2654435761u + 1;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
}

void compare(const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
  g_checks++;
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); i++) {
    const double d = static_cast<double>(got[i]) - want[i];
    num += d * d;
    den += static_cast<double>(want[i]) * want[i];
  }
  const double rel = std::sqrt(num / (den > 0 ? den : 1));
  if (!(rel <= 1e-4)) fail(what + ": relative error " + std::to_string(rel) + " against one thread");
}

// One workload: runs the ops and returns their outputs, concatenated.
std::vector<float> workload(uint32_t seed) {
  std::vector<float> out;
  auto keep = [&](const std::vector<float>& v) { out.insert(out.end(), v.begin(), v.end()); };
  {  // sgemm: shapes off the tile sizes, every transpose, big enough to split over M, N or K
    const int64_t shapes[][3] = {{67, 45, 301}, {5, 300, 700}, {300, 7, 650}, {9, 11, 4000}};
    for (const auto& s : shapes) {
      for (int t = 0; t < 4; t++) {
        const bool ta = t & 1, tb = t & 2;
        const int64_t M = s[0], N = s[1], K = s[2];
        std::vector<float> A(M * K), B(K * N), C(M * N);
        fill(A, seed + 1), fill(B, seed + 2), fill(C, seed + 3);
        sn::sgemm(ta, tb, M, N, K, 0.5f, A.data(), ta ? M : K, B.data(), tb ? K : N, 0.25f, C.data(), N);
        keep(C);
      }
    }
  }
  {  // convolution forward/backward (fused ReLU too), padded and strided
    const sn::WindowGeom geoms[] = {sn::make_window(3, 5, 13, 11, 3, 3, 1, 1), sn::make_window(2, 8, 28, 28, 5, 5, 1, 2),
                                    sn::make_window(4, 3, 17, 9, 3, 2, 2, 0), sn::make_window(2, 16, 14, 14, 3, 3, 1, 1)};
    for (const auto& g : geoms) {
      const int64_t F = 7 + g.C;
      std::vector<float> x(g.N * g.image()), w(F * g.taps()), b(F), y(g.N * F * g.positions());
      fill(x, seed + 4), fill(w, seed + 5), fill(b, seed + 6);
      for (int relu = 0; relu < 2; relu++) {
        if (!sn::conv_forward(x.data(), w.data(), b.data(), g, F, y.data(), relu)) fail("conv_forward: workspace");
        keep(y);
        std::vector<float> dy(y.size()), dx(x.size()), dw(w.size()), db(F);
        fill(dy, seed + 7);
        if (!sn::conv_backward(dy.data(), x.data(), w.data(), g, F, dx.data(), dw.data(), db.data(),
                               relu ? y.data() : nullptr))
          fail("conv_backward: workspace");
        keep(dx), keep(dw), keep(db);
      }
      std::vector<float> col(g.N * g.positions() * g.taps()), back(x.size());
      if (!sn::im2col(x.data(), g, col.data()) || !sn::col2im(col.data(), g, back.data())) fail("im2col: workspace");
      keep(col), keep(back);
    }
  }
  {  // convolution + ReLU + max pool in one op each way (training): the 2x2 path in cache and the general one
    const sn::WindowGeom g = sn::make_window(5, 16, 12, 28, 3, 3, 1, 1);
    const int64_t F = 30;
    std::vector<float> x(g.N * g.image()), w(F * g.taps()), b(F);
    fill(x, seed + 12), fill(w, seed + 13), fill(b, seed + 14);
    for (const auto& p : {sn::make_window(g.N, F, g.OH, g.OW, 2, 2, 2, 0), sn::make_window(g.N, F, g.OH, g.OW, 3, 3, 2, 1)}) {
      std::vector<float> z(g.N * F * p.positions()), dz(z.size()), dx(x.size()), dw(w.size()), db(F);
      std::vector<int32_t> am(z.size());
      if (!sn::conv_forward_max_pool(x.data(), w.data(), b.data(), g, F, true, p, z.data(), am.data()))
        fail("conv_forward_max_pool: workspace");
      fill(dz, seed + 15);
      if (sn::conv_backward_max_pool(dz.data(), am.data(), z.data(), x.data(), w.data(), g, F, true, p, dx.data(),
                                     dw.data(), db.data()) != -1)
        fail("conv_backward_max_pool");
      keep(z), keep(dx), keep(dw), keep(db);
    }
  }
  {  // pooling: the dense 2x2 path and the general one, forward and backward
    const sn::WindowGeom geoms[] = {sn::make_window(3, 16, 32, 34, 2, 2, 2, 0), sn::make_window(2, 9, 15, 13, 3, 3, 2, 1)};
    for (const auto& g : geoms) {
      std::vector<float> x(g.N * g.image()), y(g.N * g.C * g.positions()), dx(x.size()), ya(y.size()), dxa(x.size());
      std::vector<int32_t> am(y.size());
      fill(x, seed + 8);
      sn::max_pool_forward(x.data(), g, y.data(), am.data());
      if (sn::max_pool_backward(y.data(), am.data(), g, dx.data()) != -1) fail("max_pool_backward: bad argmax");
      sn::avg_pool_forward(x.data(), g, ya.data());
      sn::avg_pool_backward(ya.data(), g, dxa.data());
      keep(y), keep(dx), keep(ya), keep(dxa);
    }
  }
  {  // elementwise, losses, batch norm, dropout, optimizer, augmentation: sizes past the parallel threshold
    const size_t rows = 300, cols = 1031, n = rows * cols;
    std::vector<float> x(n), y(n), dx(n), b(cols), s(cols);
    fill(x, seed + 9), fill(b, seed + 10);
    y = x;
    sn::add_bias(y.data(), b.data(), rows, cols);
    sn::sum_rows(y.data(), rows, cols, s.data());
    keep(y), keep(s);
    std::vector<float> tall(20000 * 7), ts(7);
    fill(tall, seed + 11);
    sn::sum_rows(tall.data(), 20000, 7, ts.data());
    keep(ts);
    for (int k = 0; k < 4; k++) {
      sn::activation_forward(static_cast<sn::Act>(k), x.data(), y.data(), n, 0.1f);
      sn::activation_backward(static_cast<sn::Act>(k), x.data(), x.data(), y.data(), dx.data(), n, 0.1f);
      keep(y), keep(dx);
    }
    sn::axpy(0.5f, x.data(), y.data(), n);
    sn::scale(x.data(), 3.0f, dx.data(), n);
    keep(y), keep(dx);
    sn::add_forward(x.data(), dx.data(), true, y.data(), n);
    sn::relu_backward_sum(x.data(), dx.data(), y.data(), dx.data(), n);
    keep(y), keep(dx);
    std::vector<int32_t> labels(rows);
    for (size_t i = 0; i < rows; i++) labels[i] = static_cast<int32_t>((i * 7) % cols);
    std::vector<float> probs(n);
    out.push_back(static_cast<float>(
        sn::softmax_cross_entropy(x.data(), rows, cols, labels.data(), nullptr, probs.data(), nullptr)));
    sn::softmax_cross_entropy_backward(probs.data(), rows, cols, labels.data(), nullptr, 1.0f / rows, nullptr, dx.data());
    keep(probs), keep(dx);
    const size_t N = 20, C = 16, S = 13 * 13;
    std::vector<float> bx(N * C * S), by(bx.size()), bdy(bx.size()), bdx(bx.size()), gamma(C, 1.5f), beta(C, 0.5f),
      rm(C, 0.0f), rv(C, 1.0f), mu(C), sd(C), dg(C), dbt(C);
    fill(bx, seed + 12);
    fill(bdy, seed + 13);
    // BN fused with ReLU (relu = true): the forward's statistics and the backward's masked gradient both run
    sn::batch_norm_forward(bx.data(), N, C, S, gamma.data(), beta.data(), rm.data(), rv.data(), 0.9, 1e-5, true, true,
                           by.data(), mu.data(), sd.data());
    sn::batch_norm_backward(bdy.data(), bx.data(), true, mu.data(), sd.data(), gamma.data(), beta.data(), N, C, S,
                            bdx.data(), dg.data(), dbt.data());
    keep(by), keep(bdx), keep(dg), keep(dbt), keep(rm), keep(rv);
    std::vector<uint8_t> mask(n);
    sn::dropout_forward(x.data(), y.data(), mask.data(), n, 0.3f, 1.0f / 0.7f, seed, 3);
    sn::dropout_backward(x.data(), mask.data(), 1.0f / 0.7f, dx.data(), n);
    keep(y), keep(dx);
    std::vector<float> p = x, m(n, 0.0f), v(n, 0.0f);
    sn::optimizer_step(sn::OptRule::adam, p.data(), y.data(), m.data(), v.data(), n,
                       sn::OptimHyper{0.01, 0.9, 0.99, 0.9, 0.999, 1, 0.01});
    keep(p);
    sn::AugmentOptions ao;
    ao.shift = 0.1, ao.rotation = 10, ao.flip_h = true, ao.crop_padding = 2, ao.brightness = 0.1;
    std::vector<float> img(64 * 3 * 28 * 28), aug(img.size());
    fill(img, seed + 13);
    sn::augment_batch(img.data(), 64, 3, 28, 28, ao, seed, 5, aug.data());
    keep(aug);
  }
  return out;
}

// Exceptions thrown by pool tasks come back to the caller (and the pool keeps working).
void exceptions() {
  for (int round = 0; round < 50; round++) {
    const int thrower = round % 3;  // the caller's task (0) or a worker's
    g_checks++;
    try {
      sn::parallel_run([&](int ith, int) {
        if (ith == thrower) {
          if (round % 2) throw std::bad_alloc();
          throw std::runtime_error("task");
        }
      });
      if (thrower < sn::threads()) fail("parallel_run: an exception thrown by task " + std::to_string(thrower) + " was lost");
    } catch (const std::bad_alloc&) {
      if (!(round % 2)) fail("parallel_run: wrong exception type");
    } catch (const std::runtime_error&) {
      if (round % 2) fail("parallel_run: wrong exception type");
    }
    std::atomic<int> ran{0};
    sn::parallel_run([&](int, int) { ran++; });
    g_checks++;
    if (ran.load() != sn::threads()) fail("parallel_run after an exception: " + std::to_string(ran.load()) + " tasks ran");
  }
}

}  // namespace

int main() {
  const sn::Isa tiers[] = {sn::Isa::reference, sn::Isa::avx2, sn::Isa::avx512};
  for (sn::Isa isa : tiers) {
    if (!sn::set_active_isa(isa)) continue;
    sn::set_threads(1);
    const std::vector<float> want = workload(1);
    for (int t : {2, 3, 4}) {
      sn::set_threads(t);
      compare(std::string(sn::isa_name(isa)) + " threads=" + std::to_string(t), workload(1), want);
    }
    // Several callers at once, while another thread changes the thread count.
    std::atomic<bool> stop{false};
    std::thread changer([&] {
      for (int i = 0; !stop.load(); i++) {
        sn::set_threads(2 + i % 3);
        std::this_thread::yield();
      }
    });
    std::vector<std::vector<float>> got(3);
    std::vector<std::thread> callers;
    for (int c = 0; c < 3; c++) callers.emplace_back([&, c] { got[c] = workload(1); });
    for (auto& th : callers) th.join();
    stop = true;
    changer.join();
    for (int c = 0; c < 3; c++) compare(std::string(sn::isa_name(isa)) + " concurrent caller " + std::to_string(c), got[c], want);
  }
  sn::set_threads(3);
  exceptions();
  if (g_failures > 0) {
    std::fprintf(stderr, "core_stress: %d of %d checks failed\n", g_failures, g_checks);
    return 1;
  }
  std::printf("core_stress: ok (%d checks)\n", g_checks);
  return 0;
}
