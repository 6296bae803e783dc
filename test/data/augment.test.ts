/**
 * Data augmentation semantics, on every backend under test: identity, reproducibility, exact flips/shifts/
 * crops, rotation, brightness bounds, shapes and validation. Native-vs-TS agreement is in augment-native.test.ts.
 */
import { AUGMENT_SLOTS, augmentDraw, augmentImage, type AugmentDraw } from '../../lib/backend/ts/augment';
import {
  augmentBatch,
  formatAugmentSpec,
  isIdentityAugment,
  parseAugmentSpec,
  resolveAugmentOptions,
  type AugmentOptions,
} from '../../lib/data/augment';
import { Rng, streamBase } from '../../lib/rng';
import { Tensor } from '../../lib/tensor';
import { backendsUnderTest, expectClose, randomArray, ts } from '../helpers';

function batch(N: number, C: number, H: number, W: number, seed = 3): Tensor {
  return new Tensor(randomArray(N * C * H * W, seed, 0, 1), [N, C, H, W]);
}

/** Image n of x shifted by (dx, dy) whole pixels (content moves right/down), outside = fill. */
function shifted(x: Tensor, n: number, dx: number, dy: number, fill: number): Float32Array {
  const [, C, H, W] = x.shape;
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    for (let v = 0; v < H; v++) {
      for (let u = 0; u < W; u++) {
        const su = u - dx;
        const sv = v - dy;
        out[(c * H + v) * W + u] = su >= 0 && su < W && sv >= 0 && sv < H ? x.data[((n * C + c) * H + sv) * W + su] : fill;
      }
    }
  }
  return out;
}

function image(x: Tensor, n: number): Float32Array {
  const size = x.shape[1] * x.shape[2] * x.shape[3];
  return x.data.subarray(n * size, (n + 1) * size);
}

