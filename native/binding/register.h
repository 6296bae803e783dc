// Each bind_*.cpp adds its family's functions to the exports. The addon calls them all at load.
#pragma once
#include <napi.h>

namespace simdnet {
namespace bind {

void RegisterGemm(Napi::Env env, Napi::Object exports);   // bind_gemm.cpp: info, threads, kernels, sgemm
void RegisterConv(Napi::Env env, Napi::Object exports);   // bind_conv.cpp: im2col, col2im, conv, pooling
void RegisterOps(Napi::Env env, Napi::Object exports);    // bind_ops.cpp: activations, losses, norm, dropout, bias
void RegisterTrain(Napi::Env env, Napi::Object exports);  // bind_train.cpp: optimizer updates, augmentation, f16

}  // namespace bind
}  // namespace simdnet
