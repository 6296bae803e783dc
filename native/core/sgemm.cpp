// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, row-major (contract in sgemm.h).
//
// BLIS structure around a micro-kernel of the active tier (sgemm_kernels.h):
//   jc over N in NC columns
//     pc over K in KC steps          B block KC x NC packed into NR-wide micro-panels (L3 / L2)
//       ic over M in MC rows         A block MC x KC packed into MR-row micro-panels (L2)
//         jr over NC by NR, ir over MC by MR: micro-kernel (B micro-panel stays in L1)
// Packing absorbs transposes and strides. Two in-place shortcuts for skinny shapes:
//   - narrow N (a few NR panels): A is read in place by the micro-kernel (no A packing), ir outer and jr
//     inner, so each A micro-panel is read once from memory and reused from L1 across the few panels;
//   - small M (one MC block, B not transposed): full-width B panels are read in place (packing B would buy
//     no reuse), only a partial last panel is packed.
// Threads: the problem is cut into `nth` independent sub-problems along M, N or K (whichever wastes least:
// partial tiles, duplicated packing, the K-split reduction), each run by one pool task with its own packing
// buffers. Small problems, and calls from inside a pool task, run on the calling thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/kernels.h"
#include "core/sgemm.h"
#include "core/sgemm_kernels.h"
#include "core/sgemm_pack.h"
#include "core/threadpool.h"

