import type { ConvPlan, NativeAddon } from './addon';
import type { Activation, AugmentConfig, Backend, BackendInfo, OptimizerHyper, OptimizerRule, WindowGeometry } from './types';

const ACT: Record<Activation, number> = { relu: 0, sigmoid: 1, tanh: 2, leakyRelu: 3 };
const RULE: Record<OptimizerRule, number> = { sgd: 0, momentum: 1, nesterov: 2, adagrad: 3, rmsprop: 4, adam: 5, adamw: 6 };
// An unknown kind/rule maps to -1, which the binding rejects with a RangeError (as the TS backend does).

/**
 * The C++ core through N-API: arrays are passed zero-copy. Get it with `getBackend()` / `useBackend('native')`.
 *
 * @example
 * const b = useBackend('native');
 * b.info();                               // { backend: 'native', isa: 'avx2', bestIsa: 'avx2', threads: 2 }
 * const C = new Float32Array(4);
 * b.sgemm(false, false, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 0, 2, new Float32Array([1, 0, 0, 1]), 0, 2, 0, C, 0, 2);
 * @throws {TypeError|RangeError} from the binding's guards on wrong array types, short arrays or bad sizes
 */
export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  private readonly hyper = new Float64Array(7);

  constructor(readonly addon: NativeAddon) {}

  info(): BackendInfo {
    const i = this.addon.info();
    return { backend: 'native', isa: i.isa, bestIsa: i.bestIsa, threads: i.threads };
  }
  setThreads(n: number): void {
    this.addon.setThreads(n);
  }
  /** Switches the kernel table at run time (tests and benchmarks); false when the CPU cannot run it. */
  setKernels(isa: 'avx512' | 'avx2' | 'reference'): boolean {
    return this.addon.setKernels(isa);
  }

  sgemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, offA: number, lda: number,
    B: Float32Array, offB: number, ldb: number, beta: number, C: Float32Array, offC: number, ldc: number): void {
    this.addon.sgemm(tA, tB, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc);
  }

  im2col(x: Float32Array, g: WindowGeometry, col: Float32Array): void {
    this.addon.im2col(x, g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, col);
  }
  col2im(col: Float32Array, g: WindowGeometry, x: Float32Array): void {
    this.addon.col2im(col, g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, x);
  }
  convForward(x: Float32Array, w: Float32Array, b: Float32Array, g: WindowGeometry, F: number, y: Float32Array, relu = false): void {
    this.addon.convForward(x, w, b, g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, F, y, relu);
  }
  convBackward(dy: Float32Array, x: Float32Array, w: Float32Array, g: WindowGeometry, F: number, dx: Float32Array | null, dw: Float32Array, db: Float32Array, y: Float32Array | null = null): void {
    this.addon.convBackward(dy, x, w, g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, F, dx, dw, db, y);
  }

  /** Which path each part of this convolution takes under the active kernels and thread count (not part of
   * Backend: the TypeScript backend has one path). */
  convPlan(g: WindowGeometry, F: number, needDx = true): ConvPlan {
    return this.addon.convPlan(g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, F, needDx);
  }
  maxPoolForward(x: Float32Array, g: WindowGeometry, y: Float32Array, argmax: Int32Array): void {
    this.addon.maxPoolForward(x, g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, y, argmax);
  }
  maxPoolBackward(dy: Float32Array, argmax: Int32Array, g: WindowGeometry, dx: Float32Array): void {
    this.addon.maxPoolBackward(dy, argmax, g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, dx);
  }
  avgPoolForward(x: Float32Array, g: WindowGeometry, y: Float32Array): void {
    this.addon.avgPoolForward(x, g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, y);
  }
  avgPoolBackward(dy: Float32Array, g: WindowGeometry, dx: Float32Array): void {
    this.addon.avgPoolBackward(dy, g.N, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, dx);
  }

  addBias(y: Float32Array, b: Float32Array, rows: number, cols: number): void {
    this.addon.addBias(y, b, rows, cols);
  }
  sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
    this.addon.sumRows(x, rows, cols, out);
  }
  activationForward(kind: Activation, x: Float32Array, y: Float32Array, alpha: number): void {
    this.addon.activationForward(ACT[kind] ?? -1, x, y, alpha);
  }
  activationBackward(kind: Activation, dy: Float32Array, x: Float32Array, y: Float32Array, dx: Float32Array, alpha: number): void {
    this.addon.activationBackward(ACT[kind] ?? -1, dy, x, y, dx, alpha);
  }
  axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    this.addon.axpy(alpha, x, y);
  }
  scale(x: Float32Array, s: number, y: Float32Array): void {
    this.addon.scale(x, s, y);
  }
  softmaxCrossEntropy(logits: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, probs: Float32Array, sampleWeights: Float32Array | null): number {
    return this.addon.softmaxCrossEntropy(logits, N, C, labels, onehot, probs, sampleWeights);
  }
  softmaxCrossEntropyBackward(probs: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, scale: number, sampleWeights: Float32Array | null, dx: Float32Array): void {
    this.addon.softmaxCrossEntropyBackward(probs, N, C, labels, onehot, scale, sampleWeights, dx);
  }
  batchNormForward(x: Float32Array, N: number, C: number, S: number, gamma: Float32Array, beta: Float32Array, runMean: Float32Array, runVar: Float32Array,
    momentum: number, eps: number, training: boolean, y: Float32Array, xn: Float32Array, std: Float32Array): void {
    this.addon.batchNormForward(x, N, C, S, gamma, beta, runMean, runVar, momentum, eps, training, y, xn, std);
  }
  batchNormBackward(dy: Float32Array, xn: Float32Array, std: Float32Array, gamma: Float32Array, N: number, C: number, S: number,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void {
    this.addon.batchNormBackward(dy, xn, std, gamma, N, C, S, dx, dgamma, dbeta);
  }
  dropoutForward(x: Float32Array, y: Float32Array, mask: Uint8Array, ratio: number, scale: number, seed: number, counter: number): void {
    this.addon.dropoutForward(x, y, mask, ratio, scale, seed, counter);
  }
  dropoutBackward(dy: Float32Array, mask: Uint8Array, scale: number, dx: Float32Array): void {
    this.addon.dropoutBackward(dy, mask, scale, dx);
  }
  optimizerStep(rule: OptimizerRule, param: Float32Array, grad: Float32Array, s1: Float32Array | null, s2: Float32Array | null, hyper: OptimizerHyper): void {
    const h = this.hyper;
    h[0] = hyper.lr;
    h[1] = hyper.momentum ?? 0;
    h[2] = hyper.decayRate ?? 0;
    h[3] = hyper.beta1 ?? 0;
    h[4] = hyper.beta2 ?? 0;
    h[5] = hyper.t ?? 0;
    h[6] = hyper.weightDecay ?? 0;
    this.addon.optimizerStep(RULE[rule] ?? -1, param, grad, s1, s2, h);
  }
  toHalf(src: Float32Array, dst: Uint16Array): void {
    this.addon.toHalf(src, dst);
  }
  fromHalf(src: Uint16Array, dst: Float32Array): void {
    this.addon.fromHalf(src, dst);
  }
  augment(x: Float32Array, N: number, C: number, H: number, W: number, cfg: AugmentConfig, seed: number, counter: number, y: Float32Array): void {
    this.addon.augment(x, N, C, H, W, cfg.shift, cfg.rotation, cfg.flipHorizontal, cfg.flipVertical, cfg.cropPadding,
      cfg.brightness, cfg.fill, seed, counter, y);
  }
}
