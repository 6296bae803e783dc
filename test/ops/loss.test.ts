/**
 * softmaxCrossEntropy and its backward: float64 formulas (labels, soft one-hot targets, sample weights),
 * stability at logits ±1e4, a finite-difference gradient check, native vs TS on awkward shapes under every
 * kernel table and thread count, and the bad-input table.
 */
import { backendsUnderTest, expectClose, randomArray, requireNative, ts, tsOnly } from '../helpers';
import { Rng } from '../../lib/rng';
import { nativeConfigs, withNative, expectInputError } from './ops-helpers';

/** Reference in float64: probabilities and the mean weighted cross-entropy with the exact log-softmax. */
function reference(logits: Float32Array, N: number, C: number, t: Float64Array, w: Float32Array | null) {
  const p = new Float64Array(N * C);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[n * C + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[n * C + c] - max);
    let row = 0;
    for (let c = 0; c < C; c++) {
      const logp = logits[n * C + c] - max - Math.log(sum);
      p[n * C + c] = Math.exp(logp);
      if (t[n * C + c] !== 0) row -= t[n * C + c] * logp;
    }
    loss += (w ? w[n] : 1) * row;
  }
  return { p, loss: loss / N };
}

function problem(N: number, C: number, seed: number) {
  const rng = new Rng(seed);
  const logits = randomArray(N * C, seed, -5, 5);
  const labels = Int32Array.from({ length: N }, () => rng.int(C));
  const soft = new Float32Array(N * C); // row-stochastic soft targets
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += soft[n * C + c] = rng.uniform() < 0.5 ? 0 : rng.uniform();
    if (s === 0) soft[n * C] = s = 1;
    for (let c = 0; c < C; c++) soft[n * C + c] /= s;
  }
  const weights = randomArray(N, seed + 1, 0, 2);
  const tLabels = new Float64Array(N * C);
  labels.forEach((l, n) => (tLabels[n * C + l] = 1));
  return { logits, labels, soft, weights, tLabels, tSoft: Float64Array.from(soft) };
}

describe.each(backendsUnderTest())('$name backend vs float64 formulas', ({ backend }) => {
  test.each([[1, 1], [1, 10], [7, 3], [8, 10], [9, 31], [31, 1000]])('N=%i C=%i: labels, soft targets, sample weights', (N, C) => {
    const P = problem(N, C, N * 100 + C);
    for (const [labels, onehot, t] of [[P.labels, null, P.tLabels], [null, P.soft, P.tSoft]] as const) {
      for (const w of [null, P.weights]) {
        const probs = new Float32Array(N * C);
        const loss = backend.softmaxCrossEntropy(P.logits, N, C, labels, onehot, probs, w);
        const ref = reference(P.logits, N, C, t, w);
        const what = `${labels ? 'labels' : 'onehot'}${w ? '+weights' : ''}`;
        expect(typeof loss).toBe('number');
        expectClose([loss], [ref.loss], { rtol: 1e-6, atol: 1e-7 }, `loss ${what}`);
        expectClose(probs, ref.p, { rtol: 2e-6, atol: 1e-9 }, `probs ${what}`);
        const dx = new Float32Array(N * C);
        backend.softmaxCrossEntropyBackward(probs, N, C, labels, onehot, 1 / N, w, dx);
        const want = Array.from(probs, (p, i) => ((p - t[i]) / N) * (w ? w[Math.floor(i / C)] : 1));
        expectClose(dx, want, { rtol: 1e-6, atol: 1e-8 }, `dx ${what}`);
      }
    }
  });

  test('stable at logits ±1e4', () => {
    const logits = new Float32Array([1e4, 0, -1e4, -1e4, -1e4, -1e4, 1e4, 1e4, -1e4]);
    const probs = new Float32Array(9);
    const a = backend.softmaxCrossEntropy(logits, 3, 3, new Int32Array([0, 1, 2]), null, probs, null);
    // row 0: p = [1, 0, 0], loss 0; row 1: uniform, loss log 3; row 2: p = [.5, .5, 0], loss 2e4 + log 2
    expectClose([a], [(0 + Math.log(3) + 2e4 + Math.log(2)) / 3], { rtol: 1e-7 }, 'loss');
    expectClose(probs, [1, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 0], { rtol: 1e-6, atol: 1e-30 }, 'probs');
    expect(probs.every(Number.isFinite)).toBe(true);
  });
});

describe('finite-difference gradient check of softmaxCrossEntropy (TS)', () => {
  test.each([false, true])('soft targets, sample weights: %s', (weighted) => {
    const N = 4;
    const C = 5;
    const P = problem(N, C, 77);
    const w = weighted ? P.weights : null;
    const probs = new Float32Array(N * C);
    ts.softmaxCrossEntropy(P.logits, N, C, null, P.soft, probs, w);
    const dx = new Float32Array(N * C);
    ts.softmaxCrossEntropyBackward(probs, N, C, null, P.soft, 1 / N, w, dx);
    const h = 1e-2;
    const numeric = new Float64Array(N * C);
    const x = P.logits.slice();
    const tmp = new Float32Array(N * C);
    for (let i = 0; i < N * C; i++) {
      const x0 = x[i];
      x[i] = x0 + h;
      const lp = ts.softmaxCrossEntropy(x, N, C, null, P.soft, tmp, w);
      x[i] = x0 - h;
      const lm = ts.softmaxCrossEntropy(x, N, C, null, P.soft, tmp, w);
      x[i] = x0;
      numeric[i] = (lp - lm) / (2 * h);
    }
    expectClose(dx, numeric, { rtol: 1e-3, atol: 1e-5 }, 'gradient');
  });
});

