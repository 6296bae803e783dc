#include "binding/args.h"
#include "binding/register.h"

namespace simdnet {
namespace bind {

void RegisterConv(Napi::Env env, Napi::Object exports) {}

}  // namespace bind
}  // namespace simdnet
