// Convolution and pooling exports: the op bodies behind the generated unpacking (native/ops.json,
// ops.generated.cpp), which has checked every argument's type and length and the window (output size >= 1).
#include <string>

#include "binding/args.h"
#include "binding/ops.generated.h"
#include "core/conv.h"
#include "core/im2col.h"
#include "core/pool.h"
#include "core/winograd.h"

namespace simdnet {
namespace bind {
namespace {

void CheckWorkspace(Napi::Env env, bool ok, const char* op) {
  if (!ok) throw Napi::RangeError::New(env, std::string(op) + ": could not allocate its workspace (dimensions too large)");
}

// Max pooling: argmax holds Int32 indices into x, and every window must hold a real element.
void CheckMaxPool(Napi::Env env, const WindowGeom& g) {
  if (g.pad >= g.KH || g.pad >= g.KW) {
    throw Napi::RangeError::New(env, "pad: expected less than KH and KW for max pooling (every window must hold an "
                                     "input element), got pad=" + std::to_string(g.pad) + " with KH=" +
                                         std::to_string(g.KH) + ", KW=" + std::to_string(g.KW));
  }
  const uint64_t total = Mul(env, {uint64_t(g.N), uint64_t(g.C), uint64_t(g.H), uint64_t(g.W)});
  if (total > 2147483647ull) {
    throw Napi::RangeError::New(env, "x: expected at most 2147483647 elements (Int32 argmax), got " + std::to_string(total));
  }
}

}  // namespace

namespace impl {

Napi::Value im2col(Napi::Env env, const Im2colArgs& a) {
  CheckWorkspace(env, simdnet::im2col(a.x.data, a.g, a.col.data), "im2col");
  return env.Undefined();
}

Napi::Value col2im(Napi::Env env, const Col2imArgs& a) {
  CheckWorkspace(env, simdnet::col2im(a.col.data, a.g, a.x.data), "col2im");
  return env.Undefined();
}

Napi::Value convForward(Napi::Env env, const ConvForwardArgs& a) {
  CheckWorkspace(env, conv_forward(a.x.data, a.w.data, a.b.data, a.g, a.F, a.y.data, a.relu), "convForward");
  return env.Undefined();
}

Napi::Value convInferenceForward(Napi::Env env, const ConvInferenceForwardArgs& a) {
  const int64_t Y = a.g.N * a.F * a.g.OH * a.g.OW;  // the elements of y and r used (their lengths are checked)
  if (a.r.data && a.r.data < a.y.data + Y && a.y.data < a.r.data + Y) {
    throw Napi::RangeError::New(env, "r: expected an array not overlapping y (the residual is read after y is written), got an overlapping view");
  }
  CheckWorkspace(env, conv_forward_inference(a.x.data, a.w.data, a.b.data, a.g, a.F, a.y.data, a.relu, a.r.data),
                 "convInferenceForward");
  return env.Undefined();
}

Napi::Value convBackward(Napi::Env env, const ConvBackwardArgs& a) {
  CheckWorkspace(env, conv_backward(a.dy.data, a.x.data, a.w.data, a.g, a.F, a.dx.data, a.dw.data, a.db.data, a.y.data),
                 "convBackward");
  return env.Undefined();
}

// `what` (a window) must describe the output [N, F, OH, OW] of the convolution g with F filters.
void CheckReads(Napi::Env env, const char* name, const char* what, const WindowGeom& w, const WindowGeom& g, int64_t F) {
  if (w.N != g.N || w.C != F || w.H != g.OH || w.W != g.OW) {
    throw Napi::RangeError::New(env, std::string(name) + ": expected " + what + " (N " + std::to_string(g.N) +
                                         ", C " + std::to_string(F) + ", H " + std::to_string(g.OH) + ", W " +
                                         std::to_string(g.OW) + "), got N " + std::to_string(w.N) + ", C " +
                                         std::to_string(w.C) + ", H " + std::to_string(w.H) + ", W " +
                                         std::to_string(w.W));
  }
}

Napi::Value convConvMaxPoolForward(Napi::Env env, const ConvConvMaxPoolForwardArgs& a) {
  CheckReads(env, "g2", "the second convolution over the first one's output", a.g2, a.g1, a.F1);
  CheckReads(env, "p", "the pool over the second convolution's output", a.p, a.g2, a.F2);
  CheckMaxPool(env, a.p);
  CheckWorkspace(env, conv2_forward_max_pool(a.x.data, a.w1.data, a.b1.data, a.g1, a.F1, a.relu1, a.w2.data, a.b2.data,
                                             a.g2, a.F2, a.relu2, a.p, a.z.data),
                 "convConvMaxPoolForward");
  return env.Undefined();
}

// Every argmax is checked where the core uses it (it may sit in a SharedArrayBuffer another thread writes).
Napi::Value convMaxPoolBackward(Napi::Env env, const ConvMaxPoolBackwardArgs& a) {
  CheckReads(env, "p", "the pool over the convolution's output", a.p, a.g, a.F);
  CheckMaxPool(env, a.p);
  const int64_t r = conv_backward_max_pool(a.dz.data, a.argmax.data, a.z.data, a.x.data, a.w.data, a.g, a.F, a.relu,
                                           a.p, a.dx.data, a.dw.data, a.db.data);
  CheckWorkspace(env, r != -2, "convMaxPoolBackward");
  if (r >= 0) {
    const uint64_t total = Mul(env, {uint64_t(a.p.N), uint64_t(a.p.C), uint64_t(a.p.H), uint64_t(a.p.W)});
    throw Napi::RangeError::New(env, "argmax[" + std::to_string(r) + "]: expected an index into the convolution's "
                                         "output in [0, " + std::to_string(total) + "), got " +
                                         std::to_string(a.argmax.data[r]));
  }
  return env.Undefined();
}

Napi::Value convMaxPoolForward(Napi::Env env, const ConvMaxPoolForwardArgs& a) {
  const WindowGeom& g = a.g;
  const WindowGeom& p = a.p;
  CheckReads(env, "p", "the pool over the convolution's output", p, g, a.F);
  CheckMaxPool(env, p);
  CheckWorkspace(env, conv_forward_max_pool(a.x.data, a.w.data, a.b.data, g, a.F, a.relu, p, a.z.data, a.argmax.data),
                 "convMaxPoolForward");
  return env.Undefined();
}

Napi::Value setWinograd(Napi::Env env, const SetWinogradArgs& a) { return Napi::Boolean::New(env, set_winograd(a.on)); }

// -> {forward, weightGrad, inputGrad, inference}
Napi::Value convPlan(Napi::Env env, const ConvPlanArgs& a) {
  const ConvPlan p = conv_plan(a.g, a.F, a.needDx);
  Napi::Object o = Napi::Object::New(env);
  o.Set("forward", p.forward);
  o.Set("weightGrad", p.weight_grad);
  o.Set("inputGrad", p.input_grad);
  o.Set("inference", p.inference);
  return o;
}

Napi::Value maxPoolForward(Napi::Env env, const MaxPoolForwardArgs& a) {
  CheckMaxPool(env, a.g);
  max_pool_forward(a.x.data, a.g, a.y.data, a.argmax.data);
  return env.Undefined();
}

// Every argmax is checked where the core uses it (it may sit in a SharedArrayBuffer another thread writes).
Napi::Value maxPoolBackward(Napi::Env env, const MaxPoolBackwardArgs& a) {
  CheckMaxPool(env, a.g);
  const int64_t bad = max_pool_backward(a.dy.data, a.argmax.data, a.g, a.dx.data);
  if (bad >= 0) {
    const uint64_t total = Mul(env, {uint64_t(a.g.N), uint64_t(a.g.C), uint64_t(a.g.H), uint64_t(a.g.W)});
    throw Napi::RangeError::New(env, "argmax[" + std::to_string(bad) + "]: expected an index into x in [0, " +
                                         std::to_string(total) + "), got " + std::to_string(a.argmax.data[bad]));
  }
  return env.Undefined();
}

Napi::Value avgPoolForward(Napi::Env env, const AvgPoolForwardArgs& a) {
  avg_pool_forward(a.x.data, a.g, a.y.data);
  return env.Undefined();
}

Napi::Value avgPoolBackward(Napi::Env env, const AvgPoolBackwardArgs& a) {
  avg_pool_backward(a.dy.data, a.g, a.dx.data);
  return env.Undefined();
}

}  // namespace impl
}  // namespace bind
}  // namespace simdnet
