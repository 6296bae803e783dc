/**
 * convMaxPoolForward (convolution (+ ReLU) then max pooling in one op, native/core/conv.h
 * conv_forward_max_pool; the argmax kept for training or dropped) and convConvMaxPoolForward (two convolutions then the pool, conv2_forward_max_pool): on every kernel tier and at 1 and 2 threads it equals convForward then maxPoolForward
 * bit for bit (the fused 2x2 path pools each image's output while it is in cache; other windows, and fewer images
 * than threads, go through the two ops), and the TypeScript backend within float32 rounding — except where convPlan's
 * `inference` says "winograd" (F(4x4, 3x3), test/ops/conv-winograd.test.ts): there within WINO_TOL of the largest output. Geometries: the
 * DeepConvNet and SimpleConvNet shapes (row segments and the W-expanded copy), odd output sizes the pool floors,
 * pooled rows under and over 8 windows (the pool kernel's switch), a 3x3 stride-2 padded window, a global window,
 * no ReLU, one image, a NaN input.
 */
import type { NativeBackend } from '../../lib/backend/native';
import type { WindowGeometry } from '../../lib/backend/types';
import { backendsUnderTest, expectClose, kernelTiers, randomArray, withKernels, withThreads } from '../helpers';

const backends = backendsUnderTest();
// Winograd F(4x4, 3x3)'s error bound relative to the largest output (conv-winograd.test.ts)
const WINO_TOL = 2e-5;
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
/** bit for bit, or within Winograd's rounding where the op takes it */
const fusedTol = (wino: boolean, e: Float32Array) => (wino ? { rtol: 0, atol: WINO_TOL * maxAbs(e) } : { rtol: 0, atol: 0 });
const natives = backends.filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);
const ts = backends.find((b) => b.name === 'ts')!.backend;

interface Case {
  g: WindowGeometry;
  F: number;
  pool: { KH: number; KW: number; stride: number; pad: number };
  relu: boolean;
}
const out = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
const c = (N: number, C: number, H: number, W: number, K: number, pad: number, F: number, pool = { KH: 2, KW: 2, stride: 2, pad: 0 }, relu = true): Case =>
  ({ g: { N, C, H, W, KH: K, KW: K, stride: 1, pad }, F, pool, relu });
const CASES: Case[] = [
  c(3, 16, 12, 28, 3, 1, 16), // DeepConvNet conv2 rows (pooled rows of 14 windows: the vector pool kernel)
  c(3, 32, 8, 14, 3, 2, 32), // conv4's pad 2
  c(4, 8, 8, 8, 3, 1, 13), // pooled rows of 4 windows (the reference pool kernel), partial filter tiles
  c(3, 1, 12, 28, 5, 0, 30), // SimpleConvNet: 24 wide, the W-expanded copy
  c(3, 3, 7, 9, 3, 1, 5), // odd output 7x9: the pool drops the last row and column
  c(3, 4, 9, 9, 3, 1, 6, { KH: 3, KW: 3, stride: 2, pad: 1 }), // not 2x2: the two ops
  c(3, 4, 6, 6, 3, 1, 6, { KH: 6, KW: 6, stride: 1, pad: 0 }), // a global window
  c(3, 16, 6, 28, 3, 1, 16, undefined, false), // no ReLU
  c(1, 16, 6, 28, 3, 1, 16), // one image: the per-image GEMMs, then the pool
];

function poolGeometry(k: Case) {
  const OH = out(k.g.H, k.g.KH, 1, k.g.pad);
  const OW = out(k.g.W, k.g.KW, 1, k.g.pad);
  const p: WindowGeometry = { N: k.g.N, C: k.F, H: OH, W: OW, ...k.pool };
  return { p, Y: k.g.N * k.F * OH * OW, Z: k.g.N * k.F * out(OH, k.pool.KH, k.pool.stride, k.pool.pad) * out(OW, k.pool.KW, k.pool.stride, k.pool.pad) };
}

function data(k: Case, seed: number) {
  return {
    x: randomArray(k.g.N * k.g.C * k.g.H * k.g.W, seed),
    w: randomArray(k.F * k.g.C * k.g.KH * k.g.KW, seed + 1),
    b: randomArray(k.F, seed + 2),
  };
}

const label = (k: Case) => `N${k.g.N} C${k.g.C} ${k.g.H}x${k.g.W} K${k.g.KH} p${k.g.pad} F${k.F} pool ${k.pool.KH}x${k.pool.KW}/${k.pool.stride} p${k.pool.pad}${k.relu ? ' relu' : ''}`;