describe.each(backendsUnderTest())('$name backend rejects bad inputs', ({ backend }) => {
  const f = (n: number) => new Float32Array(n);
  const sce = backend.softmaxCrossEntropy.bind(backend);
  const bwd = backend.softmaxCrossEntropyBackward.bind(backend);
  const L = (...v: number[]) => new Int32Array(v);
  const bad: [string, () => unknown, ErrorConstructor][] = [
    ['label = C', () => sce(f(6), 2, 3, L(0, 3), null, f(6), null), RangeError],
    ['label negative', () => sce(f(6), 2, 3, L(-1, 0), null, f(6), null), RangeError],
    ['label huge', () => sce(f(6), 2, 3, L(0, 2 ** 31 - 1), null, f(6), null), RangeError],
    ['backward label = C', () => bwd(f(6), 2, 3, L(0, 3), null, 1, null, f(6)), RangeError],
    ['both labels and onehot', () => sce(f(6), 2, 3, L(0, 1), f(6), f(6), null), TypeError],
    ['neither labels nor onehot', () => sce(f(6), 2, 3, null, null, f(6), null), TypeError],
    ['backward neither', () => bwd(f(6), 2, 3, null, null, 1, null, f(6)), TypeError],
    ['short logits', () => sce(f(5), 2, 3, L(0, 1), null, f(6), null), RangeError],
    ['short probs', () => sce(f(6), 2, 3, L(0, 1), null, f(5), null), RangeError],
    ['short labels', () => sce(f(6), 2, 3, L(0), null, f(6), null), RangeError],
    ['short onehot', () => sce(f(6), 2, 3, null, f(5), f(6), null), RangeError],
    ['short sampleWeights', () => sce(f(6), 2, 3, L(0, 1), null, f(6), f(1)), RangeError],
    ['backward short dx', () => bwd(f(6), 2, 3, L(0, 1), null, 1, null, f(5)), RangeError],
    ['labels as Float32Array', () => sce(f(6), 2, 3, f(2) as unknown as Int32Array, null, f(6), null), TypeError],
    ['logits as Array', () => sce([0, 0] as unknown as Float32Array, 1, 2, L(0), null, f(2), null), TypeError],
    ['N = 0', () => sce(f(6), 0, 3, L(0), null, f(6), null), RangeError],
    ['C fractional', () => sce(f(6), 2, 2.5, L(0, 1), null, f(6), null), RangeError],
    ['backward scale NaN', () => bwd(f(6), 2, 3, L(0, 1), null, NaN, null, f(6)), RangeError],
  ];
  test.each(bad)('%s', (_label, call, ErrorType) => {
    expectInputError(call, ErrorType);
  });
});

if (!tsOnly) {
  describe('native vs TS on awkward shapes, every kernel table and thread count', () => {
    test.each([[1, 1], [1, 7], [7, 8], [9, 9], [31, 31], [3, 1000], [1000, 10], [22001, 3]])('N=%i C=%i', (N, C) => {
      const P = problem(N, C, N + 7 * C);
      for (const [labels, onehot] of [[P.labels, null], [null, P.soft]] as const) {
        const pT = new Float32Array(N * C);
        const lossT = ts.softmaxCrossEntropy(P.logits, N, C, labels, onehot, pT, P.weights);
        const dT = new Float32Array(N * C);
        ts.softmaxCrossEntropyBackward(pT, N, C, labels, onehot, 0.5, P.weights, dT);
        for (const cfg of nativeConfigs()) {
          withNative(cfg.isa, cfg.threads, () => {
            const nat = requireNative();
            const p = new Float32Array(N * C);
            const loss = nat.softmaxCrossEntropy(P.logits, N, C, labels, onehot, p, P.weights);
            const p2 = new Float32Array(N * C);
            expect(nat.softmaxCrossEntropy(P.logits, N, C, labels, onehot, p2, P.weights)).toBe(loss); // deterministic
            const d = new Float32Array(N * C);
            nat.softmaxCrossEntropyBackward(pT, N, C, labels, onehot, 0.5, P.weights, d);
            const what = `${labels ? 'labels' : 'onehot'} ${cfg.label}`;
            expectClose([loss], [lossT], { rtol: 1e-6, atol: 1e-7 }, `loss ${what}`);
            expectClose(p, pT, { rtol: 2e-6, atol: 1e-9 }, `probs ${what}`);
            expectClose(d, dT, { rtol: 1e-6, atol: 1e-9 }, `dx ${what}`);
          });
        }
      }
    });
  });
}
