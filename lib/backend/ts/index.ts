import type { Activation, AugmentConfig, Backend, BackendInfo, OptimizerHyper, OptimizerRule, WindowGeometry } from '../types';
import * as aug from './augment';
import * as conv from './conv';
import * as ew from './elementwise';
import * as gemm from './gemm';
import * as half from './half';
import * as norm from './norm';
import * as optim from './optim';
import * as pool from './pool';

/**
 * Pure TypeScript: runs wherever Node runs, and is the oracle for the native backend. Single-threaded.
 *
 * @example
 * const b = useBackend('ts');             // or SIMDNET_BACKEND=ts
 * const net = new SimpleConvNet({ backend: b });
 * @throws {TypeError|RangeError} on arguments that do not fit the op (validated with lib/errors.ts)
 */
export class TsBackend implements Backend {
  readonly name = 'ts' as const;

  info(): BackendInfo {
    return { backend: 'ts', isa: 'typescript', bestIsa: 'typescript', threads: 1 };
  }
  setThreads(_n: number): void {
    /* single-threaded */
  }

  sgemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, offA: number, lda: number,
    B: Float32Array, offB: number, ldb: number, beta: number, C: Float32Array, offC: number, ldc: number): void {
    gemm.sgemm(tA, tB, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc);
  }

  im2col(x: Float32Array, g: WindowGeometry, col: Float32Array): void {
    conv.im2col(x, g, col);
  }
  col2im(col: Float32Array, g: WindowGeometry, x: Float32Array): void {
    conv.col2im(col, g, x);
  }
  convForward(x: Float32Array, w: Float32Array, b: Float32Array, g: WindowGeometry, F: number, y: Float32Array, relu = false): void {
    conv.convForward(x, w, b, g, F, y, relu);
  }
  convMaxPoolForward(x: Float32Array, w: Float32Array, b: Float32Array, g: WindowGeometry, F: number, relu: boolean, p: WindowGeometry, z: Float32Array,
    argmax: Int32Array | null = null): void {
    conv.convMaxPoolForward(x, w, b, g, F, relu, p, z, argmax);
  }
  convInferenceForward(x: Float32Array, w: Float32Array, b: Float32Array, g: WindowGeometry, F: number, relu: boolean, r: Float32Array | null, y: Float32Array): void {
    conv.convInferenceForward(x, w, b, g, F, relu, r, y);
  }
  convConvMaxPoolForward(x: Float32Array, w1: Float32Array, b1: Float32Array, g1: WindowGeometry, F1: number, relu1: boolean,
    w2: Float32Array, b2: Float32Array, g2: WindowGeometry, F2: number, relu2: boolean, p: WindowGeometry, z: Float32Array): void {
    conv.convConvMaxPoolForward(x, w1, b1, g1, F1, relu1, w2, b2, g2, F2, relu2, p, z);
  }
  convBackward(dy: Float32Array, x: Float32Array, w: Float32Array, g: WindowGeometry, F: number, dx: Float32Array | null, dw: Float32Array, db: Float32Array, y: Float32Array | null = null): void {
    conv.convBackward(dy, x, w, g, F, dx, dw, db, y);
  }
  convMaxPoolBackward(dz: Float32Array, argmax: Int32Array, z: Float32Array, x: Float32Array, w: Float32Array, g: WindowGeometry, F: number, relu: boolean,
    p: WindowGeometry, dx: Float32Array | null, dw: Float32Array, db: Float32Array): void {
    conv.convMaxPoolBackward(dz, argmax, z, x, w, g, F, relu, p, dx, dw, db);
  }
  maxPoolForward(x: Float32Array, g: WindowGeometry, y: Float32Array, argmax: Int32Array): void {
    pool.maxPoolForward(x, g, y, argmax);
  }
  maxPoolBackward(dy: Float32Array, argmax: Int32Array, g: WindowGeometry, dx: Float32Array): void {
    pool.maxPoolBackward(dy, argmax, g, dx);
  }
  avgPoolForward(x: Float32Array, g: WindowGeometry, y: Float32Array): void {
    pool.avgPoolForward(x, g, y);
  }
  avgPoolBackward(dy: Float32Array, g: WindowGeometry, dx: Float32Array): void {
    pool.avgPoolBackward(dy, g, dx);
  }

  addBias(y: Float32Array, b: Float32Array, rows: number, cols: number): void {
    ew.addBias(y, b, rows, cols);
  }
  sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
    ew.sumRows(x, rows, cols, out);
  }
  activationForward(kind: Activation, x: Float32Array, y: Float32Array, alpha: number): void {
    ew.activationForward(kind, x, y, alpha);
  }
  activationBackward(kind: Activation, dy: Float32Array, x: Float32Array, y: Float32Array, dx: Float32Array, alpha: number): void {
    ew.activationBackward(kind, dy, x, y, dx, alpha);
  }
  axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    ew.axpy(alpha, x, y);
  }
  addForward(a: Float32Array, b: Float32Array, relu: boolean, y: Float32Array): void {
    ew.addForward(a, b, relu, y);
  }
  reluBackwardSum(dy0: Float32Array, dy1: Float32Array | null, y: Float32Array, dx: Float32Array): void {
    ew.reluBackwardSum(dy0, dy1, y, dx);
  }
  scale(x: Float32Array, s: number, y: Float32Array): void {
    ew.scale(x, s, y);
  }
  softmaxCrossEntropy(logits: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, probs: Float32Array, sampleWeights: Float32Array | null): number {
    return ew.softmaxCrossEntropy(logits, N, C, labels, onehot, probs, sampleWeights);
  }
  softmaxCrossEntropyBackward(probs: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, scale: number, sampleWeights: Float32Array | null, dx: Float32Array): void {
    ew.softmaxCrossEntropyBackward(probs, N, C, labels, onehot, scale, sampleWeights, dx);
  }
  batchNormForward(x: Float32Array, N: number, C: number, S: number, gamma: Float32Array, beta: Float32Array, runMean: Float32Array, runVar: Float32Array,
    momentum: number, eps: number, training: boolean, relu: boolean, y: Float32Array, mean: Float32Array, std: Float32Array): void {
    norm.batchNormForward(x, N, C, S, gamma, beta, runMean, runVar, momentum, eps, training, relu, y, mean, std);
  }
  batchNormBackward(dy: Float32Array, x: Float32Array, relu: boolean, mean: Float32Array, std: Float32Array, gamma: Float32Array, beta: Float32Array,
    N: number, C: number, S: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void {
    norm.batchNormBackward(dy, x, relu, mean, std, gamma, beta, N, C, S, dx, dgamma, dbeta);
  }
  dropoutForward(x: Float32Array, y: Float32Array, mask: Uint8Array, ratio: number, scale: number, seed: number, counter: number): void {
    ew.dropoutForward(x, y, mask, ratio, scale, seed, counter);
  }
  dropoutBackward(dy: Float32Array, mask: Uint8Array, scale: number, dx: Float32Array): void {
    ew.dropoutBackward(dy, mask, scale, dx);
  }
  optimizerStep(rule: OptimizerRule, param: Float32Array, grad: Float32Array, s1: Float32Array | null, s2: Float32Array | null, hyper: OptimizerHyper): void {
    optim.optimizerStep(rule, param, grad, s1, s2, hyper);
  }
  toHalf(src: Float32Array, dst: Uint16Array): void {
    half.toHalf(src, dst);
  }
  fromHalf(src: Uint16Array, dst: Float32Array): void {
    half.fromHalf(src, dst);
  }
  augment(x: Float32Array, N: number, C: number, H: number, W: number, cfg: AugmentConfig, seed: number, counter: number, y: Float32Array): void {
    aug.augment(x, N, C, H, W, cfg, seed, counter, y);
  }
}