for (const nb of natives) {
  describe('native convMaxPoolForward', () => {
    test('equals convForward then maxPoolForward bit for bit on every tier, 1 and 2 threads, and the TypeScript backend', () => {
      for (const [i, k] of CASES.entries()) {
        const d = data(k, 10 + 5 * i);
        const { p, Y, Z } = poolGeometry(k);
        const zt = new Float32Array(Z).fill(NaN);
        ts.convMaxPoolForward(d.x, d.w, d.b, k.g, k.F, k.relu, p, zt);
        for (const isa of kernelTiers(nb)) {
          for (const threads of [1, 2]) {
            withKernels(nb, isa, () => withThreads(nb, threads, () => {
              const at = `${isa} ${threads}t ${label(k)}`;
              const y = new Float32Array(Y);
              const z2 = new Float32Array(Z);
              const am2 = new Int32Array(Z);
              nb.convForward(d.x, d.w, d.b, k.g, k.F, y, k.relu);
              nb.maxPoolForward(y, p, z2, am2);
              const z = new Float32Array(Z).fill(NaN);
              nb.convMaxPoolForward(d.x, d.w, d.b, k.g, k.F, k.relu, p, z);
              const wino = nb.convPlan(k.g, k.F, false).inference === 'winograd' && k.pool.KH === 2 && k.pool.stride === 2;
              expectClose(z, z2, fusedTol(wino, z2), `fused vs two ops ${at}`);
              expectClose(z, zt, wino ? fusedTol(true, zt) : { rtol: 1e-4, atol: 1e-5 }, `native vs ts ${at}`);
              // training keeps the argmax: the pool's own, indices into the unwritten convolution output (and the
              // direct forward, never Winograd: bit for bit)
              const zk = new Float32Array(Z).fill(NaN);
              const am = new Int32Array(Z).fill(-7);
              nb.convMaxPoolForward(d.x, d.w, d.b, k.g, k.F, k.relu, p, zk, am);
              expectClose(zk, z2, { rtol: 0, atol: 0 }, `fused with argmax vs two ops ${at}`);
              expect(am).toEqual(am2);
            }));
          }
        }
      }
    });

    test('a NaN in the input reaches the pooled outputs the two ops give', () => {
      const k = c(3, 2, 6, 28, 3, 1, 16);
      const d = data(k, 3);
      d.x[2 * 6 * 28 + 2 * 28 + 27] = NaN; // image 1, channel 0, row 2, last column
      const { p, Y, Z } = poolGeometry(k);
      for (const isa of kernelTiers(nb)) {
        withKernels(nb, isa, () => withThreads(nb, 2, () => {
          const y = new Float32Array(Y);
          const z2 = new Float32Array(Z);
          nb.convForward(d.x, d.w, d.b, k.g, k.F, y, true);
          nb.maxPoolForward(y, p, z2, new Int32Array(Z));
          const z = new Float32Array(Z);
          nb.convMaxPoolForward(d.x, d.w, d.b, k.g, k.F, true, p, z);
          expect(Array.from(z, Number.isNaN)).toEqual(Array.from(z2, Number.isNaN));
          expect(z.some(Number.isNaN)).toBe(true);
          expectClose(z, z2, { rtol: 0, atol: 0 }, `${isa}`);
        }));
      }
    });
  });
}

// convConvMaxPoolForward: two convolutions then the pool (a VGG block), against the three ops
const BLOCKS: [Case, number, boolean][] = [ // the first convolution, the second's filters, the second's ReLU
  [c(3, 1, 12, 28, 3, 1, 16), 16, true], // DeepConvNet's conv1 + conv2 + pool1 (one input channel)
  [c(3, 16, 6, 14, 3, 1, 32), 32, true], // conv3 + conv4 (pad 1 here) + pool2
  [c(4, 8, 8, 8, 3, 1, 13), 7, false], // partial filter tiles, 4-window pooled rows, no second ReLU
  [c(3, 3, 7, 9, 3, 1, 5, { KH: 3, KW: 3, stride: 2, pad: 1 }, false), 6, true], // not 2x2: through the ops
  [c(1, 8, 6, 28, 3, 1, 16), 8, true], // one image: through the ops
];

