// Dense, activation, loss, batch-norm and dropout exports: the op bodies behind the generated unpacking
// (native/ops.json, ops.generated.cpp), plus the checks a declaration cannot state (which of x/y an activation
// reads, the loss targets' labels range).
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/ops.generated.h"
#include "core/elementwise.h"
#include "core/norm.h"

namespace simdnet {
namespace bind {
namespace {

// The targets of the loss and its backward: exactly one of labels[N] (each in [0, C)) and onehot[N·C] (its length
// checked by the unpacking); optional sampleWeights[N].
// The labels are copied before they are checked and the core reads the copy: JS memory can change under us (a
// SharedArrayBuffer another thread writes), and an index checked in one read and used from another would let
// the core write out of bounds. Floats (onehot, weights) cannot misdirect a write, so they are used in place.
struct Targets {
  std::vector<int32_t> labels_copy;
  const int32_t* labels = nullptr;  // labels_copy.data(), or null
};
void GetTargets(Napi::Env env, const I32& labels, const F32& onehot, int64_t N, int64_t C, Targets& t) {
  const bool has_labels = labels.data != nullptr, has_onehot = onehot.data != nullptr;
  if (has_labels == has_onehot) {
    throw Napi::TypeError::New(env, std::string("labels/onehot: expected exactly one of labels and onehot to be non-null, got ") +
                                        (has_labels ? "both" : "neither"));
  }
  if (!has_labels) return;
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
}

}  // namespace

namespace impl {

Napi::Value addBias(Napi::Env env, const AddBiasArgs& a) {
  add_bias(a.y.data, a.b.data, a.rows, a.cols);
  return env.Undefined();
}

Napi::Value sumRows(Napi::Env env, const SumRowsArgs& a) {
  sum_rows(a.x.data, a.rows, a.cols, a.out.data);
  return env.Undefined();
}

Napi::Value activationForward(Napi::Env env, const ActivationForwardArgs& a) {
  activation_forward(a.kind, a.x.data, a.y.data, a.x.length, a.alpha);
  return env.Undefined();
}

// relu/leakyRelu read x, sigmoid/tanh y: only the one read must hold dy.length elements.
Napi::Value activationBackward(Napi::Env env, const ActivationBackwardArgs& a) {
  const size_t n = a.dy.length;
  if (a.kind == Act::relu || a.kind == Act::leaky_relu)
    RequireLength(env, "x", a.x.length, n);
  else
    RequireLength(env, "y", a.y.length, n);
  activation_backward(a.kind, a.dy.data, a.x.data, a.y.data, a.dx.data, n, a.alpha);
  return env.Undefined();
}

Napi::Value axpy(Napi::Env env, const AxpyArgs& a) {
  simdnet::axpy(a.alpha, a.x.data, a.y.data, a.x.length);
  return env.Undefined();
}

Napi::Value addForward(Napi::Env env, const AddForwardArgs& a) {
  add_forward(a.a.data, a.b.data, a.relu, a.y.data, a.a.length);
  return env.Undefined();
}

Napi::Value reluBackwardSum(Napi::Env env, const ReluBackwardSumArgs& a) {
  relu_backward_sum(a.dy0.data, a.dy1.data, a.y.data, a.dx.data, a.dy0.length);
  return env.Undefined();
}

Napi::Value scale(Napi::Env env, const ScaleArgs& a) {
  simdnet::scale(a.x.data, a.s, a.y.data, a.x.length);
  return env.Undefined();
}

// -> the mean loss
Napi::Value softmaxCrossEntropy(Napi::Env env, const SoftmaxCrossEntropyArgs& a) {
  Targets t;
  GetTargets(env, a.labels, a.onehot, a.N, a.C, t);
  const double loss = softmax_cross_entropy(a.logits.data, a.N, a.C, t.labels, a.onehot.data, a.probs.data,
                                            a.sampleWeights.data);
  return Napi::Number::New(env, loss);
}

Napi::Value softmaxCrossEntropyBackward(Napi::Env env, const SoftmaxCrossEntropyBackwardArgs& a) {
  Targets t;
  GetTargets(env, a.labels, a.onehot, a.N, a.C, t);
  softmax_cross_entropy_backward(a.probs.data, a.N, a.C, t.labels, a.onehot.data, a.scale, a.sampleWeights.data,
                                 a.dx.data);
  return env.Undefined();
}

Napi::Value batchNormForward(Napi::Env env, const BatchNormForwardArgs& a) {
  batch_norm_forward(a.x.data, a.shape.N, a.shape.C, a.shape.S, a.gamma.data, a.beta.data, a.runMean.data,
                     a.runVar.data, a.options.momentum, a.options.eps, a.options.training, a.options.relu, a.y.data,
                     a.mean.data, a.std.data);
  return env.Undefined();
}

Napi::Value batchNormBackward(Napi::Env env, const BatchNormBackwardArgs& a) {
  batch_norm_backward(a.dy.data, a.x.data, a.relu, a.mean.data, a.std.data, a.gamma.data, a.beta.data, a.shape.N,
                      a.shape.C, a.shape.S, a.dx.data, a.dgamma.data, a.dbeta.data);
  return env.Undefined();
}

Napi::Value dropoutForward(Napi::Env env, const DropoutForwardArgs& a) {
  dropout_forward(a.x.data, a.y.data, a.mask.data, a.x.length, a.ratio, a.scale, a.seed, a.counter);
  return env.Undefined();
}

Napi::Value dropoutBackward(Napi::Env env, const DropoutBackwardArgs& a) {
  dropout_backward(a.dy.data, a.mask.data, a.scale, a.dx.data, a.dy.length);
  return env.Undefined();
}

}  // namespace impl
}  // namespace bind
}  // namespace simdnet
