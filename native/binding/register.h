// Registration of the exports: every one runs under CallGuarded.
#pragma once
#include <napi.h>

namespace simdnet {
namespace bind {

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

// Every export is declared in native/ops.json; ops.generated.cpp unpacks and checks its arguments, registers it
// with Export() (RegisterOps, ops.generated.h) and calls its body, impl::<op> in bind_*.cpp: bind_gemm.cpp (info,
// threads, kernels, sgemm), bind_conv.cpp (im2col, conv, pooling), bind_ops.cpp (activations, losses, norm,
// dropout, bias), bind_train.cpp (optimizer updates, augmentation, f16). The interface hash of native/ops.json
// (kInterfaceHash) is reported by info().interface and checked at load (lib/backend/addon.ts).

}  // namespace bind
}  // namespace simdnet
