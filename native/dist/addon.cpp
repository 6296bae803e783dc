// simdnet_mpi.node: the optional addon of data-parallel training (lib/dist/). Built at install time only when
// Open MPI's compiler wrapper is present (scripts/build-mpi.js), linked against libmpi; the main addon never
// links MPI, so the published prebuild loads on machines without it. The binding only unpacks arguments and
// calls the process-wide Comm (native/dist/comm.h); every MPI call happens on Comm's thread.
//
// Load-time detail: Node loads addons with RTLD_LOCAL, so libmpi (pulled in as our dependency) would not be
// in the global symbol scope, and Open MPI's plugins (mca_*.so, which Debian builds without a link to libmpi)
// then fail to load with undefined symbols. The module's init re-opens the already loaded libmpi with
// RTLD_GLOBAL | RTLD_NOLOAD (what mpi4py and MPI.jl do), before MPI_Init_thread runs.
#include <dlfcn.h>
#include <napi.h>

#include <string>

#include "comm.h"
#include "signals.h"

namespace {

using simdnet::dist::Comm;
using simdnet::dist::Job;
using simdnet::dist::JobKind;

Comm* g_comm = nullptr;  // process-wide: MPI is initialized once per process
std::string g_global_error;

Comm& comm() {
  if (!g_comm) g_comm = new Comm();
  return *g_comm;
}

int IntArg(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + ": expected a number");
  }
  return info[i].As<Napi::Number>().Int32Value();
}

std::string LabelArg(const Napi::CallbackInfo& info, std::size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "label: expected a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::TypedArray ArrayArg(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + ": expected a typed array");
  }
  return info[i].As<Napi::TypedArray>();
}

void* DataOf(Napi::TypedArray a) {
  return static_cast<char*>(a.ArrayBuffer().Data()) + a.ByteOffset();
}

void RequireInit(Napi::Env env) {
  if (!g_comm || !g_comm->initialized()) throw Napi::Error::New(env, "simdnet_mpi: init() first");
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int timeout = IntArg(info, 0, "timeoutMs");
  if (!g_global_error.empty()) throw Napi::Error::New(env, g_global_error);
  std::string err;
  if (!comm().init(timeout, &err)) throw Napi::Error::New(env, err);
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", comm().rank());
  o.Set("size", comm().size());
  o.Set("threadLevel", comm().thread_level());
  o.Set("library", comm().library());
  return o;
}

Napi::Value AllreduceStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  Napi::TypedArray a = ArrayArg(info, 0, "buffer");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "scale: expected a number");
  double scale = info[1].As<Napi::Number>().DoubleValue();
  Job j{};
  if (a.TypedArrayType() == napi_float32_array) j.kind = JobKind::kAllreduceSumF32;
  else if (a.TypedArrayType() == napi_float64_array) j.kind = JobKind::kAllreduceSumF64;
  else throw Napi::TypeError::New(env, "buffer: expected a Float32Array or Float64Array");
  if (j.kind == JobKind::kAllreduceSumF64 && scale != 1.0) throw Napi::RangeError::New(env, "scale: only Float32Array buckets are scaled");
  j.buf = DataOf(a);
  j.count = a.ElementLength();
  j.scale = scale;
  j.label = LabelArg(info, 2);
  return Napi::Number::New(env, static_cast<double>(comm().submit(std::move(j))));
}

Napi::Value AllgatherStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  Napi::TypedArray local = ArrayArg(info, 0, "local");
  Napi::TypedArray out = ArrayArg(info, 1, "out");
  std::size_t bytes = local.ByteLength();
  if (out.ByteLength() != bytes * static_cast<std::size_t>(comm().size())) {
    throw Napi::RangeError::New(env, "out: expected " + std::to_string(bytes * comm().size()) + " bytes (size × local), got " +
                                         std::to_string(out.ByteLength()));
  }
  Job j{};
  j.kind = JobKind::kAllgatherBytes;
  j.buf = DataOf(local);
  j.out = DataOf(out);
  j.count = bytes;
  j.scale = 1;
  j.label = LabelArg(info, 2);
  comm().submit(std::move(j));
  return env.Undefined();
}

Napi::Value BcastStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  Napi::TypedArray a = ArrayArg(info, 0, "buffer");
  int root = IntArg(info, 1, "root");
  if (root < 0 || root >= comm().size()) throw Napi::RangeError::New(env, "root: expected a rank below " + std::to_string(comm().size()));
  Job j{};
  j.kind = JobKind::kBcastBytes;
  j.buf = DataOf(a);
  j.count = a.ByteLength();
  j.scale = 1;
  j.root = root;
  j.label = LabelArg(info, 2);
  comm().submit(std::move(j));
  return env.Undefined();
}

