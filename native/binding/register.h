// Each bind_*.cpp adds its family's functions to the exports. The addon calls them all at load.
#pragma once
#include <napi.h>

namespace simdnet {
namespace bind {

// The binding's interface version, reported by info().abi and checked at load by lib/backend/addon.ts
// (NATIVE_ABI): bump both whenever an export's arguments or meaning change, so a stale binary fails loudly
// instead of misreading its arguments.
constexpr int kAbiVersion = 3;

// An export's body: unpacks its arguments, calls native/core, packs the result.
using ExportFn = Napi::Value (*)(const Napi::CallbackInfo&);

// Calls fn(info), turning every C++ exception that escapes it into a JS error, so nothing reachable from JS can
// abort the process (an exception leaving an N-API callback calls std::terminate): Napi::Error passes through
// as thrown; std::bad_alloc becomes RangeError "out of memory: <name> ..."; std::length_error (a size past what
// a container can hold) a RangeError; any other exception an Error naming the export. Used by Export(): every
// export goes through it (export.cpp), generated bindings included.
Napi::Value CallGuarded(const Napi::CallbackInfo& info, ExportFn fn, const char* name);

// exports[name] = a JS function running fn under CallGuarded. `name` must outlive the addon (a literal).
void Export(Napi::Env env, Napi::Object exports, const char* name, ExportFn fn);

void RegisterGemm(Napi::Env env, Napi::Object exports);   // bind_gemm.cpp: info, threads, kernels, sgemm
void RegisterConv(Napi::Env env, Napi::Object exports);   // bind_conv.cpp: im2col, col2im, conv, pooling
void RegisterOps(Napi::Env env, Napi::Object exports);    // bind_ops.cpp: activations, losses, norm, dropout, bias
void RegisterTrain(Napi::Env env, Napi::Object exports);  // bind_train.cpp: optimizer updates, augmentation, f16

}  // namespace bind
}  // namespace simdnet