function sameArray(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The whole-pixel shift in [-m, m]² that maps image n of x to `got`, or null. */
function findShift(x: Tensor, n: number, got: Float32Array, m: number, fill: number): [number, number] | null {
  for (let dy = -m; dy <= m; dy++) {
    for (let dx = -m; dx <= m; dx++) if (sameArray(shifted(x, n, dx, dy, fill), got)) return [dx, dy];
  }
  return null;
}

const identityDraw: AugmentDraw = { tx: 0, ty: 0, theta: 0, cos: 1, sin: 0, flipHorizontal: false, flipVertical: false, ox: 0, oy: 0, delta: 0 };

describe.each(backendsUnderTest())('augmentBatch on $name', ({ backend }) => {
  test('all options off: an exact copy, input untouched, one stream consumed', () => {
    const x = batch(4, 2, 5, 7);
    const before = x.data.slice();
    const rng = new Rng(5);
    const y = augmentBatch(x, {}, rng, backend);
    expect(y.shape).toEqual([4, 2, 5, 7]);
    expect(y.data).not.toBe(x.data);
    expect(sameArray(y.data, x.data)).toBe(true);
    expect(sameArray(x.data, before)).toBe(true);
    expect(rng.getState().counter).toBe(1);
    // Options present but zero are the identity too, and the backend itself copies exactly.
    const zero = { shift: 0, rotation: 0, flipHorizontal: false, flipVertical: false, cropPadding: 0, brightness: 0, fill: 7 };
    expect(sameArray(augmentBatch(x, zero, new Rng(1), backend).data, x.data)).toBe(true);
    const out = new Float32Array(x.size);
    backend.augment(x.data, 4, 2, 5, 7, resolveAugmentOptions(zero), 9, 9, out);
    expect(sameArray(out, x.data)).toBe(true);
  });

  test('same seed gives the same batch; another seed or the next call differs; shape and N preserved', () => {
    const x = batch(8, 1, 10, 10);
    const opts: AugmentOptions = { shift: 0.2, rotation: 15, flipHorizontal: true, cropPadding: 2, brightness: 0.1 };
    const a = augmentBatch(x, opts, new Rng(42), backend);
    const b = augmentBatch(x, opts, new Rng(42), backend);
    const c = augmentBatch(x, opts, new Rng(43), backend);
    const rng = new Rng(42);
    augmentBatch(x, opts, rng, backend);
    const d = augmentBatch(x, opts, rng, backend);
    expect(a.shape).toEqual(x.shape);
    expect(a.shape[0]).toBe(8);
    expect(sameArray(a.data, b.data)).toBe(true);
    expect(sameArray(a.data, c.data)).toBe(false);
    expect(sameArray(a.data, d.data)).toBe(false);
    expect(a.data.every(Number.isFinite)).toBe(true);
  });

  test('horizontal flips: each image is itself or its exact mirror, both occur', () => {
    const [N, C, H, W] = [24, 2, 4, 5];
    const x = batch(N, C, H, W);
    const y = augmentBatch(x, { flipHorizontal: true }, new Rng(7), backend);
    let flipped = 0;
    for (let n = 0; n < N; n++) {
      const got = image(y, n);
      const mirror = new Float32Array(C * H * W);
      for (let c = 0; c < C; c++) for (let v = 0; v < H; v++) for (let u = 0; u < W; u++) {
        mirror[(c * H + v) * W + u] = x.data[((n * C + c) * H + v) * W + (W - 1 - u)];
      }
      const isSame = sameArray(got, image(x, n));
      const isMirror = sameArray(got, mirror);
      expect(isSame || isMirror).toBe(true);
      if (isMirror) flipped++;
    }
    expect(flipped).toBeGreaterThan(3);
    expect(flipped).toBeLessThan(N - 3);
  });

  test('vertical flips: each image is itself or its exact upside-down copy', () => {
    const [N, H, W] = [16, 6, 3];
    const x = batch(N, 1, H, W);
    const y = augmentBatch(x, { flipVertical: true }, new Rng(8), backend);
    let flipped = 0;
    for (let n = 0; n < N; n++) {
      const got = image(y, n);
      const src = image(x, n);
      const mirror = new Float32Array(H * W);
      for (let v = 0; v < H; v++) for (let u = 0; u < W; u++) mirror[v * W + u] = src[(H - 1 - v) * W + u];
      expect(sameArray(got, src) || sameArray(got, mirror)).toBe(true);
      if (sameArray(got, mirror)) flipped++;
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(N);
  });

  test('shift moves pixels by whole pixels within ±round(shift·size), exactly, filling the rest', () => {
    const [N, H, W] = [16, 8, 8];
    const x = batch(N, 2, H, W);
    const fill = -0.5;
    const y = augmentBatch(x, { shift: 0.25, fill }, new Rng(11), backend); // m = 2
    const seen = new Set<string>();
    for (let n = 0; n < N; n++) {
      const s = findShift(x, n, image(y, n), 2, fill);
      expect(s).not.toBeNull();
      seen.add(String(s));
    }
    expect(seen.size).toBeGreaterThan(4);
  });

  test('crop padding: pad then crop is a whole-pixel translation within ±padding', () => {
    const [N, H, W] = [12, 6, 9];
    const x = batch(N, 3, H, W);
    const y = augmentBatch(x, { cropPadding: 3, fill: 2 }, new Rng(12), backend);
    const seen = new Set<string>();
    for (let n = 0; n < N; n++) {
      const s = findShift(x, n, image(y, n), 3, 2);
      expect(s).not.toBeNull();
      seen.add(String(s));
    }
    expect(seen.size).toBeGreaterThan(4);
  });

  test('brightness adds one delta per image, within [-b, b], varying between images', () => {
    const N = 20;
    const x = batch(N, 2, 3, 3);
    const b = 0.3;
    const y = augmentBatch(x, { brightness: b }, new Rng(13), backend);
    const deltas: number[] = [];
    for (let n = 0; n < N; n++) {
      const a = image(x, n);
      const g = image(y, n);
      const d0 = g[0] - a[0];
      expect(Math.abs(d0)).toBeLessThanOrEqual(b + 1e-6);
      for (let i = 0; i < a.length; i++) expect(Math.abs(g[i] - a[i] - d0)).toBeLessThan(1e-6);
      deltas.push(d0);
    }
    expect(Math.max(...deltas) - Math.min(...deltas)).toBeGreaterThan(b / 2);
  });

  test('rotation of a constant image with the same fill stays constant; the center pixel of an odd image stays put', () => {
    const x = new Tensor(new Float32Array(6 * 9 * 9).fill(0.25), [6, 1, 9, 9]);
    const y = augmentBatch(x, { rotation: 45, fill: 0.25 }, new Rng(14), backend);
    expectClose(y.data, x.data, { atol: 1e-6, rtol: 0 }, 'constant');
    const z = batch(6, 1, 9, 9);
    const r = augmentBatch(z, { rotation: 30 }, new Rng(15), backend);
    for (let n = 0; n < 6; n++) expect(Math.abs(r.data[n * 81 + 40] - z.data[n * 81 + 40])).toBeLessThan(1e-6);
    expect(sameArray(r.data, z.data)).toBe(false);
  });
});

describe('the transform itself (TS reference)', () => {
  test('parameters come from slots n·8 + j of the stream and stay in range', () => {
    expect(AUGMENT_SLOTS).toBe(8);
    const cfg = resolveAugmentOptions({ shift: 0.1, rotation: 20, flipHorizontal: true, cropPadding: 4, brightness: 0.5 });
    const base = streamBase(3, 1);
    for (let n = 0; n < 200; n++) {
      const d = augmentDraw(cfg, 28, 28, base, n);
      expect(Math.abs(d.tx)).toBeLessThanOrEqual(3);
      expect(Math.abs(d.ty)).toBeLessThanOrEqual(3);
      expect(Number.isInteger(d.tx) && Number.isInteger(d.ox)).toBe(true);
      expect(Math.abs(d.theta)).toBeLessThanOrEqual((20 * Math.PI) / 180);
      expect(Math.abs(d.ox)).toBeLessThanOrEqual(4);
      expect(Math.abs(d.delta)).toBeLessThanOrEqual(0.5);
      expect(d.flipVertical).toBe(false);
    }
    // Turning one option off leaves the others' draws alone.
    const cfg2 = { ...cfg, rotation: 0 };
    const d1 = augmentDraw(cfg, 28, 28, base, 5);
    const d2 = augmentDraw(cfg2, 28, 28, base, 5);
    expect([d2.tx, d2.ty, d2.ox, d2.oy, d2.delta, d2.flipHorizontal]).toEqual([d1.tx, d1.ty, d1.ox, d1.oy, d1.delta, d1.flipHorizontal]);
    expect(d2.theta).toBe(0);
  });

  test('90° rotation of a square image is transposition then vertical flip (counter-clockwise)', () => {
    const [C, S] = [2, 7];
    const x = randomArray(C * S * S, 21, 0, 1);
    const y = new Float32Array(C * S * S);
    const t = Math.PI / 2;
    augmentImage(x, 0, C, S, S, { ...identityDraw, theta: t, cos: Math.cos(t), sin: Math.sin(t) }, 0, false, y, 0);
    const expected = new Float32Array(C * S * S);
    for (let c = 0; c < C; c++) for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
      expected[(c * S + i) * S + j] = x[(c * S + j) * S + (S - 1 - i)]; // numpy rot90
    }
    expectClose(y, expected, { atol: 1e-5, rtol: 0 }, 'rot90');
    // ... and on an even size too (center between pixels).
    const E = 6;
    const xe = randomArray(E * E, 22, 0, 1);
    const ye = new Float32Array(E * E);
    augmentImage(xe, 0, 1, E, E, { ...identityDraw, cos: Math.cos(t), sin: Math.sin(t) }, 0, false, ye, 0);
    const ee = new Float32Array(E * E);
    for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) ee[i * E + j] = xe[j * E + (E - 1 - i)];
    expectClose(ye, ee, { atol: 1e-5, rtol: 0 }, 'rot90 even');
  });

  test('a flip applied twice is the identity; a shift then the opposite shift restores the interior', () => {
    const x = randomArray(3 * 5 * 6, 23, 0, 1);
    const once = new Float32Array(x.length);
    const twice = new Float32Array(x.length);
    const flip = { ...identityDraw, flipHorizontal: true, flipVertical: true };
    augmentImage(x, 0, 3, 5, 6, flip, 0, false, once, 0);
    augmentImage(once, 0, 3, 5, 6, flip, 0, false, twice, 0);
    expect(sameArray(once, x)).toBe(false);
    expect(sameArray(twice, x)).toBe(true);
    const s1 = new Float32Array(6 * 6);
    const s2 = new Float32Array(6 * 6);
    const img = randomArray(36, 24, 0, 1);
    augmentImage(img, 0, 1, 6, 6, { ...identityDraw, tx: 1, ty: -2 }, 0, false, s1, 0);
    expect(s1[2 * 6 + 3]).toBe(img[4 * 6 + 2]); // (u=3, v=2) <- (u=2, v=4)
    augmentImage(s1, 0, 1, 6, 6, { ...identityDraw, tx: -1, ty: 2 }, 0, false, s2, 0);
    for (let v = 2; v < 6; v++) for (let u = 0; u < 5; u++) expect(s2[v * 6 + u]).toBe(img[v * 6 + u]);
  });

  test('off-grid sources interpolate bilinearly; sources fully outside read fill exactly', () => {
    const x = new Float32Array([0, 1, 2, 3]); // 2x2
    const y = new Float32Array(4);
    augmentImage(x, 0, 1, 2, 2, { ...identityDraw, ox: 5 }, 9, false, y, 0);
    expect(Array.from(y)).toEqual([9, 9, 9, 9]);
    // 3x3, 45° counter-clockwise: output (u=2, v=1) comes from (1 + c, 1 + c), c = cos 45°.
    const img = randomArray(9, 25, 0, 1);
    const out = new Float32Array(9);
    const t = Math.PI / 4;
    augmentImage(img, 0, 1, 3, 3, { ...identityDraw, cos: Math.cos(t), sin: Math.sin(t) }, 0, false, out, 0);
    const f = Math.cos(t);
    const want = (1 - f) * (1 - f) * img[4] + f * (1 - f) * img[5] + (1 - f) * f * img[7] + f * f * img[8];
    expect(out[1 * 3 + 2]).toBeCloseTo(want, 6);
    expect(out[4]).toBe(img[4]);
  });
});

