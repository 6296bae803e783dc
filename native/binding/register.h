// Each bind_*.cpp adds its family's functions to the exports. The addon calls them all at load.
#pragma once
#include <napi.h>

namespace simdnet {
namespace bind {

// The binding's interface version, reported by info().abi and checked at load by lib/backend/addon.ts
// (NATIVE_ABI): bump both whenever an export's arguments or meaning change, so a stale binary fails loudly
// instead of misreading its arguments.
constexpr int kAbiVersion = 3;

void RegisterGemm(Napi::Env env, Napi::Object exports);   // bind_gemm.cpp: info, threads, kernels, sgemm
void RegisterConv(Napi::Env env, Napi::Object exports);   // bind_conv.cpp: im2col, col2im, conv, pooling
void RegisterOps(Napi::Env env, Napi::Object exports);    // bind_ops.cpp: activations, losses, norm, dropout, bias
void RegisterTrain(Napi::Env env, Napi::Object exports);  // bind_train.cpp: optimizer updates, augmentation, f16

}  // namespace bind
}  // namespace simdnet
