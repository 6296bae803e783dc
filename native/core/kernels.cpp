#include "core/kernels.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/conv_direct.h"
#include "core/conv_pool_fwd.h"
#include "core/cpu.h"
#include "core/elementwise.h"
#include "core/half.h"
#include "core/im2col.h"
#include "core/norm.h"
#include "core/optim.h"
#include "core/pool.h"
#include "core/sgemm_kernels.h"
#include "core/winograd.h"

namespace simdnet {
namespace {

struct Tables {
  KernelTable t[3];
  Tables() {
    const CpuFeatures& f = cpu_features();
    KernelTable& ref = t[0];
    ref = KernelTable{Isa::reference,       &sgemm_kernels_ref, nullptr,          &im2col_kernels_ref,
                      &elementwise_kernels_ref, &optim_kernels_ref, &half_kernels_ref, &max_pool_2x2_kernels_ref,
                      &conv_direct_kernels_ref, &norm_kernels_ref, &winograd_kernels_ref,
                      &conv_pool_kernels_ref};
    KernelTable& avx2 = t[1];
    avx2 = ref;
    avx2.isa = Isa::avx2;
    avx2.winograd = nullptr;  // no AVX2 Winograd kernels: the direct forward (faster than the scalar transforms)
    if (f.avx2) {
      avx2.sgemm = &sgemm_kernels_avx2;
      avx2.im2col = &im2col_kernels_avx2;
      avx2.elementwise = &elementwise_kernels_avx2;
      avx2.optim = &optim_kernels_avx2;
      avx2.half = &half_kernels_avx2;
      avx2.max_pool_2x2 = &max_pool_2x2_kernels_avx2;
      avx2.conv_direct = &conv_direct_kernels_avx2;
      avx2.norm = &norm_kernels_avx2;
      avx2.conv_pool = &conv_pool_kernels_avx2;
    }
    KernelTable& avx512 = t[2];
    avx512 = avx2;
    avx512.isa = Isa::avx512;
    if (f.avx512) {
      avx512.sgemm = &sgemm_kernels_avx512;
      avx512.sgemm_narrow = &sgemm_kernels_avx2;
      avx512.conv_direct = &conv_direct_kernels_avx512;
      avx512.winograd = &winograd_kernels_avx512;
      avx512.conv_pool = &conv_pool_kernels_avx512;
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

Isa initial_isa() {
  const char* env = std::getenv("SIMDNET_KERNELS");
  if (env && std::strcmp(env, "reference") == 0) return Isa::reference;
  if (env && std::strcmp(env, "avx2") == 0 && best_isa() != Isa::reference) return Isa::avx2;
  return best_isa();
}

std::atomic<const KernelTable*>& active() {
  static std::atomic<const KernelTable*> a{&kernel_table(initial_isa())};
  return a;
}

}  // namespace

const KernelTable& kernel_table(Isa isa) { return tables().t[static_cast<int>(isa)]; }

const KernelTable& kernels() { return *active().load(std::memory_order_relaxed); }

Isa best_isa() {
  const CpuFeatures& f = cpu_features();
  return f.avx512 ? Isa::avx512 : f.avx2 ? Isa::avx2 : Isa::reference;
}

Isa active_isa() { return kernels().isa; }

bool set_active_isa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(best_isa()) || static_cast<int>(isa) < 0) return false;
  active().store(&kernel_table(isa));
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
