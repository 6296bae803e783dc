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
  if (env && std::strcmp(env, "avx2") == 0 && best_isa() != Isa::reference) return Isa::avx2;
  return best_isa();
}

std::atomic<int>& active() {
  static std::atomic<int> a{static_cast<int>(initial_isa())};
  return a;
}

}  // namespace

Isa best_isa() {
  const CpuFeatures& f = cpu_features();
  return f.avx512 ? Isa::avx512 : f.avx2 ? Isa::avx2 : Isa::reference;
}

Isa active_isa() { return static_cast<Isa>(active().load(std::memory_order_relaxed)); }

bool set_active_isa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(best_isa()) || static_cast<int>(isa) < 0) return false;
  active().store(static_cast<int>(isa));
  return true;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "reference";
  }
}

}  // namespace simdnet
