// Cheap argument guards for the binding. The TypeScript side validates everything first with full
// messages (lib/errors.ts); these guards only make sure nothing reachable from JS can crash the process:
// they throw TypeError/RangeError naming the argument, never abort.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace simdnet {
namespace bind {

struct F32 {
  float* data = nullptr;
  size_t length = 0;
};
struct I32 {
  int32_t* data = nullptr;
  size_t length = 0;
};
struct U8 {
  uint8_t* data = nullptr;
  size_t length = 0;
};
struct U16 {
  uint16_t* data = nullptr;
  size_t length = 0;
};

// `name` is the argument's name in the JS API, used in the message.
F32 GetF32(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable = false);
I32 GetI32(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable = false);
U8 GetU8(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable = false);
U16 GetU16(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable = false);
// An integer in [lo, hi].
int64_t GetInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi);
// A finite number.
double GetNum(const Napi::CallbackInfo& info, size_t i, const char* name);
bool GetBool(const Napi::CallbackInfo& info, size_t i, const char* name);
// Throws RangeError unless `have` >= `need` elements.
void RequireLength(Napi::Env env, const char* name, size_t have, uint64_t need);
// Checked product of non-negative sizes; throws RangeError on overflow past 2^53.
uint64_t Mul(Napi::Env env, std::initializer_list<uint64_t> xs);

}  // namespace bind
}  // namespace simdnet
