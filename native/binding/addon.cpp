// The N-API entry point. Per-environment (Napi::Addon), so the module loads in worker threads; the
// compute core it calls is plain C++ (native/core) with one process-wide thread pool.
#include <napi.h>

#include "binding/ops.generated.h"

class SimdnetAddon : public Napi::Addon<SimdnetAddon> {
 public:
  SimdnetAddon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {});
    simdnet::bind::RegisterOps(env, exports);  // every export of native/ops.json
  }
};

NODE_API_ADDON(SimdnetAddon)
