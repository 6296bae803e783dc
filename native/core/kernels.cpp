#include "core/kernels.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/cpu.h"

namespace simdnet {
namespace {

Isa initial_isa() {
  const char* env = std::getenv("SIMDNET_KERNELS");
  if (env && std::strcmp(env, "reference") == 0) return Isa::reference;
  return best_isa();
}

std::atomic<int>& active() {
  static std::atomic<int> a{static_cast<int>(initial_isa())};
  return a;
}

}  // namespace

Isa best_isa() { return cpu_features().avx2 ? Isa::avx2 : Isa::reference; }

Isa active_isa() { return static_cast<Isa>(active().load(std::memory_order_relaxed)); }

bool set_active_isa(Isa isa) {
  if (isa == Isa::avx2 && !cpu_features().avx2) return false;
  active().store(static_cast<int>(isa));
  return true;
}

const char* isa_name(Isa isa) { return isa == Isa::avx2 ? "avx2" : "reference"; }

}  // namespace simdnet
