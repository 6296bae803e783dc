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
