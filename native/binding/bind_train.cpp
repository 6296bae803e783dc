// Training-support exports: the fused optimizer step, half-precision conversion and data augmentation: the op
// bodies behind the generated unpacking (native/ops.json, ops.generated.cpp), plus the checks a declaration cannot
// state (the state arrays a rule keeps, adam's step count, non-overlapping augment buffers).
#include <string>

#include "binding/args.h"
#include "binding/ops.generated.h"
#include "core/augment.h"
#include "core/half.h"
#include "core/optim.h"

namespace simdnet {
namespace bind {
namespace impl {

Napi::Value optimizerStep(Napi::Env env, const OptimizerStepArgs& a) {
  const int ns = kOptRuleStates[static_cast<int>(a.rule)];
  const std::string rule = kOptRuleNames[static_cast<int>(a.rule)];
  if (ns >= 1 && !a.s1.data) {
    throw Napi::TypeError::New(env, "s1: expected a Float32Array (rule '" + rule + "' keeps state in it), got null");
  }
  if (ns >= 2 && !a.s2.data) {
    throw Napi::TypeError::New(env, "s2: expected a Float32Array (rule '" + rule + "' keeps state in it), got null");
  }
  if ((a.rule == OptRule::adam || a.rule == OptRule::adamw) && a.hyper.t < 1.0) {
    throw Napi::RangeError::New(env, "hyper.t: expected a step count >= 1, got " + std::to_string(a.hyper.t));
  }
  optimizer_step(a.rule, a.param.data, a.grad.data, a.s1.data, a.s2.data, a.param.length, a.hyper);
  return env.Undefined();
}

Napi::Value toHalf(Napi::Env env, const ToHalfArgs& a) {
  to_half(a.src.data, a.dst.data, a.src.length);
  return env.Undefined();
}

Napi::Value fromHalf(Napi::Env env, const FromHalfArgs& a) {
  from_half(a.src.data, a.dst.data, a.src.length);
  return env.Undefined();
}

Napi::Value augment(Napi::Env env, const AugmentArgs& a) {
  const uint64_t n = Mul(env, {uint64_t(a.N), uint64_t(a.C), uint64_t(a.H), uint64_t(a.W)});
  if (n > 0 && a.x.data < a.y.data + n && a.y.data < a.x.data + n) {
    throw Napi::RangeError::New(env, "y: expected an array that does not overlap x");
  }
  augment_batch(a.x.data, static_cast<size_t>(a.N), static_cast<int>(a.C), static_cast<int>(a.H), static_cast<int>(a.W),
                a.cfg, a.seed, a.counter, a.y.data);
  return env.Undefined();
}

}  // namespace impl
}  // namespace bind
}  // namespace simdnet