function blockData(k: Case, F2: number, seed: number) {
  const OH = out(k.g.H, k.g.KH, 1, k.g.pad);
  const OW = out(k.g.W, k.g.KW, 1, k.g.pad);
  const g2: WindowGeometry = { N: k.g.N, C: k.F, H: OH, W: OW, KH: 3, KW: 3, stride: 1, pad: 1 };
  const second: Case = { g: g2, F: F2, pool: k.pool, relu: true };
  return { ...data(k, seed), w2: randomArray(F2 * k.F * 9, seed + 3), b2: randomArray(F2, seed + 4), g2, ...poolGeometry(second) };
}

for (const nb of natives) {
  test('native convConvMaxPoolForward equals convForward then convMaxPoolForward bit for bit on every tier, 1 and 2 threads, and the TypeScript backend', () => {
    for (const [i, [k, F2, relu2]] of BLOCKS.entries()) {
      const d = blockData(k, F2, 40 + 7 * i);
      const Y1 = k.g.N * k.F * d.g2.H * d.g2.W;
      const zt = new Float32Array(d.Z).fill(NaN);
      ts.convConvMaxPoolForward(d.x, d.w, d.b, k.g, k.F, k.relu, d.w2, d.b2, d.g2, F2, relu2, d.p, zt);
      for (const isa of kernelTiers(nb)) {
        for (const threads of [1, 2]) {
          withKernels(nb, isa, () => withThreads(nb, threads, () => {
            const at = `${isa} ${threads}t ${label(k)} then F${F2}${relu2 ? ' relu' : ''}`;
            const y1 = new Float32Array(Y1);
            const z2 = new Float32Array(d.Z);
            nb.convForward(d.x, d.w, d.b, k.g, k.F, y1, k.relu);
            nb.convMaxPoolForward(y1, d.w2, d.b2, d.g2, F2, relu2, d.p, z2);
            const z = new Float32Array(d.Z).fill(NaN);
            nb.convConvMaxPoolForward(d.x, d.w, d.b, k.g, k.F, k.relu, d.w2, d.b2, d.g2, F2, relu2, d.p, z);
            const two = k.pool.KH === 2 && k.pool.stride === 2;
            const wino = two && (nb.convPlan(k.g, k.F, false).inference === 'winograd' || nb.convPlan(d.g2, F2, false).inference === 'winograd');
            expectClose(z, z2, fusedTol(wino, z2), `fused vs three ops ${at}`);
            expectClose(z, zt, wino ? fusedTol(true, zt) : { rtol: 1e-4, atol: 1e-5 }, `native vs ts ${at}`);
          }));
        }
      }
    }
  });
}

describe.each(backends.map((b) => [b.name, b.backend] as const))('%s convConvMaxPoolForward arguments', (_name, be) => {
  test('a second convolution or pool window that does not describe its input is a RangeError naming it', () => {
    const [k, F2] = BLOCKS[2];
    const d = blockData(k, F2, 1);
    const thrown = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    const run = (g2: WindowGeometry, p: WindowGeometry) => () => be.convConvMaxPoolForward(d.x, d.w, d.b, k.g, k.F, true, d.w2, d.b2, g2, F2, true, p, new Float32Array(d.Z));
    expect(thrown(run({ ...d.g2, C: k.F - 1 }, d.p))).toMatch(/^RangeError: g2\b.*the second convolution over the first one's output/);
    expect(thrown(run({ ...d.g2, H: d.g2.H - 1 }, d.p))).toMatch(/^RangeError: g2\b/);
    expect(thrown(run(d.g2, { ...d.p, C: F2 - 1 }))).toMatch(/^RangeError: p\b.*the pool over the second convolution's output/);
    expect(thrown(run(d.g2, d.p))).toBe('no error');
  });
});

describe.each(backends.map((b) => [b.name, b.backend] as const))('%s convMaxPoolForward arguments', (_name, be) => {
  test('a pool window that does not describe the convolution\'s output is a RangeError naming p', () => {
    const k = c(2, 3, 6, 5, 3, 1, 4);
    const d = data(k, 1);
    const { p, Z } = poolGeometry(k);
    // the addon's errors come from another realm: compare names, not constructors
    const thrown = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    for (const bad of [{ ...p, C: 3 }, { ...p, H: 5 }, { ...p, N: 1 }]) {
      expect(thrown(() => be.convMaxPoolForward(d.x, d.w, d.b, k.g, k.F, true, bad, new Float32Array(Z)))).toMatch(/^RangeError: p\b.*the pool over the convolution's output/);
    }
    expect(thrown(() => be.convMaxPoolForward(d.x, d.w, d.b, k.g, k.F, true, { ...p, KH: 1, KW: 1, pad: 1 }, new Float32Array(1000)))).toMatch(/^RangeError: .*pad/);
  });
});
