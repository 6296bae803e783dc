#include "core/cpu.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <cpuid.h>
#define SIMDNET_X86 1
#endif

namespace simdnet {

#ifdef SIMDNET_X86
// XGETBV without -mxsave: this file is compiled at baseline.
static unsigned long long xgetbv0() {
  unsigned int eax, edx;
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

static CpuFeatures detect() {
  CpuFeatures f;
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool fma = ecx & (1u << 12);
  const bool osxsave = ecx & (1u << 27);
  const bool avx = ecx & (1u << 28);
  const bool f16c = ecx & (1u << 29);
  if (!(osxsave && avx && fma && f16c)) return f;
  // The OS must save XMM (bit 1) and YMM (bit 2) state, or using them corrupts other threads.
  if ((xgetbv0() & 0x6) != 0x6) return f;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  f.avx2 = ebx & (1u << 5);
  // AVX-512: F (bit 16), BW (bit 30), VL (bit 31) of leaf 7 EBX, and the OS must save the opmask (XCR0 bit 5),
  // upper halves of ZMM0-15 (bit 6) and ZMM16-31 (bit 7) besides XMM/YMM.
  const bool avx512fvlbw = (ebx & (1u << 16)) && (ebx & (1u << 30)) && (ebx & (1u << 31));
  f.avx512 = f.avx2 && avx512fvlbw && (xgetbv0() & 0xE6) == 0xE6;
  return f;
}
#else
static CpuFeatures detect() { return CpuFeatures{}; }
#endif

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

}  // namespace simdnet
