// Dense, activation, loss, batch-norm and dropout exports (lib/backend/addon.ts). Each function unpacks and checks
// its arguments (types, lengths, label range: TypeError/RangeError, never an abort) and calls native/core.
#include <vector>

#include "binding/args.h"
#include "binding/register.h"
#include "core/elementwise.h"
#include "core/norm.h"

namespace simdnet {
namespace bind {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;

// addBias(y, b, rows, cols)
Napi::Value AddBias(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 y = GetF32(info, 0, "y");
  F32 b = GetF32(info, 1, "b");
  const int64_t rows = GetInt(info, 2, "rows", 0, kMaxDim), cols = GetInt(info, 3, "cols", 0, kMaxDim);
  RequireLength(env, "y", y.length, Mul(env, {uint64_t(rows), uint64_t(cols)}));
  RequireLength(env, "b", b.length, uint64_t(cols));
  add_bias(y.data, b.data, rows, cols);
  return env.Undefined();
}

// sumRows(x, rows, cols, out)
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x");
  const int64_t rows = GetInt(info, 1, "rows", 0, kMaxDim), cols = GetInt(info, 2, "cols", 0, kMaxDim);
  F32 out = GetF32(info, 3, "out");
  RequireLength(env, "x", x.length, Mul(env, {uint64_t(rows), uint64_t(cols)}));
  RequireLength(env, "out", out.length, uint64_t(cols));
  sum_rows(x.data, rows, cols, out.data);
  return env.Undefined();
}

// activationForward(kind, x, y, alpha): over x.length elements
Napi::Value ActivationForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Act kind = static_cast<Act>(GetInt(info, 0, "kind", 0, 3));
  F32 x = GetF32(info, 1, "x");
  F32 y = GetF32(info, 2, "y");
  const float alpha = static_cast<float>(GetNum(info, 3, "alpha"));
  RequireLength(env, "y", y.length, x.length);
  activation_forward(kind, x.data, y.data, x.length, alpha);
  return env.Undefined();
}

// activationBackward(kind, dy, x, y, dx, alpha): over dy.length elements; relu/leakyRelu read x, sigmoid/tanh y
Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Act kind = static_cast<Act>(GetInt(info, 0, "kind", 0, 3));
  F32 dy = GetF32(info, 1, "dy");
  F32 x = GetF32(info, 2, "x");
  F32 y = GetF32(info, 3, "y");
  F32 dx = GetF32(info, 4, "dx");
  const float alpha = static_cast<float>(GetNum(info, 5, "alpha"));
  const size_t n = dy.length;
  if (kind == Act::relu || kind == Act::leaky_relu)
    RequireLength(env, "x", x.length, n);
  else
    RequireLength(env, "y", y.length, n);
  RequireLength(env, "dx", dx.length, n);
  activation_backward(kind, dy.data, x.data, y.data, dx.data, n, alpha);
  return env.Undefined();
}

// axpy(alpha, x, y): y += alpha·x over x.length elements
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const float alpha = static_cast<float>(GetNum(info, 0, "alpha"));
  F32 x = GetF32(info, 1, "x");
  F32 y = GetF32(info, 2, "y");
  RequireLength(env, "y", y.length, x.length);
  axpy(alpha, x.data, y.data, x.length);
  return env.Undefined();
}

// scale(x, s, y): y = s·x over x.length elements
Napi::Value Scale(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x");
  const float s = static_cast<float>(GetNum(info, 1, "s"));
  F32 y = GetF32(info, 2, "y");
  RequireLength(env, "y", y.length, x.length);
  scale(x.data, s, y.data, x.length);
  return env.Undefined();
}

