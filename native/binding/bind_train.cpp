// Training-support exports (lib/backend/addon.ts): the fused optimizer step, half-precision conversion (and the
// data-augmentation export, registered below). Arguments are checked (TypeError/RangeError, never an abort).
#include <cmath>
#include <string>

#include "binding/args.h"
#include "binding/register.h"
#include "core/augment.h"
#include "core/half.h"
#include "core/optim.h"

namespace simdnet {
namespace bind {
namespace {

// optimizerStep(rule, param, grad, s1, s2, h): h = Float64Array [lr, momentum, decayRate, beta1, beta2, t, weightDecay]
Napi::Value OptimizerStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const OptRule rule = static_cast<OptRule>(GetInt(info, 0, "rule", 0, 6));
  F32 param = GetF32(info, 1, "param");
  F32 grad = GetF32(info, 2, "grad");
  F32 s1 = GetF32(info, 3, "s1", true);
  F32 s2 = GetF32(info, 4, "s2", true);
  Napi::Value hv = info[5];
  if (!hv.IsTypedArray() || hv.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, "hyper: expected a Float64Array of 7 hyperparameters");
  }
  Napi::Float64Array ha = hv.As<Napi::Float64Array>();
  if (ha.ElementLength() < 7) throw Napi::RangeError::New(env, "hyper: expected at least 7 elements, got " + std::to_string(ha.ElementLength()));
  static const char* const kNames[7] = {"hyper.lr", "hyper.momentum", "hyper.decayRate", "hyper.beta1",
                                        "hyper.beta2", "hyper.t", "hyper.weightDecay"};
  double hd[7];
  for (int i = 0; i < 7; i++) {
    hd[i] = ha[i];
    if (!std::isfinite(hd[i])) throw Napi::RangeError::New(env, std::string(kNames[i]) + ": expected a finite number, got " + std::to_string(hd[i]));
  }
  const OptimHyper h{hd[0], hd[1], hd[2], hd[3], hd[4], hd[5], hd[6]};
  const size_t n = param.length;
  RequireLength(env, "grad", grad.length, n);
  const int ns = optim_state_count(rule);
  static const char* const kRules[7] = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"};
  const std::string rule_name = kRules[static_cast<int>(rule)];
  if (ns >= 1) {
    if (info[3].IsNull() || info[3].IsUndefined())
      throw Napi::TypeError::New(env, "s1: expected a Float32Array (rule '" + rule_name + "' keeps state in it), got null");
    RequireLength(env, "s1", s1.length, n);
  }
  if (ns >= 2) {
    if (info[4].IsNull() || info[4].IsUndefined())
      throw Napi::TypeError::New(env, "s2: expected a Float32Array (rule '" + rule_name + "' keeps state in it), got null");
    RequireLength(env, "s2", s2.length, n);
  }
  if ((rule == OptRule::adam || rule == OptRule::adamw) && h.t < 1.0) {
    throw Napi::RangeError::New(env, "hyper.t: expected a step count >= 1, got " + std::to_string(h.t));
  }
  optimizer_step(rule, param.data, grad.data, s1.data, s2.data, n, h);
  return env.Undefined();
}

// toHalf(src: Float32Array, dst: Uint16Array): over src.length elements
Napi::Value ToHalf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 src = GetF32(info, 0, "src");
  U16 dst = GetU16(info, 1, "dst");
  RequireLength(env, "dst", dst.length, src.length);
  to_half(src.data, dst.data, src.length);
  return env.Undefined();
}

// fromHalf(src: Uint16Array, dst: Float32Array): over src.length elements
Napi::Value FromHalf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  U16 src = GetU16(info, 0, "src");
  F32 dst = GetF32(info, 1, "dst");
  RequireLength(env, "dst", dst.length, src.length);
  from_half(src.data, dst.data, src.length);
  return env.Undefined();
}

}  // namespace

namespace {

// augment(x, N, C, H, W, shift, rotation, flipHorizontal, flipVertical, cropPadding, brightness, fill, seed, counter, y)
// x, y: Float32Array [N, C, H, W], not overlapping. Ranges as lib/data/augment.ts validates them.
Napi::Value Augment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x");
  const int64_t N = GetInt(info, 1, "N", 0, INT32_MAX);
  const int64_t C = GetInt(info, 2, "C", 1, INT32_MAX);
  const int64_t H = GetInt(info, 3, "H", 1, INT32_MAX);
  const int64_t W = GetInt(info, 4, "W", 1, INT32_MAX);
  AugmentOptions o;
  o.shift = GetNum(info, 5, "shift");
  if (o.shift < 0 || o.shift > 1) throw Napi::RangeError::New(env, "shift: expected a number in [0, 1], got " + std::to_string(o.shift));
  o.rotation = GetNum(info, 6, "rotation");
  o.flip_h = GetBool(info, 7, "flipHorizontal");
  o.flip_v = GetBool(info, 8, "flipVertical");
  o.crop_padding = static_cast<int>(GetInt(info, 9, "cropPadding", 0, 1 << 20));
  o.brightness = GetNum(info, 10, "brightness");
  o.fill = GetNum(info, 11, "fill");
  const uint32_t seed = static_cast<uint32_t>(GetInt(info, 12, "seed", 0, 0xffffffffLL));
  const uint32_t counter = static_cast<uint32_t>(GetInt(info, 13, "counter", 0, 0xffffffffLL));
  F32 y = GetF32(info, 14, "y");
  const uint64_t n = Mul(env, {static_cast<uint64_t>(N), static_cast<uint64_t>(C), static_cast<uint64_t>(H), static_cast<uint64_t>(W)});
  RequireLength(env, "x", x.length, n);
  RequireLength(env, "y", y.length, n);
  if (n > 0 && x.data < y.data + n && y.data < x.data + n) throw Napi::RangeError::New(env, "y: expected an array that does not overlap x");
  augment_batch(x.data, static_cast<size_t>(N), static_cast<int>(C), static_cast<int>(H), static_cast<int>(W), o, seed, counter, y.data);
  return env.Undefined();
}

}  // namespace

void RegisterTrain(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "optimizerStep", OptimizerStep);
  Export(env, exports, "toHalf", ToHalf);
  Export(env, exports, "fromHalf", FromHalf);
  Export(env, exports, "augment", Augment);
}

}  // namespace bind
}  // namespace simdnet