namespace simdnet {
namespace {

// The active tier's tile for one shape: where the tier has a narrower tile too (avx512: 6x16 beside 12x32),
// the narrow one wherever the wide one would waste its width on partial tiles: useful lanes x vector width,
// compared. An edge tile of m x n computes round_up(m, edge_mr) rows and round_up(n, edge_nr) columns.
const SgemmKernels& kernels_for(int64_t M, int64_t N) {
  const KernelTable& kt = kernels();
  const SgemmKernels& wide = *kt.sgemm;
  if (!kt.sgemm_narrow) return wide;
  const SgemmKernels& narrow = *kt.sgemm_narrow;
  // Narrower than one wide tile (the weight gradients of convolutions with 16 or 30 filters, A read in
  // place): measured 5-40% faster with 6x16 tiles than 12x32 (a k step reads half the B bytes per broadcast row).
  if (N < wide.nr) return narrow;
  auto useful = [&](const SgemmKernels& k) {
    const int64_t rows = M / k.mr * k.mr + (M % k.mr + k.edge_mr - 1) / k.edge_mr * k.edge_mr;
    const int64_t cols = N / k.nr * k.nr + (N % k.nr + k.edge_nr - 1) / k.edge_nr * k.edge_nr;
    const double pm = static_cast<double>(rows), pn = static_cast<double>(cols);
    return static_cast<double>(k.nr) * (M / pm) * (N / pn);
  };
  return useful(wide) > 1.1 * useful(narrow) ? wide : narrow;
}

// Multiply-adds per task: below 2x this, one thread does it all (about 25-50 us of work; waking the pool
// costs about 10 us).
constexpr double kWorkPerTask = 1 << 22;

// op(X) element (r, c) at p[r*rs + c*cs].
struct View {
  const float* p;
  int64_t rs, cs;
};

struct Problem {
  int64_t M, N, K;
  float alpha, beta;
  View a, b;
  float* c;
  int64_t ldc;
};

// A 64-byte aligned float buffer that grows on demand and is kept (thread_local owners).
class Buffer {
 public:
  ~Buffer() { std::free(p_); }
  // nullptr when the allocation fails (the caller falls back to the naive loop).
  float* get(size_t n) {
    if (n > cap_) {
      std::free(p_);
      const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      cap_ = p_ ? bytes / sizeof(float) : 0;
    }
    return p_;
  }

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// C = beta * C (beta == 0: zeros, C not read).
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  if (beta == 1.0f) return;
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) std::memset(c, 0, sizeof(float) * N);
    else for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
}

using sgemm_pack::pack_panels;
using sgemm_pack::prefetch_run;
using sgemm_pack::prefetch_run_l2;
using sgemm_pack::kPrefetchMinRun;

// B block rows [0, kc) x columns [0, nc) -> NR-wide micro-panels (element (p, j) of panel q at
// dst + q*kc*NR + p*NR + j, columns past nc zero).
inline void pack_b(View b, int64_t kc, int64_t nc, int NR, float* dst) { pack_panels(NR, b.p, b.rs, b.cs, nc, kc, dst); }

// A block rows [0, mc) x columns [0, kc) -> MR-row micro-panels (element (i, p) of panel q at
// dst + q*kc*MR + p*MR + i, rows past mc zero).
inline void pack_a(View a, int64_t mc, int64_t kc, int MR, float* dst) { pack_panels(MR, a.p, a.cs, a.rs, mc, kc, dst); }

// How one sub-problem is blocked (chosen from its shape; the same for every thread of a split).
struct Plan {
  int64_t mc, kc, nc;
  bool direct_a;  // micro-kernel reads A in place
  bool direct_b;  // micro-kernel reads full-width B panels in place
};

Plan plan_for(const SgemmKernels& kt, int64_t M, int64_t N, int64_t K, View a, View b) {
  Plan pl;
  pl.direct_a = N <= 4 * kt.nr;
  // In-place A: rows of A (contiguous along k) keep one micro-panel in L1 across the few B panels, so a
  // long K block saves C traffic; columns (A^T) touch a cache line per k step, so a short K block keeps
  // those lines in L1 for the next micro-panel, which shares them.
  pl.mc = std::min<int64_t>(round_up(M, kt.mr), kt.mc);
  pl.nc = std::min<int64_t>(round_up(N, kt.nr), kt.nc);
  pl.kc = std::min<int64_t>(K, !pl.direct_a ? kt.kc : a.cs == 1 ? 4 * kt.kc : kt.kc / 2);
  // In-place A: the packed B block (kc x nc) is re-read for every micro-panel of A; keep it within 32 KB
  // so it stays in L1 (K of a per-image weight gradient is OH*OW, up to 784).
  if (pl.direct_a && a.cs == 1) pl.kc = std::min(pl.kc, std::max<int64_t>(kt.kc / 2, 8192 / pl.nc));
  pl.direct_b = !pl.direct_a && b.cs == 1 && M <= kt.mc;
  return pl;
}

size_t a_buffer_floats(const SgemmKernels& kt, const Plan& pl) { return pl.direct_a ? 0 : pl.mc * pl.kc; }
size_t b_buffer_floats(const SgemmKernels& kt, const Plan& pl) {
  return pl.direct_b ? pl.kc * kt.nr : pl.kc * pl.nc;
}

// One thread's whole (sub-)problem. abuf/bbuf hold a_buffer_floats/b_buffer_floats, 64-byte aligned.
void gemm_serial(const SgemmKernels& kt, const Problem& P, const Plan& pl, float* abuf, float* bbuf) {
  const int MR = kt.mr, NR = kt.nr;
  const SgemmUkernel uk = kt.ukernel;
  for (int64_t jc = 0; jc < P.N; jc += pl.nc) {
    const int64_t nc = std::min(pl.nc, P.N - jc);
    for (int64_t pc = 0; pc < P.K; pc += pl.kc) {
      const int64_t kc = std::min(pl.kc, P.K - pc);
      const float beta = pc == 0 ? P.beta : 1.0f;
      const View bv{P.b.p + pc * P.b.rs + jc * P.b.cs, P.b.rs, P.b.cs};
      // Micro-panel jr of this B block: packed, or in place when full width and allowed.
      const int64_t full = pl.direct_b ? nc / NR * NR : 0;
      if (pl.direct_b) {
        if (full < nc) pack_b(View{bv.p + full, bv.rs, 1}, kc, nc - full, NR, bbuf);
      } else {
        pack_b(bv, kc, nc, NR, bbuf);
      }
      auto b_panel = [&](int64_t jr, const float*& bp, int64_t& rs_b) {
        if (jr < full) {
          bp = bv.p + jr;
          rs_b = bv.rs;
        } else {
          bp = bbuf + (pl.direct_b ? 0 : jr / NR * kc * NR);
          rs_b = NR;
        }
      };
      if (pl.direct_a) {
        // A in place, ir outer: each A micro-panel is read from memory once, B (a few panels) stays in L1/L2.
        // Prefetch ahead of the kernel: rows of A are short runs a page apart and A^T's k steps are a page
        // apart, which the hardware prefetcher follows too late. Rows: the next micro-panel, into L1.
        // A^T: the next K block (its rows are the block's k steps), spread over this block's micro-panels,
        // into L2.
        const int64_t tiles = (P.M + MR - 1) / MR;
        const int64_t next_kc = std::min(pl.kc, P.K - pc - kc);
        const float* next = next_kc > 0 ? P.a.p + (pc + kc) * P.a.cs : nullptr;
        for (int64_t ir = 0, t = 0; ir < P.M; ir += MR, ++t) {
          const int m = static_cast<int>(std::min<int64_t>(MR, P.M - ir));
          const float* ap = P.a.p + ir * P.a.rs + pc * P.a.cs;
          if (P.a.cs == 1) {
            if (ir + 2 * MR <= P.M && kc >= kPrefetchMinRun)
              for (int i = 0; i < MR; ++i) prefetch_run(ap + (MR + i) * P.a.rs, kc);
          } else if (P.a.rs == 1 && next_kc > 0 && P.M >= kPrefetchMinRun) {
            for (int64_t p = t * next_kc / tiles; p < (t + 1) * next_kc / tiles; ++p) prefetch_run_l2(next + p * P.a.cs, P.M);
          }
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const int n = static_cast<int>(std::min<int64_t>(NR, nc - jr));
            const float* bp;
            int64_t rs_b;
            b_panel(jr, bp, rs_b);
            uk(kc, ap, P.a.rs, P.a.cs, bp, rs_b, P.c + ir * P.ldc + jc + jr, P.ldc, P.alpha, beta, m, n);
          }
        }
        continue;
      }
      for (int64_t ic = 0; ic < P.M; ic += pl.mc) {
        const int64_t mc = std::min(pl.mc, P.M - ic);
        pack_a(View{P.a.p + ic * P.a.rs + pc * P.a.cs, P.a.rs, P.a.cs}, mc, kc, MR, abuf);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int n = static_cast<int>(std::min<int64_t>(NR, nc - jr));
          const float* bp;
          int64_t rs_b;
          b_panel(jr, bp, rs_b);
          float* cp = P.c + ic * P.ldc + jc + jr;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int m = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            uk(kc, abuf + ir * kc, 1, MR, bp, rs_b, cp + ir * P.ldc, P.ldc, P.alpha, beta, m, n);
          }
        }
      }
    }
  }
}

