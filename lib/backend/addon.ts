/**
 * The native addon's interface. Every export is declared once in native/ops.json; scripts/gen-ops.js generates
 * its TypeScript description (./addon.generated.ts: NativeAddon, NATIVE_EXPORTS, NATIVE_INTERFACE, the enums and
 * option structs), the native backend's forwarding, and the C++ side. `checkAddon` verifies at load that the
 * binary matches: every export present and the same interface hash, so a stale build fails loudly instead of
 * misreading its arguments.
 */
import { NATIVE_EXPORTS, NATIVE_INTERFACE, type NativeAddon } from './addon.generated';

export { NATIVE_EXPORTS, NATIVE_INTERFACE } from './addon.generated';
export type { NativeAddon } from './addon.generated';

/** Paths of one convolution (native/core/conv.h ConvPlan). */
export interface ConvPlan {
  forward: 'direct' | 'strided' | 'im2col' | 'gemm';
  weightGrad: 'direct' | 'strided' | 'im2col' | 'gemm';
  inputGrad: 'direct' | 'strided' | 'im2col' | 'gemm' | 'col2im' | 'none';
  /** The forward of the inference ops (convMaxPoolForward, convConvMaxPoolForward with a 2x2 stride-2 pool): Winograd F(4x4, 3x3) where it applies, else `forward`. */
  inference: 'winograd' | 'direct' | 'strided' | 'im2col' | 'gemm';
}

/** What the addon's info() reports: the kernel tiers, the pool's thread count, the interface hash it was built from. */
export interface NativeInfo {
  isa: 'avx512' | 'avx2' | 'reference';
  bestIsa: 'avx512' | 'avx2' | 'reference';
  threads: number;
  interface: string;
}

/** Throws an Error naming the missing exports, or the interface mismatch, when `mod` does not match NativeAddon. */
export function checkAddon(mod: unknown, file: string): NativeAddon {
  const missing = NATIVE_EXPORTS.filter((k) => typeof (mod as Record<string, unknown>)?.[k] !== 'function');
  if (missing.length > 0) {
    throw new Error(`simdnet: the native addon at ${file} lacks ${missing.join(', ')} (stale build? run npm run build:native)`);
  }
  const built = (mod as NativeAddon).info().interface;
  if (built !== NATIVE_INTERFACE) {
    throw new Error(`simdnet: the native addon at ${file} was built for interface ${String(built)}, this package needs ${NATIVE_INTERFACE} (stale build? run npm run build:native)`);
  }
  return mod as NativeAddon;
}
