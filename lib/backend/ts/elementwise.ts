/**
 * Dense, activation, loss and dropout ops in TypeScript: the oracle for native/core/elementwise.cpp.
 * Arithmetic is done in float64 and rounded once to float32 on store. Each op re-checks its arguments cheaply
 * (types, lengths, label range) so that both backends reject the same bad inputs with TypeError/RangeError.
 */
import { checkF32, checkInt, checkNumber, checkView, invalidRange, invalidType } from '../../validate';
import { streamBase, streamUniform } from '../../rng';
import type { Activation } from '../types';

const ACTIVATIONS: readonly Activation[] = ['relu', 'sigmoid', 'tanh', 'leakyRelu'];
function checkKind(kind: unknown): Activation {
  if (!(ACTIVATIONS as readonly unknown[]).includes(kind)) {
    throw invalidRange('kind', `one of ${ACTIVATIONS.map((k) => `'${k}'`).join(', ')}`, typeof kind === 'string' ? `'${kind}'` : kind);
  }
  return kind as Activation;
}

// y[rows, cols] += b[cols] per row
export function addBias(y: Float32Array, b: Float32Array, rows: number, cols: number): void {
  checkInt('rows', rows);
  checkInt('cols', cols);
  checkF32('y', y, rows * cols);
  checkF32('b', b, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) y[o + c] += b[c];
  }
}

// x[rows, cols] -> out[cols] = Σ_r x[r, c]   (float64 accumulation)
export function sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  checkInt('rows', rows);
  checkInt('cols', cols);
  checkF32('x', x, rows * cols);
  checkF32('out', out, cols);
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) acc[c] += x[o + c];
  }
  out.set(acc);
}

/** y = act(x) over x.length elements; y may be x. relu zeroes x <= 0 (−0 too) and lets NaN through, as the book. */
export function activationForward(kind: Activation, x: Float32Array, y: Float32Array, alpha: number): void {
  checkKind(kind);
  checkF32('x', x);
  const n = x.length;
  checkF32('y', y, n);
  checkNumber('alpha', alpha);
  switch (kind) {
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = x[i] <= 0 ? 0 : x[i]; // the book's mask x <= 0 (NaN passes through)
      break;
    case 'leakyRelu': {
      const a = Math.fround(alpha);
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : a * x[i];
      break;
    }
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
      break;
  }
}

/**
 * dx = dy · act'(·) over dy.length elements. relu/leakyRelu read x (relu: dy where x > 0, else 0 — the book's
 * mask x <= 0); sigmoid uses y·(1 − y) and tanh 1 − y², with y the forward output. dx may be dy.
 */
export function activationBackward(kind: Activation, dy: Float32Array, x: Float32Array, y: Float32Array, dx: Float32Array, alpha: number): void {
  checkKind(kind);
  checkF32('dy', dy);
  const n = dy.length;
  const usesX = kind === 'relu' || kind === 'leakyRelu';
  checkF32('x', x, usesX ? n : undefined);
  checkF32('y', y, usesX ? undefined : n);
  checkF32('dx', dx, n);
  checkNumber('alpha', alpha);
  switch (kind) {
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
      break;
    case 'leakyRelu': {
      const a = Math.fround(alpha);
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : a * dy[i];
      break;
    }
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i]) * y[i];
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      break;
  }
}

/** y += alpha · x over x.length elements. */
export function axpy(alpha: number, x: Float32Array, y: Float32Array): void {
  checkNumber('alpha', alpha);
  checkF32('x', x);
  const n = x.length;
  checkF32('y', y, n);
  const a = Math.fround(alpha);
  for (let i = 0; i < n; i++) y[i] += a * x[i];
}

/** y = a + b over a.length elements, then the ReLU (v <= 0 gives +0, NaN passes) when relu; y may be a or b. */
export function addForward(a: Float32Array, b: Float32Array, relu: boolean, y: Float32Array): void {
  checkF32('a', a);
  const n = a.length;
  checkF32('b', b, n);
  if (typeof relu !== 'boolean') throw invalidType('relu', 'a boolean', relu);
  checkF32('y', y, n);
  for (let i = 0; i < n; i++) {
    const v = a[i] + b[i];
    y[i] = relu && v <= 0 ? 0 : v;
  }
}

/** dx = y > 0 ? dy0 + dy1 : 0 over dy0.length elements (dy1 null: dy0 where y > 0); dx may be dy0 or dy1. */
export function reluBackwardSum(dy0: Float32Array, dy1: Float32Array | null, y: Float32Array, dx: Float32Array): void {
  checkF32('dy0', dy0);
  const n = dy0.length;
  if (dy1 !== null) checkF32('dy1', dy1, n);
  checkF32('y', y, n);
  checkF32('dx', dx, n);
  if (dy1 === null) {
    for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy0[i] : 0;
  } else {
    for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy0[i] + dy1[i] : 0;
  }
}

