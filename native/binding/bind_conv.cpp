// Convolution and pooling exports (signatures in lib/backend/addon.ts). Geometry comes flattened as
// (N, C, H, W, KH, KW, stride, pad): every dimension is checked (integers, output size >= 1), every array's
// type and length, then the core runs. Nothing reachable from JS can crash the process.
#include <string>

#include "binding/args.h"
#include "binding/register.h"
#include "core/conv.h"
#include "core/im2col.h"
#include "core/pool.h"

namespace simdnet {
namespace bind {
namespace {

constexpr int64_t kMaxDim = (int64_t(1) << 31) - 1;

// Reads the 8 geometry arguments starting at info[i]; throws RangeError when an output size would be < 1.
WindowGeom GetGeom(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  const int64_t N = GetInt(info, i, "N", 1, kMaxDim), C = GetInt(info, i + 1, "C", 1, kMaxDim);
  const int64_t H = GetInt(info, i + 2, "H", 1, kMaxDim), W = GetInt(info, i + 3, "W", 1, kMaxDim);
  const int64_t KH = GetInt(info, i + 4, "KH", 1, kMaxDim), KW = GetInt(info, i + 5, "KW", 1, kMaxDim);
  const int64_t stride = GetInt(info, i + 6, "stride", 1, kMaxDim), pad = GetInt(info, i + 7, "pad", 0, kMaxDim);
  if (H + 2 * pad < KH) {
    throw Napi::RangeError::New(env, "KH: expected at most H + 2*pad = " + std::to_string(H + 2 * pad) +
                                         " (output height >= 1), got KH=" + std::to_string(KH) +
                                         " with H=" + std::to_string(H) + ", pad=" + std::to_string(pad));
  }
  if (W + 2 * pad < KW) {
    throw Napi::RangeError::New(env, "KW: expected at most W + 2*pad = " + std::to_string(W + 2 * pad) +
                                         " (output width >= 1), got KW=" + std::to_string(KW) +
                                         " with W=" + std::to_string(W) + ", pad=" + std::to_string(pad));
  }
  WindowGeom g = make_window(N, C, H, W, KH, KW, stride, pad);
  // Every size the core forms must be representable: the checked products throw RangeError on overflow.
  Mul(env, {uint64_t(N), uint64_t(C), uint64_t(H), uint64_t(W)});
  Mul(env, {uint64_t(N), uint64_t(g.OH), uint64_t(g.OW), uint64_t(C), uint64_t(KH), uint64_t(KW)});
  return g;
}

int64_t GetF(const Napi::CallbackInfo& info, size_t i) { return GetInt(info, i, "F", 1, kMaxDim); }

uint64_t XSize(Napi::Env env, const WindowGeom& g) {
  return Mul(env, {uint64_t(g.N), uint64_t(g.C), uint64_t(g.H), uint64_t(g.W)});
}
uint64_t ColSize(Napi::Env env, const WindowGeom& g) {
  return Mul(env, {uint64_t(g.N), uint64_t(g.OH), uint64_t(g.OW), uint64_t(g.C), uint64_t(g.KH), uint64_t(g.KW)});
}
// Per-plane outputs of pooling, or per-filter outputs of convolution: N * channels * OH * OW.
uint64_t OutSize(Napi::Env env, const WindowGeom& g, int64_t channels) {
  return Mul(env, {uint64_t(g.N), uint64_t(channels), uint64_t(g.OH), uint64_t(g.OW)});
}
uint64_t WSize(Napi::Env env, const WindowGeom& g, int64_t F) {
  return Mul(env, {uint64_t(F), uint64_t(g.C), uint64_t(g.KH), uint64_t(g.KW)});
}

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
  const uint64_t total = XSize(env, g);
  if (total > 2147483647ull) {
    throw Napi::RangeError::New(env, "x: expected at most 2147483647 elements (Int32 argmax), got " + std::to_string(total));
  }
}

// im2col(x, N, C, H, W, KH, KW, stride, pad, col)
Napi::Value Im2col(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x");
  const WindowGeom g = GetGeom(info, 1);
  F32 col = GetF32(info, 9, "col");
  RequireLength(env, "x", x.length, XSize(env, g));
  RequireLength(env, "col", col.length, ColSize(env, g));
  CheckWorkspace(env, im2col(x.data, g, col.data), "im2col");
  return env.Undefined();
}

// col2im(col, N, C, H, W, KH, KW, stride, pad, x)
Napi::Value Col2im(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 col = GetF32(info, 0, "col");
  const WindowGeom g = GetGeom(info, 1);
  F32 x = GetF32(info, 9, "x");
  RequireLength(env, "col", col.length, ColSize(env, g));
  RequireLength(env, "x", x.length, XSize(env, g));
  CheckWorkspace(env, col2im(col.data, g, x.data), "col2im");
  return env.Undefined();
}

// convForward(x, w, b, N, C, H, W, KH, KW, stride, pad, F, y, relu)
Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x"), w = GetF32(info, 1, "w"), b = GetF32(info, 2, "b");
  const WindowGeom g = GetGeom(info, 3);
  const int64_t F = GetF(info, 11);
  F32 y = GetF32(info, 12, "y");
  const bool relu = GetBool(info, 13, "relu");
  RequireLength(env, "x", x.length, XSize(env, g));
  RequireLength(env, "w", w.length, WSize(env, g, F));
  RequireLength(env, "b", b.length, static_cast<uint64_t>(F));
  RequireLength(env, "y", y.length, OutSize(env, g, F));
  CheckWorkspace(env, conv_forward(x.data, w.data, b.data, g, F, y.data, relu), "convForward");
  return env.Undefined();
}

// convBackward(dy, x, w, N, C, H, W, KH, KW, stride, pad, F, dx | null, dw, db, y | null)
Napi::Value ConvBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = GetF32(info, 0, "dy"), x = GetF32(info, 1, "x"), w = GetF32(info, 2, "w");
  const WindowGeom g = GetGeom(info, 3);
  const int64_t F = GetF(info, 11);
  F32 dx = GetF32(info, 12, "dx", /*nullable=*/true), dw = GetF32(info, 13, "dw"), db = GetF32(info, 14, "db");
  F32 y = GetF32(info, 15, "y", /*nullable=*/true);
  RequireLength(env, "dy", dy.length, OutSize(env, g, F));
  if (y.data) RequireLength(env, "y", y.length, OutSize(env, g, F));
  RequireLength(env, "x", x.length, XSize(env, g));
  RequireLength(env, "w", w.length, WSize(env, g, F));
  if (dx.data) RequireLength(env, "dx", dx.length, XSize(env, g));
  RequireLength(env, "dw", dw.length, WSize(env, g, F));
  RequireLength(env, "db", db.length, static_cast<uint64_t>(F));
  CheckWorkspace(env, conv_backward(dy.data, x.data, w.data, g, F, dx.data, dw.data, db.data, y.data), "convBackward");
  return env.Undefined();
}

