// Cheap argument guards for the binding. The TypeScript side validates everything first with full
// messages (lib/errors.ts); these guards only make sure nothing reachable from JS can crash the process:
// they throw TypeError/RangeError naming the argument, never abort.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "core/im2col.h"

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
// TypeError when more than `n` arguments came (a caller passing what the export does not take).
void RequireArgCount(const Napi::CallbackInfo& info, size_t n, const char* op);
// A string naming one of `names` (an enum of native/ops.json); returns its index. TypeError/RangeError naming the
// argument and the accepted values otherwise.
int GetEnum(const Napi::CallbackInfo& info, size_t i, const char* name, const char* const* names, int count);

// Reads the fields of an option struct (native/ops.json) from a plain object, each checked like an argument,
// errors naming `<arg>.<field>`. With `exact` (option structs) a field not declared is a TypeError naming it; a
// window geometry is read by its fields only (callers pass objects that carry more, e.g. a layer's config).
class StructReader {
 public:
  StructReader(const Napi::CallbackInfo& info, size_t i, const char* arg, const char* const* fields, int nfields,
               bool exact = true);
  double Num(const char* field, bool optional = false, double dflt = 0);
  double NumIn(const char* field, double lo, double hi);
  int64_t Int(const char* field, int64_t lo, int64_t hi);
  bool Bool(const char* field);

 private:
  Napi::Value Field(const char* field);
  std::string Name(const char* field) const;
  Napi::Env env_;
  Napi::Object obj_;
  std::string arg_;
};

// A window geometry {N, C, H, W, KH, KW, stride, pad} (a struct of ints; output size >= 1, every product the core
// forms representable): the core's WindowGeom with OH/OW filled.
WindowGeom GetWindow(const Napi::CallbackInfo& info, size_t i, const char* name);

}  // namespace bind
}  // namespace simdnet
