// The one place where C++ exceptions become JS errors (register.h). node-addon-api converts a thrown
// Napi::Error into a JS exception, but anything else leaving a callback (std::bad_alloc from a std::vector in
// the core, an exception rethrown from a pool task) would reach std::terminate: SIGABRT from JavaScript.
#include <new>
#include <stdexcept>
#include <string>

#include "binding/register.h"

namespace simdnet {
namespace bind {

Napi::Value CallGuarded(const Napi::CallbackInfo& info, ExportFn fn, const char* name) {
  Napi::Env env = info.Env();
  try {
    return fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, std::string("out of memory: ") + name +
                                         " could not allocate its working memory (inputs too large for the memory "
                                         "available)");
  } catch (const std::length_error& e) {
    throw Napi::RangeError::New(env, std::string(name) + ": size too large (" + e.what() + ")");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(name) + ": internal error: " + e.what());
  } catch (...) {
    throw Napi::Error::New(env, std::string(name) + ": internal error (unknown exception)");
  }
}

void Export(Napi::Env env, Napi::Object exports, const char* name, ExportFn fn) {
  exports.Set(name, Napi::Function::New(
                        env, [fn, name](const Napi::CallbackInfo& info) { return CallGuarded(info, fn, name); }, name));
}

}  // namespace bind
}  // namespace simdnet
