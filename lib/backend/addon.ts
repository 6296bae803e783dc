/** Paths of one convolution (native/core/conv.h ConvPlan). */
export interface ConvPlan {
  forward: 'direct' | 'im2col' | 'gemm';
  weightGrad: 'direct' | 'im2col' | 'gemm';
  inputGrad: 'direct' | 'im2col' | 'gemm' | 'col2im' | 'none';
}

/**
 * Every export of the native addon (native/binding/*.cpp), described once. `checkAddon` verifies at load
 * that the binary matches, so a stale build fails loudly instead of at the first call.
 * Geometry arguments are flattened: (N, C, H, W, KH, KW, stride, pad).
 */
export interface NativeAddon {
  info(): { isa: 'avx512' | 'avx2' | 'reference'; bestIsa: 'avx512' | 'avx2' | 'reference'; threads: number; abi: number };
  setThreads(n: number): void;
  setKernels(isa: 'avx512' | 'avx2' | 'reference'): boolean;
  sgemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, offA: number, lda: number, B: Float32Array, offB: number, ldb: number,
    beta: number, C: Float32Array, offC: number, ldc: number,
  ): void;
  /** Measured FMA throughput (register-only FMA chains) on `threads` pool tasks; null when the CPU cannot run `isa`. */
  fmaPeak(threads: number, isa?: 'avx2' | 'avx512'): { gflops: number; perCore: number; threads: number; isa: string } | null;

  im2col(x: Float32Array, N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, col: Float32Array): void;
  col2im(col: Float32Array, N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, x: Float32Array): void;
  convForward(x: Float32Array, w: Float32Array, b: Float32Array, N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, F: number, y: Float32Array, relu: boolean): void;
  convBackward(dy: Float32Array, x: Float32Array, w: Float32Array, N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, F: number, dx: Float32Array | null, dw: Float32Array, db: Float32Array, y: Float32Array | null): void;
  /** Which path each part of a convolution takes under the active kernels and thread count (native/core/conv.h). */
  convPlan(N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, F: number, needDx: boolean): ConvPlan;
  maxPoolForward(x: Float32Array, N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, y: Float32Array, argmax: Int32Array): void;
  maxPoolBackward(dy: Float32Array, argmax: Int32Array, N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, dx: Float32Array): void;
  avgPoolForward(x: Float32Array, N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, y: Float32Array): void;
  avgPoolBackward(dy: Float32Array, N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, dx: Float32Array): void;

  addBias(y: Float32Array, b: Float32Array, rows: number, cols: number): void;
  sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  /** kind: 0 relu, 1 sigmoid, 2 tanh, 3 leakyRelu */
  activationForward(kind: number, x: Float32Array, y: Float32Array, alpha: number): void;
  activationBackward(kind: number, dy: Float32Array, x: Float32Array, y: Float32Array, dx: Float32Array, alpha: number): void;
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  scale(x: Float32Array, s: number, y: Float32Array): void;
  softmaxCrossEntropy(logits: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, probs: Float32Array, sampleWeights: Float32Array | null): number;
  softmaxCrossEntropyBackward(probs: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, scale: number, sampleWeights: Float32Array | null, dx: Float32Array): void;
  batchNormForward(x: Float32Array, N: number, C: number, S: number, gamma: Float32Array, beta: Float32Array, runMean: Float32Array, runVar: Float32Array, momentum: number, eps: number, training: boolean, y: Float32Array, xn: Float32Array, std: Float32Array): void;
  batchNormBackward(dy: Float32Array, xn: Float32Array, std: Float32Array, gamma: Float32Array, N: number, C: number, S: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  dropoutForward(x: Float32Array, y: Float32Array, mask: Uint8Array, ratio: number, scale: number, seed: number, counter: number): void;
  dropoutBackward(dy: Float32Array, mask: Uint8Array, scale: number, dx: Float32Array): void;

  /** rule: 0 sgd, 1 momentum, 2 nesterov, 3 adagrad, 4 rmsprop, 5 adam, 6 adamw.
   * h = [lr, momentum, decayRate, beta1, beta2, t, weightDecay] */
  optimizerStep(rule: number, param: Float32Array, grad: Float32Array, s1: Float32Array | null, s2: Float32Array | null, h: Float64Array): void;
  toHalf(src: Float32Array, dst: Uint16Array): void;
  fromHalf(src: Uint16Array, dst: Float32Array): void;
  augment(x: Float32Array, N: number, C: number, H: number, W: number, shift: number, rotation: number, flipHorizontal: boolean,
    flipVertical: boolean, cropPadding: number, brightness: number, fill: number, seed: number, counter: number, y: Float32Array): void;
}

/** The export names, for the load-time check (kept in step with the interface by test/backend/addon.test.ts). */
export const NATIVE_EXPORTS: readonly (keyof NativeAddon)[] = [
  'info', 'setThreads', 'setKernels', 'sgemm', 'fmaPeak',
  'im2col', 'col2im', 'convForward', 'convBackward', 'convPlan',
  'maxPoolForward', 'maxPoolBackward', 'avgPoolForward', 'avgPoolBackward',
  'addBias', 'sumRows', 'activationForward', 'activationBackward', 'axpy', 'scale',
  'softmaxCrossEntropy', 'softmaxCrossEntropyBackward', 'batchNormForward', 'batchNormBackward',
  'dropoutForward', 'dropoutBackward', 'optimizerStep', 'toHalf', 'fromHalf', 'augment',
];

/** Throws an Error naming the missing exports when `mod` does not match NativeAddon. */
/**
 * The binding's interface version (native/binding/register.h kAbiVersion): bump both whenever an export's
 * arguments or meaning change, so a stale binary fails loudly instead of misreading its arguments.
 */
export const NATIVE_ABI = 3;

/** Throws an Error naming the missing exports, or the ABI mismatch, when `mod` does not match NativeAddon. */
export function checkAddon(mod: unknown, file: string): NativeAddon {
  const missing = NATIVE_EXPORTS.filter((k) => typeof (mod as Record<string, unknown>)?.[k] !== 'function');
  if (missing.length > 0) {
    throw new Error(`simdnet: the native addon at ${file} lacks ${missing.join(', ')} (stale build? run npm run build:native)`);
  }
  const abi = (mod as NativeAddon).info().abi;
  if (abi !== NATIVE_ABI) {
    throw new Error(`simdnet: the native addon at ${file} has interface version ${abi}, this package needs ${NATIVE_ABI} (stale build? run npm run build:native)`);
  }
  return mod as NativeAddon;
}