// The targets of the loss and its backward: exactly one of labels[N] (each in [0, C)) and onehot[N·C]; optional
// sampleWeights[N]. Argument positions differ between the two exports.
// The labels are copied before they are checked and the core reads the copy: JS memory can change under us (a
// SharedArrayBuffer another thread writes), and an index checked in one read and used from another would let
// the core write out of bounds. Floats (onehot, weights) cannot misdirect a write, so they are used in place.
struct Targets {
  std::vector<int32_t> labels_copy;
  const int32_t* labels = nullptr;  // labels_copy.data(), or null
  F32 onehot;
  F32 weights;
};
void GetTargets(const Napi::CallbackInfo& info, size_t i_labels, size_t i_onehot, size_t i_weights, int64_t N,
                int64_t C, Targets& t) {
  Napi::Env env = info.Env();
  const I32 labels = GetI32(info, i_labels, "labels", true);
  t.onehot = GetF32(info, i_onehot, "onehot", true);
  t.weights = GetF32(info, i_weights, "sampleWeights", true);
  const bool has_labels = labels.data != nullptr || info[i_labels].IsTypedArray();
  const bool has_onehot = t.onehot.data != nullptr || info[i_onehot].IsTypedArray();
  if (has_labels == has_onehot) {
    throw Napi::TypeError::New(env, std::string("labels/onehot: expected exactly one of labels and onehot to be non-null, got ") +
                                        (has_labels ? "both" : "neither"));
  }
  if (has_labels) {
    RequireLength(env, "labels", labels.length, uint64_t(N));
    t.labels_copy.assign(labels.data, labels.data + N);
    t.labels = t.labels_copy.data();
    for (int64_t n = 0; n < N; n++) {
      const int32_t l = t.labels_copy[n];
      if (l < 0 || l >= C) {
        throw Napi::RangeError::New(env, "labels[" + std::to_string(n) + "]: expected a class index in [0, " +
                                             std::to_string(C - 1) + "], got " + std::to_string(l));
      }
    }
  } else {
    RequireLength(env, "onehot", t.onehot.length, Mul(env, {uint64_t(N), uint64_t(C)}));
  }
  if (!info[i_weights].IsNull() && !info[i_weights].IsUndefined()) RequireLength(env, "sampleWeights", t.weights.length, uint64_t(N));
}

// softmaxCrossEntropy(logits, N, C, labels, onehot, probs, sampleWeights) -> mean loss
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 logits = GetF32(info, 0, "logits");
  const int64_t N = GetInt(info, 1, "N", 1, kMaxDim), C = GetInt(info, 2, "C", 1, int64_t(1) << 31);
  F32 probs = GetF32(info, 5, "probs");
  const uint64_t NC = Mul(env, {uint64_t(N), uint64_t(C)});
  RequireLength(env, "logits", logits.length, NC);
  RequireLength(env, "probs", probs.length, NC);
  Targets t;
  GetTargets(info, 3, 4, 6, N, C, t);
  const double loss = softmax_cross_entropy(logits.data, N, C, t.labels, t.onehot.data, probs.data, t.weights.data);
  return Napi::Number::New(env, loss);
}

// softmaxCrossEntropyBackward(probs, N, C, labels, onehot, scale, sampleWeights, dx)
Napi::Value SoftmaxCrossEntropyBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 probs = GetF32(info, 0, "probs");
  const int64_t N = GetInt(info, 1, "N", 1, kMaxDim), C = GetInt(info, 2, "C", 1, int64_t(1) << 31);
  const float s = static_cast<float>(GetNum(info, 5, "scale"));
  F32 dx = GetF32(info, 7, "dx");
  const uint64_t NC = Mul(env, {uint64_t(N), uint64_t(C)});
  RequireLength(env, "probs", probs.length, NC);
  RequireLength(env, "dx", dx.length, NC);
  Targets t;
  GetTargets(info, 3, 4, 6, N, C, t);
  softmax_cross_entropy_backward(probs.data, N, C, t.labels, t.onehot.data, s, t.weights.data, dx.data);
  return env.Undefined();
}

// batchNormForward(x, N, C, S, gamma, beta, runMean, runVar, momentum, eps, training, y, xn, std)
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x");
  const int64_t N = GetInt(info, 1, "N", 1, kMaxDim), C = GetInt(info, 2, "C", 1, kMaxDim), S = GetInt(info, 3, "S", 1, kMaxDim);
  F32 gamma = GetF32(info, 4, "gamma"), beta = GetF32(info, 5, "beta");
  F32 rm = GetF32(info, 6, "runMean"), rv = GetF32(info, 7, "runVar");
  const double momentum = GetNum(info, 8, "momentum"), eps = GetNum(info, 9, "eps");
  const bool training = GetBool(info, 10, "training");
  F32 y = GetF32(info, 11, "y"), xn = GetF32(info, 12, "xn"), sd = GetF32(info, 13, "std");
  const uint64_t total = Mul(env, {uint64_t(N), uint64_t(C), uint64_t(S)});
  RequireLength(env, "x", x.length, total);
  RequireLength(env, "gamma", gamma.length, uint64_t(C));
  RequireLength(env, "beta", beta.length, uint64_t(C));
  RequireLength(env, "runMean", rm.length, uint64_t(C));
  RequireLength(env, "runVar", rv.length, uint64_t(C));
  RequireLength(env, "y", y.length, total);
  RequireLength(env, "xn", xn.length, total);
  RequireLength(env, "std", sd.length, uint64_t(C));
  batch_norm_forward(x.data, N, C, S, gamma.data, beta.data, rm.data, rv.data, momentum, eps, training, y.data,
                     xn.data, sd.data);
  return env.Undefined();
}