/** y = x · s over x.length elements (x and y may alias). */
export function scale(x: Float32Array, s: number, y: Float32Array): void {
  checkF32('x', x);
  checkNumber('s', s);
  const n = x.length;
  checkF32('y', y, n);
  const a = Math.fround(s);
  for (let i = 0; i < n; i++) y[i] = a * x[i];
}

/** Validates the target arguments shared by the loss and its backward. */
function checkTargets(N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, sampleWeights: Float32Array | null): void {
  if ((labels === null || labels === undefined) === (onehot === null || onehot === undefined)) {
    throw invalidType('labels/onehot', 'exactly one of labels and onehot to be non-null', labels ?? onehot ?? null);
  }
  if (labels !== null && labels !== undefined) {
    checkView('labels', labels, Int32Array, N);
    for (let n = 0; n < N; n++) {
      const l = labels[n];
      if (l < 0 || l >= C) throw invalidRange(`labels[${n}]`, `a class index in [0, ${C - 1}]`, l);
    }
  } else {
    checkF32('onehot', onehot, N * C);
  }
  if (sampleWeights !== null && sampleWeights !== undefined) checkF32('sampleWeights', sampleWeights, N);
}

/**
 * logits[N, C] -> probs[N, C] (row softmax) and the mean cross-entropy over N rows:
 *   loss = (1/N) Σ_n w_n · Σ_c −t_nc · log p_nc,   log p_nc = x_nc − max_n − log Σ_c exp(x_nc − max_n).
 * The book adds 1e-7 inside log(p); we use the exact log-softmax instead (stable for any logits, and
 * it differs from the book only when p underflows). Terms with t = 0 are skipped (no 0·∞).
 */
export function softmaxCrossEntropy(
  logits: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null,
  probs: Float32Array, sampleWeights: Float32Array | null,
): number {
  checkInt('N', N, 1);
  checkInt('C', C, 1);
  checkF32('logits', logits, N * C);
  checkF32('probs', probs, N * C);
  checkTargets(N, C, labels, onehot, sampleWeights);
  let total = 0;
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) if (logits[o + c] > max) max = logits[o + c];
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[o + c] - max);
    const inv = 1 / sum;
    for (let c = 0; c < C; c++) probs[o + c] = Math.exp(logits[o + c] - max) * inv;
    const lse = max + Math.log(sum);
    let rowLoss = 0;
    if (labels) {
      rowLoss = lse - logits[o + labels[n]];
    } else {
      const t = onehot as Float32Array;
      for (let c = 0; c < C; c++) if (t[o + c] !== 0) rowLoss += t[o + c] * (lse - logits[o + c]);
    }
    total += sampleWeights ? sampleWeights[n] * rowLoss : rowLoss;
  }
  return total / N;
}

/** dx[N, C] = (probs − t) · scale · (sampleWeights[n] or 1). */
export function softmaxCrossEntropyBackward(
  probs: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null,
  scale: number, sampleWeights: Float32Array | null, dx: Float32Array,
): void {
  checkInt('N', N, 1);
  checkInt('C', C, 1);
  checkF32('probs', probs, N * C);
  checkF32('dx', dx, N * C);
  checkNumber('scale', scale);
  checkTargets(N, C, labels, onehot, sampleWeights);
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const s = sampleWeights ? scale * sampleWeights[n] : scale;
    if (labels) {
      const l = labels[n];
      for (let c = 0; c < C; c++) dx[o + c] = (probs[o + c] - (c === l ? 1 : 0)) * s;
    } else {
      const t = onehot as Float32Array;
      for (let c = 0; c < C; c++) dx[o + c] = (probs[o + c] - t[o + c]) * s;
    }
  }
}

/**
 * mask[i] = streamUniform(streamBase(seed, counter), i) > ratio; y = mask ? x·scale : 0 (a select, so the
 * dropped entries are exactly 0). scale is rounded to float32 first, as native does: bit-identical results.
 */
export function dropoutForward(x: Float32Array, y: Float32Array, mask: Uint8Array, ratio: number, scale: number, seed: number, counter: number): void {
  checkF32('x', x);
  const n = x.length;
  checkF32('y', y, n);
  checkView('mask', mask, Uint8Array, n);
  checkNumber('ratio', ratio);
  checkNumber('scale', scale);
  checkInt('seed', seed, 0, 0xffffffff);
  checkInt('counter', counter, 0, 0xffffffff);
  const base = streamBase(seed, counter);
  const s = Math.fround(scale);
  const r = Math.fround(ratio);
  for (let i = 0; i < n; i++) {
    const keep = streamUniform(base, i) > r;
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i] * s : 0;
  }
}

/** dx = mask ? dy·scale : 0 over dy.length elements. */
export function dropoutBackward(dy: Float32Array, mask: Uint8Array, scale: number, dx: Float32Array): void {
  checkF32('dy', dy);
  const n = dy.length;
  checkView('mask', mask, Uint8Array, n);
  checkNumber('scale', scale);
  checkF32('dx', dx, n);
  const s = Math.fround(scale);
  for (let i = 0; i < n; i++) dx[i] = mask[i] ? dy[i] * s : 0;
}