Napi::Value WaitAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  int timeout = IntArg(info, 0, "timeoutMs");
  std::string err;
  if (!comm().wait_all(timeout, &err)) throw Napi::Error::New(env, err);
  return env.Undefined();
}

// waitUntil(seq, timeoutMs): every collective up to sequence number seq (allreduceStart's return) completed.
Napi::Value WaitUntil(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env);
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "seq: expected a number");
  const double seq = info[0].As<Napi::Number>().DoubleValue();
  if (!(seq >= 0 && seq <= 9007199254740991.0) || seq != static_cast<double>(static_cast<std::uint64_t>(seq))) {
    throw Napi::RangeError::New(env, "seq: expected a sequence number from allreduceStart (an integer >= 0), got " + std::to_string(seq));
  }
  int timeout = IntArg(info, 1, "timeoutMs");
  std::string err;
  if (!comm().wait_until(static_cast<std::uint64_t>(seq), timeout, &err)) throw Napi::Error::New(env, err);
  return env.Undefined();
}

Napi::Value Poke(const Napi::CallbackInfo& info) {
  if (g_comm && g_comm->initialized()) g_comm->poke();
  return info.Env().Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  simdnet::dist::CommStats s = g_comm ? g_comm->stats() : simdnet::dist::CommStats{};
  o.Set("jobs", static_cast<double>(s.jobs));
  o.Set("payloadBytes", static_cast<double>(s.payload_bytes));
  o.Set("waitMs", static_cast<double>(s.wait_ns) / 1e6);
  o.Set("pokes", static_cast<double>(s.pokes));
  o.Set("pokedRounds", static_cast<double>(s.poked_rounds));
  return o;
}

Napi::Value Abort(const Napi::CallbackInfo& info) {
  int code = IntArg(info, 0, "code");
  if (g_comm && g_comm->initialized()) g_comm->abort(code);
  return info.Env().Undefined();
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string err;
  if (g_comm && !g_comm->finalize(&err)) throw Napi::Error::New(env, err);
  return env.Undefined();
}

// guardFile(path, ending): registers a temporary file for removal when one of the `ending` signals (bits: 1 SIGINT,
// 2 SIGTERM, 4 SIGHUP) ends the process (native/dist/signals.h); returns a slot for unguardFile, -1 when not guarded.
Napi::Value GuardFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "path: expected a string");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const int ending = IntArg(info, 1, "ending");
  if (ending < 0 || ending > 7) throw Napi::RangeError::New(env, "ending: expected bits of 1 (SIGINT), 2 (SIGTERM), 4 (SIGHUP), got " + std::to_string(ending));
  return Napi::Number::New(env, simdnet::dist::guard_file(path.c_str(), path.size(), static_cast<unsigned>(ending)));
}

Napi::Value UnguardFile(const Napi::CallbackInfo& info) {
  simdnet::dist::unguard_file(IntArg(info, 0, "slot"));
  return info.Env().Undefined();
}

Napi::Value GuardedFiles(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), simdnet::dist::guarded_files());
}

Napi::Value Failed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), g_comm != nullptr && g_comm->failed());
}

void PromoteLibmpi() {
  Dl_info dl{};
  if (dladdr(reinterpret_cast<void*>(&MPI_Init_thread), &dl) == 0 || dl.dli_fname == nullptr) {
    g_global_error = "simdnet_mpi: cannot locate the loaded libmpi (dladdr failed)";
    return;
  }
  if (dlopen(dl.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == nullptr) {
    const char* e = dlerror();
    g_global_error = std::string("simdnet_mpi: cannot make ") + dl.dli_fname + " global: " + (e ? e : "?");
  }
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  static bool promoted = false;
  if (!promoted) {
    PromoteLibmpi();
    promoted = true;
  }
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("allreduceStart", Napi::Function::New(env, AllreduceStart));
  exports.Set("allgatherStart", Napi::Function::New(env, AllgatherStart));
  exports.Set("bcastStart", Napi::Function::New(env, BcastStart));
  exports.Set("waitAll", Napi::Function::New(env, WaitAll));
  exports.Set("waitUntil", Napi::Function::New(env, WaitUntil));
  exports.Set("poke", Napi::Function::New(env, Poke));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("abort", Napi::Function::New(env, Abort));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("failed", Napi::Function::New(env, Failed));
  exports.Set("guardFile", Napi::Function::New(env, GuardFile));
  exports.Set("unguardFile", Napi::Function::New(env, UnguardFile));
  exports.Set("guardedFiles", Napi::Function::New(env, GuardedFiles));
  return exports;
}

}  // namespace

NODE_API_MODULE(simdnet_mpi, Module)