describe('options and validation', () => {
  const x = batch(2, 1, 4, 4);
  test('bad inputs throw TypeError / RangeError naming the argument', () => {
    const rng = new Rng(1);
    expect(() => augmentBatch(x.data as unknown as Tensor, {}, rng, ts)).toThrow(TypeError);
    expect(() => augmentBatch(x.reshape([2, 4, 4]), {}, rng, ts)).toThrow(/x: expected a tensor of shape \[N, C, H, W\]/);
    expect(() => augmentBatch(x, {}, {} as Rng, ts)).toThrow(TypeError);
    expect(() => augmentBatch(x, null as unknown as AugmentOptions, rng, ts)).toThrow(TypeError);
    expect(() => augmentBatch(x, { shift: 1.5 }, rng, ts)).toThrow(RangeError);
    expect(() => augmentBatch(x, { shift: -0.1 }, rng, ts)).toThrow(/augment\.shift/);
    expect(() => augmentBatch(x, { shift: '0.1' as unknown as number }, rng, ts)).toThrow(TypeError);
    expect(() => augmentBatch(x, { rotation: 200 }, rng, ts)).toThrow(/augment\.rotation/);
    expect(() => augmentBatch(x, { rotation: NaN }, rng, ts)).toThrow(RangeError);
    expect(() => augmentBatch(x, { cropPadding: 1.5 }, rng, ts)).toThrow(/augment\.cropPadding/);
    expect(() => augmentBatch(x, { flipHorizontal: 1 as unknown as boolean }, rng, ts)).toThrow(/augment\.flipHorizontal: expected a boolean/);
    expect(() => augmentBatch(x, { brightness: -1 }, rng, ts)).toThrow(RangeError);
    expect(() => augmentBatch(x, { fill: Infinity }, rng, ts)).toThrow(RangeError);
    expect(() => augmentBatch(x, { rotate: 10 } as unknown as AugmentOptions, rng, ts)).toThrow(/'rotate'/);
  });

  test('parseAugmentSpec reads the CLI form and rejects malformed items', () => {
    expect(parseAugmentSpec('shift=0.1,rotation=10,flip')).toEqual({ shift: 0.1, rotation: 10, flipHorizontal: true });
    expect(parseAugmentSpec(' crop=4 , vflip , hflip=false, brightness=0.2, fill=-1, rotate=5')).toEqual({
      cropPadding: 4, flipVertical: true, flipHorizontal: false, brightness: 0.2, fill: -1, rotation: 5,
    });
    expect(parseAugmentSpec('')).toEqual({});
    expect(parseAugmentSpec('none')).toEqual({});
    expect(() => parseAugmentSpec('shift=abc')).toThrow(/augment spec 'shift'/);
    expect(() => parseAugmentSpec('shift')).toThrow(RangeError);
    expect(() => parseAugmentSpec('shift=2')).toThrow(/augment\.shift/);
    expect(() => parseAugmentSpec('flip=maybe')).toThrow(RangeError);
    expect(() => parseAugmentSpec('zoom=2')).toThrow(/'zoom'/);
    expect(() => parseAugmentSpec('constructor')).toThrow(RangeError);
    expect(() => parseAugmentSpec(3 as unknown as string)).toThrow(TypeError);
  });

  test('formatAugmentSpec round-trips; isIdentityAugment', () => {
    const o: AugmentOptions = { shift: 0.1, rotation: 10, flipHorizontal: true, cropPadding: 2, brightness: 0.05 };
    expect(parseAugmentSpec(formatAugmentSpec(o))).toEqual(o);
    expect(formatAugmentSpec({})).toBe('none');
    expect(isIdentityAugment(resolveAugmentOptions({ fill: 3 }))).toBe(true);
    expect(isIdentityAugment(resolveAugmentOptions({ flipVertical: true }))).toBe(false);
  });
});
