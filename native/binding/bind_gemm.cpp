// Runtime and GEMM exports: the op bodies behind the generated unpacking (native/ops.json, ops.generated.cpp).
#include "binding/args.h"
#include "binding/ops.generated.h"
#include "core/kernels.h"
#include "core/sgemm.h"
#include "core/sgemm_kernels.h"
#include "core/threadpool.h"

namespace simdnet {
namespace bind {
namespace impl {

// info() -> { isa, bestIsa, threads, interface }
Napi::Value info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgCount(info, 0, "info");
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isa_name(active_isa()));
  o.Set("bestIsa", isa_name(best_isa()));
  o.Set("threads", threads());
  o.Set("interface", kInterfaceHash);
  return o;
}

Napi::Value setThreads(Napi::Env env, const SetThreadsArgs& a) {
  set_threads(static_cast<int>(a.threads));
  return env.Undefined();
}

// false when the CPU cannot run the tier
Napi::Value setKernels(Napi::Env env, const SetKernelsArgs& a) { return Napi::Boolean::New(env, set_active_isa(a.kernels)); }

Napi::Value sgemm(Napi::Env env, const SgemmArgs& a) {
  // op(A) is M x K: rows x cols stored = (transA ? K x M : M x K)
  const int64_t a_rows = a.transA ? a.K : a.M, a_cols = a.transA ? a.M : a.K;
  const int64_t b_rows = a.transB ? a.N : a.K, b_cols = a.transB ? a.K : a.N;
  if (a.lda < a_cols) throw Napi::RangeError::New(env, "lda: expected >= " + std::to_string(a_cols));
  if (a.ldb < b_cols) throw Napi::RangeError::New(env, "ldb: expected >= " + std::to_string(b_cols));
  if (a.ldc < a.N) throw Napi::RangeError::New(env, "ldc: expected >= " + std::to_string(a.N));
  if (a.M == 0 || a.N == 0) return env.Undefined();
  auto need = [&](int64_t rows, int64_t cols, int64_t ld, int64_t off) -> uint64_t {
    return rows == 0 || cols == 0 ? static_cast<uint64_t>(off)
                                  : static_cast<uint64_t>(off) + Mul(env, {uint64_t(rows - 1), uint64_t(ld)}) + cols;
  };
  RequireLength(env, "A", a.A.length, need(a_rows, a_cols, a.lda, a.offA));
  RequireLength(env, "B", a.B.length, need(b_rows, b_cols, a.ldb, a.offB));
  RequireLength(env, "C", a.C.length, need(a.M, a.N, a.ldc, a.offC));
  simdnet::sgemm(a.transA, a.transB, a.M, a.N, a.K, a.alpha, a.A.data + a.offA, a.lda, a.B.data + a.offB, a.ldb,
                 a.beta, a.C.data + a.offC, a.ldc);
  return env.Undefined();
}

// fmaPeak(threads, isa = best) -> { gflops, perCore, threads, isa } | null (the CPU cannot run `isa`).
// Runs register-only FMA chains on `threads` pool tasks for about 0.3 s: the machine's measured peak, the
// yardstick of the GEMM benchmark.
Napi::Value fmaPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgCount(info, 2, "fmaPeak");
  const int n = static_cast<int>(GetInt(info, 0, "threads", 1, 256));
  Isa isa = best_isa();
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    static const char* const kPeakIsas[] = {"avx2", "avx512"};
    isa = GetEnum(info, 1, "isa", kPeakIsas, 2) == 0 ? Isa::avx2 : Isa::avx512;
  }
  int used = 0;
  const double g = fma_peak_gflops(n, isa, 0.3, &used);
  if (g < 0) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("gflops", g);
  o.Set("perCore", g / used);
  o.Set("threads", used);
  o.Set("isa", isa_name(isa));
  return o;
}

}  // namespace impl
}  // namespace bind
}  // namespace simdnet
