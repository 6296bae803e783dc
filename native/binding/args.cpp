#include "binding/args.h"

#include <cmath>

namespace simdnet {
namespace bind {
namespace {

std::string Describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return "number " + v.ToString().Utf8Value();
  if (v.IsBoolean()) return "boolean";
  if (v.IsString()) return "string";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_uint16_array: return "Uint16Array";
      default: return "another typed array";
    }
  }
  if (v.IsArray()) return "Array";
  if (v.IsFunction()) return "function";
  return "object";
}

template <typename Span, typename Elem>
Span GetTyped(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable, napi_typedarray_type type,
              const char* type_name) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (nullable && (v.IsNull() || v.IsUndefined())) return Span{};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(env, std::string(name) + ": expected a " + type_name + ", got " + Describe(v));
  }
  auto arr = v.As<Napi::TypedArrayOf<Elem>>();
  return Span{arr.Data(), arr.ElementLength()};
}

}  // namespace

F32 GetF32(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable) {
  return GetTyped<F32, float>(info, i, name, nullable, napi_float32_array, "Float32Array");
}
I32 GetI32(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable) {
  return GetTyped<I32, int32_t>(info, i, name, nullable, napi_int32_array, "Int32Array");
}
U8 GetU8(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable) {
  return GetTyped<U8, uint8_t>(info, i, name, nullable, napi_uint8_array, "Uint8Array");
}
U16 GetU16(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable) {
  return GetTyped<U16, uint16_t>(info, i, name, nullable, napi_uint16_array, "Uint16Array");
}

int64_t GetInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(name) + ": expected an integer, got " + Describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    throw Napi::RangeError::New(env, std::string(name) + ": expected an integer in [" + std::to_string(lo) + ", " +
                                         std::to_string(hi) + "], got " + v.ToString().Utf8Value());
  }
  return static_cast<int64_t>(d);
}

double GetNum(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(name) + ": expected a number, got " + Describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) {
    throw Napi::RangeError::New(env, std::string(name) + ": expected a finite number, got " + v.ToString().Utf8Value());
  }
  return d;
}

bool GetBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + ": expected a boolean, got " + Describe(v));
  }
  return v.As<Napi::Boolean>().Value();
}

void RequireLength(Napi::Env env, const char* name, size_t have, uint64_t need) {
  if (static_cast<uint64_t>(have) < need) {
    throw Napi::RangeError::New(env, std::string(name) + ": expected at least " + std::to_string(need) +
                                         " elements, got " + std::to_string(have));
  }
}

uint64_t Mul(Napi::Env env, std::initializer_list<uint64_t> xs) {
  uint64_t p = 1;
  for (uint64_t x : xs) {
    if (x != 0 && p > (uint64_t(1) << 53) / x) throw Napi::RangeError::New(env, "size overflow: dimensions too large");
    p *= x;
  }
  return p;
}

}  // namespace bind
}  // namespace simdnet

namespace simdnet {
namespace bind {

void RequireArgCount(const Napi::CallbackInfo& info, size_t n, const char* op) {
  if (info.Length() > n) {
    throw Napi::TypeError::New(info.Env(), std::string(op) + ": expected at most " + std::to_string(n) +
                                               " arguments, got " + std::to_string(info.Length()));
  }
}

int GetEnum(const Napi::CallbackInfo& info, size_t i, const char* name, const char* const* names, int count) {
  std::string allowed;
  for (int k = 0; k < count; ++k) allowed += std::string(k ? ", '" : "'") + names[k] + "'";
  Napi::Value v = info[i];
  if (!v.IsString()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + ": expected one of " + allowed + ", got " + Describe(v));
  }
  const std::string s = v.As<Napi::String>().Utf8Value();
  for (int k = 0; k < count; ++k) {
    if (s == names[k]) return k;
  }
  throw Napi::RangeError::New(info.Env(), std::string(name) + ": expected one of " + allowed + ", got '" + s + "'");
}

StructReader::StructReader(const Napi::CallbackInfo& info, size_t i, const char* arg, const char* const* fields,
                           int nfields, bool exact)
    : env_(info.Env()), arg_(arg) {
  Napi::Value v = info[i];
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray() || v.IsFunction()) {
    throw Napi::TypeError::New(env_, arg_ + ": expected an object, got " + Describe(v));
  }
  obj_ = v.As<Napi::Object>();
  if (!exact) return;
  Napi::Array keys = obj_.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    const std::string key = keys.Get(k).ToString().Utf8Value();
    bool known = false;
    for (int f = 0; f < nfields && !known; ++f) known = key == fields[f];
    if (!known) throw Napi::TypeError::New(env_, arg_ + ": unknown field '" + key + "'");
  }
}

