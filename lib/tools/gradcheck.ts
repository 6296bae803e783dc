/**
 * Gradient checks (the book's gradient_check.py): analytic gradients from backward against central differences.
 *
 * Numerical side: (f(v + h) − f(v − h)) / (fl(v + h) − fl(v − h)) with the objective accumulated in float64 and the
 * step actually stored in float32 in the denominator. The forward itself runs in float32, so use h ≈ 1e-2..1e-3
 * and tolerances around 1e-2 relative (the book's h = 1e-4 assumes float64 arithmetic).
 *
 * Per tensor the result is the largest absolute and relative difference over the checked elements, where the
 * relative error of an element is |a − n| / max(|a|, |n|) and elements with max(|a|, |n|) < atol are left out of
 * it; `ok` means every element has |a − n| <= atol + rtol·max(|a|, |n|).
 */
import { Layer, LossLayer, type Target } from '../layers/layer';
import { Network } from '../nets/network';
import { numericalGradientOf } from '../nets/numerical';
import { Rng } from '../rng';
import { Tensor } from '../tensor';
import { checkInt, checkNumber, invalidType } from '../validate';

export { numericalGradientOf };

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-2 for layers, 1e-3 for networks). */
  h?: number;
  /** Check at most this many elements per tensor, evenly spaced (default: all). */
  maxPerTensor?: number;
  rtol?: number;
  atol?: number;
}

export interface GradCheckEntry {
  name: string;
  checked: number;
  maxAbsError: number;
  maxRelError: number;
  ok: boolean;
  /** The worst element (largest |a − n| − rtol·max(|a|, |n|)): its index, analytic and numerical values. */
  worst: { index: number; analytic: number; numerical: number };
}

/**
 * At most `max` indices of [0, size), evenly spaced, always including the first and last.
 * @example
 * sampleIndices(10, 3); // [0, 5, 9]
 * @throws {TypeError|RangeError} size is not an integer >= 0, or max is not an integer >= 1 (or Infinity)
 */
export function sampleIndices(size: number, max = Infinity): number[] {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw new (typeof size === 'number' ? RangeError : TypeError)(`size: expected an integer >= 0, got ${String(size)}`);
  }
  if (typeof max !== 'number' || Number.isNaN(max) || max < 1 || (max !== Infinity && !Number.isInteger(max))) {
    throw new (typeof max === 'number' ? RangeError : TypeError)(`max: expected an integer >= 1 or Infinity, got ${String(max)}`);
  }
  if (size <= max) return Array.from({ length: size }, (_, i) => i);
  if (max <= 1) return [0];
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.round((k * (size - 1)) / (max - 1)));
  return [...out];
}

/** Compares analytic values (indexed by `indices`) with numerical ones (position j for indices[j]). */
export function compareGradients(
  name: string, analytic: ArrayLike<number>, numerical: ArrayLike<number>, indices: readonly number[], rtol = 1e-2, atol = 1e-4,
): GradCheckEntry {
  let maxAbs = 0;
  let maxRel = 0;
  let ok = true;
  let worstScore = -Infinity;
  let worst = { index: -1, analytic: NaN, numerical: NaN };
  indices.forEach((i, j) => {
    const a = analytic[i];
    const n = numerical[j];
    const mag = Math.max(Math.abs(a), Math.abs(n));
    const abs = Math.abs(a - n);
    if (!(abs <= atol + rtol * mag)) ok = false;
    maxAbs = Math.max(maxAbs, abs);
    if (mag >= atol) maxRel = Math.max(maxRel, abs / mag);
    const score = Number.isNaN(abs) ? Infinity : abs - rtol * mag;
    if (score > worstScore) {
      worstScore = score;
      worst = { index: i, analytic: a, numerical: n };
    }
  });
  return { name, checked: indices.length, maxAbsError: maxAbs, maxRelError: maxRel, ok, worst };
}

export interface LayerGradCheckOptions extends GradCheckOptions {
  /** Training-mode forward (default true). */
  training?: boolean;
  /** Target for loss layers (required for them). */
  target?: Target;
  /** Per-sample loss weights for loss layers. */
  sampleWeights?: Float32Array;
  /** Seed of the random upstream gradient r for non-loss layers (objective Σ y·r; default 7). */
  seed?: number;
}

/**
 * Checks one layer: the input gradient ('x') and every parameter gradient (by local name). Non-loss layers are
 * checked on the objective L = Σ y·r with a fixed random r (so backward(r) is dL/dx); loss layers on their loss.
 * A layer with an `rng` (Dropout) has its Rng state restored before every forward, so the mask stays fixed.
 *
 * @example
 * const res = checkLayerGradient(new Affine(4, 3), Tensor.from(randomValues, [2, 4]));
 * if (!res.x.ok || !res.W.ok) throw new Error('gradient mismatch');
 * @throws {TypeError} layer is not a Layer, x not a Tensor, a loss layer without a target
 */
