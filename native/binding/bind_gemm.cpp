#include "binding/args.h"
#include "binding/register.h"
#include "core/kernels.h"
#include "core/sgemm.h"
#include "core/sgemm_kernels.h"
#include "core/threadpool.h"

namespace simdnet {
namespace bind {
namespace {

// info() -> { isa, bestIsa, threads }
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isa_name(active_isa()));
  o.Set("bestIsa", isa_name(best_isa()));
  o.Set("threads", threads());
  o.Set("abi", kAbiVersion);
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  set_threads(static_cast<int>(GetInt(info, 0, "threads", 1, 256)));
  return info.Env().Undefined();
}

// setKernels('avx512' | 'avx2' | 'reference') -> boolean (false when the CPU cannot run it)
Napi::Value SetKernels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "kernels: expected 'avx512', 'avx2' or 'reference'");
  const std::string s = info[0].As<Napi::String>().Utf8Value();
  if (s == "reference") return Napi::Boolean::New(env, set_active_isa(Isa::reference));
  if (s == "avx2") return Napi::Boolean::New(env, set_active_isa(Isa::avx2));
  if (s == "avx512") return Napi::Boolean::New(env, set_active_isa(Isa::avx512));
  throw Napi::RangeError::New(env, "kernels: expected 'avx512', 'avx2' or 'reference', got '" + s + "'");
}

// sgemm(transA, transB, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc)
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = GetBool(info, 0, "transA"), tb = GetBool(info, 1, "transB");
  const int64_t lim = int64_t(1) << 31;
  const int64_t M = GetInt(info, 2, "M", 0, lim), N = GetInt(info, 3, "N", 0, lim), K = GetInt(info, 4, "K", 0, lim);
  const float alpha = static_cast<float>(GetNum(info, 5, "alpha"));
  F32 A = GetF32(info, 6, "A");
  const int64_t offA = GetInt(info, 7, "offA", 0, int64_t(1) << 53), lda = GetInt(info, 8, "lda", 1, lim);
  F32 B = GetF32(info, 9, "B");
  const int64_t offB = GetInt(info, 10, "offB", 0, int64_t(1) << 53), ldb = GetInt(info, 11, "ldb", 1, lim);
  const float beta = static_cast<float>(GetNum(info, 12, "beta"));
  F32 C = GetF32(info, 13, "C");
  const int64_t offC = GetInt(info, 14, "offC", 0, int64_t(1) << 53), ldc = GetInt(info, 15, "ldc", 1, lim);
  // op(A) is M x K: rows x cols stored = (ta ? K x M : M x K)
  const int64_t a_rows = ta ? K : M, a_cols = ta ? M : K;
  const int64_t b_rows = tb ? N : K, b_cols = tb ? K : N;
  if (lda < a_cols) throw Napi::RangeError::New(env, "lda: expected >= " + std::to_string(a_cols));
  if (ldb < b_cols) throw Napi::RangeError::New(env, "ldb: expected >= " + std::to_string(b_cols));
  if (ldc < N) throw Napi::RangeError::New(env, "ldc: expected >= " + std::to_string(N));
  if (M == 0 || N == 0) return env.Undefined();
  auto need = [&](int64_t rows, int64_t cols, int64_t ld, int64_t off) -> uint64_t {
    return rows == 0 || cols == 0 ? static_cast<uint64_t>(off) : static_cast<uint64_t>(off) + Mul(env, {uint64_t(rows - 1), uint64_t(ld)}) + cols;
  };
  RequireLength(env, "A", A.length, need(a_rows, a_cols, lda, offA));
  RequireLength(env, "B", B.length, need(b_rows, b_cols, ldb, offB));
  RequireLength(env, "C", C.length, need(M, N, ldc, offC));
  sgemm(ta, tb, M, N, K, alpha, A.data + offA, lda, B.data + offB, ldb, beta, C.data + offC, ldc);
  return env.Undefined();
}

// fmaPeak(threads, isa = best) -> { gflops, perCore, threads, isa } | null (the CPU cannot run `isa`).
// Runs register-only FMA chains on `threads` pool tasks for about 0.3 s: the machine's measured peak, the
// yardstick of the GEMM benchmark.
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = static_cast<int>(GetInt(info, 0, "threads", 1, 256));
  Isa isa = best_isa();
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsString()) throw Napi::TypeError::New(env, "isa: expected 'avx2' or 'avx512'");
    const std::string s = info[1].As<Napi::String>().Utf8Value();
    if (s == "avx2") isa = Isa::avx2;
    else if (s == "avx512") isa = Isa::avx512;
    else throw Napi::RangeError::New(env, "isa: expected 'avx2' or 'avx512', got '" + s + "'");
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

}  // namespace

void RegisterGemm(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "info", Info);
  Export(env, exports, "setThreads", SetThreads);
  Export(env, exports, "setKernels", SetKernels);
  Export(env, exports, "sgemm", Sgemm);
  Export(env, exports, "fmaPeak", FmaPeak);
}

}  // namespace bind
}  // namespace simdnet