std::string StructReader::Name(const char* field) const { return arg_ + "." + field; }

Napi::Value StructReader::Field(const char* field) { return obj_.Get(field); }

double StructReader::Num(const char* field, bool optional, double dflt) {
  Napi::Value v = Field(field);
  if (optional && v.IsUndefined()) return dflt;
  if (!v.IsNumber()) throw Napi::TypeError::New(env_, Name(field) + ": expected a number, got " + Describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) {
    throw Napi::RangeError::New(env_, Name(field) + ": expected a finite number, got " + v.ToString().Utf8Value());
  }
  return d;
}

double StructReader::NumIn(const char* field, double lo, double hi) {
  const double d = Num(field);
  if (d < lo || d > hi) {
    throw Napi::RangeError::New(env_, Name(field) + ": expected a number in [" + Napi::Number::New(env_, lo).ToString().Utf8Value() +
                                          ", " + Napi::Number::New(env_, hi).ToString().Utf8Value() + "], got " +
                                          Napi::Number::New(env_, d).ToString().Utf8Value());
  }
  return d;
}

int64_t StructReader::Int(const char* field, int64_t lo, int64_t hi) {
  Napi::Value v = Field(field);
  if (!v.IsNumber()) throw Napi::TypeError::New(env_, Name(field) + ": expected an integer, got " + Describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    throw Napi::RangeError::New(env_, Name(field) + ": expected an integer in [" + std::to_string(lo) + ", " +
                                          std::to_string(hi) + "], got " + v.ToString().Utf8Value());
  }
  return static_cast<int64_t>(d);
}

bool StructReader::Bool(const char* field) {
  Napi::Value v = Field(field);
  if (!v.IsBoolean()) throw Napi::TypeError::New(env_, Name(field) + ": expected a boolean, got " + Describe(v));
  return v.As<Napi::Boolean>().Value();
}

WindowGeom GetWindow(const Napi::CallbackInfo& info, size_t i, const char* name) {
  static const char* const kFields[] = {"N", "C", "H", "W", "KH", "KW", "stride", "pad"};
  StructReader r(info, i, name, kFields, 8, /*exact=*/false);
  constexpr int64_t kMaxDim = (int64_t(1) << 31) - 1;
  Napi::Env env = info.Env();
  const int64_t N = r.Int("N", 1, kMaxDim), C = r.Int("C", 1, kMaxDim), H = r.Int("H", 1, kMaxDim);
  const int64_t W = r.Int("W", 1, kMaxDim), KH = r.Int("KH", 1, kMaxDim), KW = r.Int("KW", 1, kMaxDim);
  const int64_t stride = r.Int("stride", 1, kMaxDim), pad = r.Int("pad", 0, kMaxDim);
  const std::string g(name);
  if (H + 2 * pad < KH) {
    throw Napi::RangeError::New(env, g + ".KH: expected at most H + 2*pad = " + std::to_string(H + 2 * pad) +
                                         " (output height >= 1), got KH=" + std::to_string(KH) + " with H=" +
                                         std::to_string(H) + ", pad=" + std::to_string(pad));
  }
  if (W + 2 * pad < KW) {
    throw Napi::RangeError::New(env, g + ".KW: expected at most W + 2*pad = " + std::to_string(W + 2 * pad) +
                                         " (output width >= 1), got KW=" + std::to_string(KW) + " with W=" +
                                         std::to_string(W) + ", pad=" + std::to_string(pad));
  }
  WindowGeom w = make_window(N, C, H, W, KH, KW, stride, pad);
  // Every size the core forms must be representable: the checked products throw RangeError on overflow.
  Mul(env, {uint64_t(N), uint64_t(C), uint64_t(H), uint64_t(W)});
  Mul(env, {uint64_t(N), uint64_t(w.OH), uint64_t(w.OW), uint64_t(C), uint64_t(KH), uint64_t(KW)});
  return w;
}

}  // namespace bind
}  // namespace simdnet