export function checkLayerGradient(layer: Layer, x: Tensor, opts: LayerGradCheckOptions = {}): Record<string, GradCheckEntry> {
  if (!(layer instanceof Layer)) throw invalidType('layer', 'a Layer', layer);
  if (!(x instanceof Tensor)) throw invalidType('x', 'a Tensor', x);
  const h = checkNumber('h', opts.h ?? 1e-2, { min: 0, exclusiveMin: true });
  const max = opts.maxPerTensor === undefined ? Infinity : checkInt('maxPerTensor', opts.maxPerTensor, 1);
  const { rtol = 1e-2, atol = 1e-4, training = true } = opts;
  const isLoss = layer instanceof LossLayer;
  if (isLoss && opts.target === undefined) throw invalidType('target', 'a target for a loss layer', undefined);
  const rng = (layer as { rng?: unknown }).rng instanceof Rng ? ((layer as { rng?: Rng }).rng as Rng) : null;
  const state = rng?.getState();
  const saved = Object.values(layer.buffers()).map((b) => b.data.slice());
  layer.needInputGrad = true;

  let r: Float32Array | null = null;
  const objective = (): number => {
    if (rng && state) rng.setState(state);
    if (isLoss) return (layer as LossLayer).forwardLoss(x, opts.target!, training, opts.sampleWeights);
    const y = layer.forward(x, training).data;
    if (!r) {
      const g = new Rng(opts.seed ?? 7);
      r = new Float32Array(y.length);
      for (let i = 0; i < r.length; i++) r[i] = 2 * g.uniform() - 1;
    }
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * r[i];
    return s;
  };

  objective();
  const dx = isLoss ? (layer as LossLayer).backwardLoss(1) : layer.backward(new Tensor(r!, layer.outputShape(x.shape)));
  const analytic: Record<string, Float32Array> = { x: dx.data.slice() };
  for (const [k, p] of Object.entries(layer.params())) analytic[k] = p.grad.data.slice();

  const out: Record<string, GradCheckEntry> = {};
  const targets: [string, Float32Array][] = [['x', x.data], ...Object.entries(layer.params()).map(([k, p]) => [k, p.value.data] as [string, Float32Array])];
  for (const [k, data] of targets) {
    const idx = sampleIndices(data.length, max);
    out[k] = compareGradients(k, analytic[k], numericalGradientOf(objective, data, idx, h), idx, rtol, atol);
  }
  if (rng && state) rng.setState(state);
  Object.values(layer.buffers()).forEach((b, i) => b.data.set(saved[i]));
  return out;
}

/**
 * Checks a network's `gradient` against central differences of its `loss` (training mode, dropout masks fixed by
 * restoring the network's Rng state), per named parameter (W1, b1, …).
 *
 * @example
 * const res = checkNetworkGradient(net, x, labels, { maxPerTensor: 20 });
 * for (const e of Object.values(res)) console.log(e.name, e.maxRelError);
 * @throws {TypeError} net is not a Network, x not a Tensor
 * @throws {RangeError} a bad h or maxPerTensor, or whatever the network's loss throws for bad inputs
 */
export function checkNetworkGradient(net: Network, x: Tensor, t: Target, opts: GradCheckOptions = {}): Record<string, GradCheckEntry> {
  if (!(net instanceof Network)) throw invalidType('net', 'a Network', net);
  if (!(x instanceof Tensor)) throw invalidType('x', 'a Tensor [N, ...inputShape]', x);
  const h = checkNumber('h', opts.h ?? 1e-3, { min: 0, exclusiveMin: true });
  const max = opts.maxPerTensor === undefined ? Infinity : checkInt('maxPerTensor', opts.maxPerTensor, 1);
  const { rtol = 1e-2, atol = 1e-4 } = opts;
  const state = net.rng.getState();
  const buffers = Object.values(net.namedBuffers()).map((b) => b.data.slice());
  const grads = net.gradient(x, t);
  const analytic: Record<string, Float32Array> = {};
  for (const [k, g] of Object.entries(grads)) analytic[k] = g.data.slice();
  net.rng.setState(state);
  Object.values(net.namedBuffers()).forEach((b, i) => b.data.set(buffers[i]));
  const out: Record<string, GradCheckEntry> = {};
  for (const [k, p] of Object.entries(net.namedParams())) {
    const idx = sampleIndices(p.value.size, max);
    out[k] = compareGradients(k, analytic[k], net.numericalGradientAt(x, t, p.value.data, idx, h), idx, rtol, atol);
  }
  net.rng.setState(state);
  return out;
}