// convPlan(N, C, H, W, KH, KW, stride, pad, F, needDx) -> {forward, weightGrad, inputGrad}
Napi::Value ConvPlanOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const WindowGeom g = GetGeom(info, 0);
  const int64_t F = GetF(info, 8);
  const bool need_dx = GetBool(info, 9, "needDx");
  const ConvPlan p = conv_plan(g, F, need_dx);
  Napi::Object o = Napi::Object::New(env);
  o.Set("forward", p.forward);
  o.Set("weightGrad", p.weight_grad);
  o.Set("inputGrad", p.input_grad);
  return o;
}

// maxPoolForward(x, N, C, H, W, KH, KW, stride, pad, y, argmax)
Napi::Value MaxPoolForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x");
  const WindowGeom g = GetGeom(info, 1);
  F32 y = GetF32(info, 9, "y");
  I32 argmax = GetI32(info, 10, "argmax");
  CheckMaxPool(env, g);
  RequireLength(env, "x", x.length, XSize(env, g));
  RequireLength(env, "y", y.length, OutSize(env, g, g.C));
  RequireLength(env, "argmax", argmax.length, OutSize(env, g, g.C));
  max_pool_forward(x.data, g, y.data, argmax.data);
  return env.Undefined();
}

// maxPoolBackward(dy, argmax, N, C, H, W, KH, KW, stride, pad, dx)
Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = GetF32(info, 0, "dy");
  I32 argmax = GetI32(info, 1, "argmax");
  const WindowGeom g = GetGeom(info, 2);
  F32 dx = GetF32(info, 10, "dx");
  CheckMaxPool(env, g);
  RequireLength(env, "dy", dy.length, OutSize(env, g, g.C));
  RequireLength(env, "argmax", argmax.length, OutSize(env, g, g.C));
  RequireLength(env, "dx", dx.length, XSize(env, g));
  const int64_t bad = max_pool_backward(dy.data, argmax.data, g, dx.data);
  if (bad >= 0) {
    throw Napi::RangeError::New(env, "argmax[" + std::to_string(bad) + "]: expected an index into x in [0, " +
                                         std::to_string(XSize(env, g)) + "), got " + std::to_string(argmax.data[bad]));
  }
  return env.Undefined();
}

// avgPoolForward(x, N, C, H, W, KH, KW, stride, pad, y)
Napi::Value AvgPoolForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0, "x");
  const WindowGeom g = GetGeom(info, 1);
  F32 y = GetF32(info, 9, "y");
  RequireLength(env, "x", x.length, XSize(env, g));
  RequireLength(env, "y", y.length, OutSize(env, g, g.C));
  avg_pool_forward(x.data, g, y.data);
  return env.Undefined();
}

// avgPoolBackward(dy, N, C, H, W, KH, KW, stride, pad, dx)
Napi::Value AvgPoolBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = GetF32(info, 0, "dy");
  const WindowGeom g = GetGeom(info, 1);
  F32 dx = GetF32(info, 9, "dx");
  RequireLength(env, "dy", dy.length, OutSize(env, g, g.C));
  RequireLength(env, "dx", dx.length, XSize(env, g));
  avg_pool_backward(dy.data, g, dx.data);
  return env.Undefined();
}

}  // namespace

void RegisterConv(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "im2col", Im2col);
  Export(env, exports, "col2im", Col2im);
  Export(env, exports, "convForward", ConvForward);
  Export(env, exports, "convBackward", ConvBackward);
  Export(env, exports, "convPlan", ConvPlanOf);
  Export(env, exports, "maxPoolForward", MaxPoolForward);
  Export(env, exports, "maxPoolBackward", MaxPoolBackward);
  Export(env, exports, "avgPoolForward", AvgPoolForward);
  Export(env, exports, "avgPoolBackward", AvgPoolBackward);
}

}  // namespace bind
}  // namespace simdnet