enum class Split { M, N, K };

// Relative cost of cutting `total` into `tasks` parts in units of `unit`: the largest part over the mean.
double imbalance(int64_t total, int64_t unit, int tasks) {
  const int64_t units = (total + unit - 1) / unit;
  if (units < tasks) return 1e9;
  const int64_t largest = std::min(total, (units + tasks - 1) / tasks * unit);
  return static_cast<double>(largest) * tasks / static_cast<double>(total) - 1.0;
}

Split choose_split(const SgemmKernels& kt, int64_t M, int64_t N, int64_t K, int tasks) {
  // Waste of each cut: imbalance, plus the duplicated packing (of B for an M cut, of A for an N cut) or
  // the reduction of partial C (K cut), relative to one task's multiply-adds.
  const double cost_m = imbalance(M, kt.mr, tasks) + static_cast<double>(tasks) / M;
  const double cost_n = imbalance(N, kt.nr, tasks) + static_cast<double>(tasks) / N;
  const double cost_k = imbalance(K, 64, tasks) + 16.0 * tasks * tasks / K;
  if (cost_k < cost_m && cost_k < cost_n) return Split::K;
  return cost_m <= cost_n ? Split::M : Split::N;
}

// The calling thread's buffers: per-task packing buffers for up to `tasks` tasks, and the K-split partials.
struct Workspace {
  Buffer pack;
  Buffer partial;
};
thread_local Workspace t_ws;

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const SgemmKernels& kt = kernels_for(M, N);
  const View a = trans_a ? View{A, 1, lda} : View{A, lda, 1};
  const View b = trans_b ? View{B, 1, ldb} : View{B, ldb, 1};
  const Problem P{M, N, K, alpha, beta, a, b, C, ldc};

  const double work = static_cast<double>(M) * N * K;
  const int tasks = static_cast<int>(std::min<double>(threads(), std::max(1.0, work / kWorkPerTask)));
  const Split split = tasks > 1 ? choose_split(kt, M, N, K, tasks) : Split::M;
  // Each task's sub-problem has at most this shape: plan once, size the buffers for it. A call from inside
  // a pool task runs inline as one task: it uses the whole problem's plan (buffers sized for both).
  auto part = [&](int64_t total, int64_t unit, int nparts) {
    const int64_t units = (total + unit - 1) / unit;
    return std::min(total, (units + nparts - 1) / nparts * unit);
  };
  const Plan whole = plan_for(kt, M, N, K, a, b);
  const Plan pl = tasks == 1 ? whole
                             : plan_for(kt, split == Split::M ? part(M, kt.mr, tasks) : M,
                                        split == Split::N ? part(N, kt.nr, tasks) : N,
                                        split == Split::K ? part(K, 64, tasks) : K, a, b);
  auto need = [&](const Plan& p) {
    return static_cast<size_t>(round_up(a_buffer_floats(kt, p), 16) + round_up(b_buffer_floats(kt, p), 16));
  };
  const size_t per_task = need(pl);
  float* ws = t_ws.pack.get(std::max(per_task * tasks, need(whole)));
  float* partials = nullptr;
  if (tasks > 1 && split == Split::K) partials = t_ws.partial.get(static_cast<size_t>(M) * N * (tasks - 1));
  if (!ws || (tasks > 1 && split == Split::K && !partials)) {
    sgemm_naive(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);  // out of memory: no buffers
    return;
  }
  auto run_whole = [&] { gemm_serial(kt, P, whole, ws, ws + round_up(a_buffer_floats(kt, whole), 16)); };
  if (tasks == 1) {
    run_whole();
    return;
  }

  int ran_with = tasks;  // a call from inside a pool task runs inline with nth = 1
  parallel_run(
      [&](int ith, int nth) {
        if (ith == 0) ran_with = nth;
        if (nth == 1) {
          run_whole();
          return;
        }
        float* abuf = ws + per_task * ith;
        float* bbuf = abuf + round_up(a_buffer_floats(kt, pl), 16);
        Problem S = P;
        if (split == Split::M) {
          size_t b0, b1;
          split_range((M + kt.mr - 1) / kt.mr, ith, nth, b0, b1);
          const int64_t i0 = b0 * kt.mr, i1 = std::min<int64_t>(M, b1 * kt.mr);
          if (i0 >= i1) return;
          S.M = i1 - i0;
          S.a.p += i0 * a.rs;
          S.c += i0 * ldc;
        } else if (split == Split::N) {
          size_t b0, b1;
          split_range((N + kt.nr - 1) / kt.nr, ith, nth, b0, b1);
          const int64_t j0 = b0 * kt.nr, j1 = std::min<int64_t>(N, b1 * kt.nr);
          if (j0 >= j1) return;
          S.N = j1 - j0;
          S.b.p += j0 * b.cs;
          S.c += j0;
        } else {
          size_t b0, b1;
          split_range((K + 63) / 64, ith, nth, b0, b1);
          const int64_t p0 = b0 * 64, p1 = std::min<int64_t>(K, b1 * 64);
          if (ith > 0) {  // partial sums go to a private buffer, reduced below
            S.c = partials + static_cast<size_t>(ith - 1) * M * N;
            S.ldc = N;
            S.beta = 0.0f;
            if (p0 >= p1) {
              std::memset(S.c, 0, sizeof(float) * M * N);
              return;
            }
          }
          if (p0 >= p1) {
            scale_c(M, N, beta, C, ldc);
            return;
          }
          S.K = p1 - p0;
          S.a.p += p0 * a.cs;
          S.b.p += p0 * b.rs;
        }
        gemm_serial(kt, S, pl, abuf, bbuf);
      },
      tasks);

  if (split == Split::K && ran_with > 1) {
    for (int t = 1; t < ran_with; ++t) {
      const float* s = partials + static_cast<size_t>(t - 1) * M * N;
      for (int64_t i = 0; i < M; ++i) {
        float* c = C + i * ldc;
        const float* si = s + i * N;
        for (int64_t j = 0; j < N; ++j) c[j] += si[j];
      }
    }
  }
}

double fma_peak_gflops(int nthreads, Isa isa, double seconds, int* used) {
  if (isa == Isa::reference || static_cast<int>(isa) > static_cast<int>(best_isa())) return -1.0;
  double (*loop)(int64_t) = isa == Isa::avx512 ? fma_peak_loop_avx512 : fma_peak_loop_avx2;
  using clock = std::chrono::steady_clock;
  // Calibrate on this thread: iterations for about `seconds`.
  int64_t iters = 1 << 20;
  for (;;) {
    const auto t0 = clock::now();
    loop(iters);
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    if (s > 0.02) {
      iters = static_cast<int64_t>(iters * seconds / s) + 1;
      break;
    }
    iters *= 4;
  }
  std::atomic<int> ran{0};
  double flops[256] = {0};
  const auto t0 = clock::now();
  parallel_run(
      [&](int ith, int nth) {
        if (ith == 0) ran = nth;
        flops[ith] = loop(iters);
      },
      std::max(1, std::min(nthreads, 256)));
  const double s = std::chrono::duration<double>(clock::now() - t0).count();
  double total = 0;
  for (int i = 0; i < ran; ++i) total += flops[i];
  if (used) *used = ran;
  return total / s * 1e-9;
}

}  // namespace simdnet