// batchNormBackward(dy, xn, std, gamma, N, C, S, dx, dgamma, dbeta)
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = GetF32(info, 0, "dy"), xn = GetF32(info, 1, "xn"), sd = GetF32(info, 2, "std"), gamma = GetF32(info, 3, "gamma");
  const int64_t N = GetInt(info, 4, "N", 1, kMaxDim), C = GetInt(info, 5, "C", 1, kMaxDim), S = GetInt(info, 6, "S", 1, kMaxDim);
  F32 dx = GetF32(info, 7, "dx"), dgamma = GetF32(info, 8, "dgamma"), dbeta = GetF32(info, 9, "dbeta");
  const uint64_t total = Mul(env, {uint64_t(N), uint64_t(C), uint64_t(S)});
  RequireLength(env, "dy", dy.length, total);
  RequireLength(env, "xn", xn.length, total);
  RequireLength(env, "std", sd.length, uint64_t(C));
  RequireLength(env, "gamma", gamma.length, uint64_t(C));
  RequireLength(env, "dx", dx.length, total);
  RequireLength(env, "dgamma", dgamma.length, uint64_t(C));
  RequireLength(env, "dbeta", dbeta.length, uint64_t(C));
  batch_norm_backward(dy.data, xn.data, sd.data, gamma.data, N, C, S, dx.data, dgamma.data, dbeta.data);
  return env.Undefined();
}

// dropoutForward(x, y, mask, ratio, scale, seed, counter): over x.length elements
Napi::Value DropoutForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x"), y = GetF32(info, 1, "y");
  U8 mask = GetU8(info, 2, "mask");
  const float ratio = static_cast<float>(GetNum(info, 3, "ratio")), s = static_cast<float>(GetNum(info, 4, "scale"));
  const int64_t seed = GetInt(info, 5, "seed", 0, 0xffffffffLL), counter = GetInt(info, 6, "counter", 0, 0xffffffffLL);
  RequireLength(env, "y", y.length, x.length);
  RequireLength(env, "mask", mask.length, x.length);
  dropout_forward(x.data, y.data, mask.data, x.length, ratio, s, static_cast<uint32_t>(seed), static_cast<uint32_t>(counter));
  return env.Undefined();
}

// dropoutBackward(dy, mask, scale, dx): over dy.length elements
Napi::Value DropoutBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = GetF32(info, 0, "dy");
  U8 mask = GetU8(info, 1, "mask");
  const float s = static_cast<float>(GetNum(info, 2, "scale"));
  F32 dx = GetF32(info, 3, "dx");
  RequireLength(env, "mask", mask.length, dy.length);
  RequireLength(env, "dx", dx.length, dy.length);
  dropout_backward(dy.data, mask.data, s, dx.data, dy.length);
  return env.Undefined();
}

}  // namespace

void RegisterOps(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "addBias", AddBias);
  Export(env, exports, "sumRows", SumRows);
  Export(env, exports, "activationForward", ActivationForward);
  Export(env, exports, "activationBackward", ActivationBackward);
  Export(env, exports, "axpy", Axpy);
  Export(env, exports, "scale", Scale);
  Export(env, exports, "softmaxCrossEntropy", SoftmaxCrossEntropy);
  Export(env, exports, "softmaxCrossEntropyBackward", SoftmaxCrossEntropyBackward);
  Export(env, exports, "batchNormForward", BatchNormForward);
  Export(env, exports, "batchNormBackward", BatchNormBackward);
  Export(env, exports, "dropoutForward", DropoutForward);
  Export(env, exports, "dropoutBackward", DropoutBackward);
}

}  // namespace bind
}  // namespace simdnet
