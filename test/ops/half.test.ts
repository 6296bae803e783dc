/**
 * IEEE binary16 conversion: all 65536 halves decoded against the format's definition, toHalf edge cases (ties to
 * even, 65504, 65520 -> Inf, subnormals, NaN), a random sweep against a float64 round-half-even reference, and
 * native (F16C and scalar, 1 and 3 threads) bit-identical to TS: exhaustive fromHalf, random + edge toHalf.
 */
import { Rng } from '../../lib/rng';
import { backendsUnderTest, requireNative, ts, tsOnly } from '../helpers';
import { expectSameBits, nativeConfigs, SIZES, withNative, expectInputError } from './ops-helpers';

const ALL = Uint16Array.from({ length: 65536 }, (_, i) => i);

function bitsToFloat(bits: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/** The value a half encodes, by definition. */
function halfValue(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m ? NaN : s * Infinity;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Positive finite half values -> their bits (the decoding is monotonic). */
const positive = new Map<number, number>();
for (let h = 0; h < 0x7c00; h++) positive.set(halfValue(h), h);

/** Reference toHalf for a non-NaN float: round |f| to a multiple of its half ulp, ties to even, in float64. */
function toHalfRef(f: number): number {
  const sign = f < 0 || Object.is(f, -0) ? 0x8000 : 0;
  const a = Math.abs(f);
  if (a >= 65520) return sign | 0x7c00;
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  let r = Math.floor(q);
  const frac = q - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  const bits = positive.get(r * ulp);
  if (bits === undefined) throw new Error(`reference failed for ${f}`);
  return sign | bits;
}

// [float32 bits, expected half bits, description]
const EDGES: [number, number, string][] = [
  [0x00000000, 0x0000, '+0'], [0x80000000, 0x8000, '-0'], [0x3f800000, 0x3c00, '1'], [0xc0000000, 0xc000, '-2'],
  [0x477fe000, 0x7bff, '65504 (max half)'], [0x477fefff, 0x7bff, 'just below 65520'], [0x477ff000, 0x7c00, '65520 -> Inf'],
  [0xc77ff000, 0xfc00, '-65520 -> -Inf'], [0x7f7fffff, 0x7c00, 'FLT_MAX -> Inf'], [0x7f800000, 0x7c00, '+Inf'], [0xff800000, 0xfc00, '-Inf'],
  [0x3f801000, 0x3c00, '1 + 2^-11: tie to even (down)'], [0x3f803000, 0x3c02, '1 + 3·2^-11: tie to even (up)'],
  [0x3f801001, 0x3c01, 'just above the tie'], [0x3f800fff, 0x3c00, 'just below the tie'],
  [0x33800000, 0x0001, '2^-24: smallest subnormal'], [0x33000000, 0x0000, '2^-25: tie to even -> 0'],
  [0x33000001, 0x0001, 'just above 2^-25'], [0x33c00000, 0x0002, '3·2^-25: tie to even -> 2'],
  [0x387fc000, 0x03ff, 'largest subnormal'], [0x387fe000, 0x0400, 'tie between largest subnormal and 2^-14 -> even'],
  [0x38800000, 0x0400, '2^-14: smallest normal'], [0xb3800000, 0x8001, '-2^-24'], [0x00000001, 0x0000, 'float32 subnormal -> 0'],
  [0x80000001, 0x8000, 'negative float32 subnormal -> -0'], [0x7fc00000, 0x7e00, 'quiet NaN'], [0xffc00000, 0xfe00, '-NaN keeps sign'],
  [0x7f800001, 0x7e00, 'signaling NaN -> quiet'], [0x7fa00000, 0x7f00, 'NaN payload: top bits kept'], [0xff802000, 0xfe01, '-sNaN payload'],
];

describe.each(backendsUnderTest())('$name backend', ({ backend }) => {
  test('fromHalf decodes all 65536 halves exactly (NaN: quiet, sign and payload kept)', () => {
    const out = new Float32Array(65536);
    backend.fromHalf(ALL, out);
    const bits = new Uint32Array(out.buffer);
    for (let h = 0; h < 65536; h++) {
      const want = halfValue(h);
      if (Number.isNaN(want)) {
        const expectBits = (((h & 0x8000) << 16) | 0x7fc00000 | ((h & 0x3ff) << 13)) >>> 0;
        if (bits[h] !== expectBits) throw new Error(`fromHalf(0x${h.toString(16)}) = 0x${bits[h].toString(16)}, expected 0x${expectBits.toString(16)}`);
      } else if (!Object.is(out[h], want)) {
        throw new Error(`fromHalf(0x${h.toString(16)}) = ${out[h]}, expected ${want}`);
      }
    }
  });

  test.each(EDGES.map(([f, h, what]) => [what, f, h]))('toHalf edge case: %s', (_what, f, h) => {
    const dst = new Uint16Array(1);
    backend.toHalf(bitsToFloat([f]), dst);
    expect(dst[0].toString(16)).toBe(h.toString(16));
  });

  test('round trip: every non-NaN half survives fromHalf -> toHalf', () => {
    const f = new Float32Array(65536);
    backend.fromHalf(ALL, f);
    const back = new Uint16Array(65536);
    backend.toHalf(f, back);
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      const want = nan ? h | 0x200 : h;
      if (back[h] !== want) throw new Error(`round trip of 0x${h.toString(16)} gave 0x${back[h].toString(16)}`);
    }
  });

  test('random sweep against the float64 round-half-even reference', () => {
    const rng = new Rng(5);
    const n = 30000;
    const raw = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      // exponents concentrated around the half range (2^-30 .. 2^17), random mantissas and signs
      const exp = 97 + rng.int(48);
      raw[i] = ((rng.uniform() < 0.5 ? 0x80000000 : 0) | (exp << 23) | (rng.uint32() & 0x7fffff)) >>> 0;
    }
    const src = new Float32Array(raw.buffer);
    const dst = new Uint16Array(n);
    backend.toHalf(src, dst);
    for (let i = 0; i < n; i++) {
      const want = toHalfRef(src[i]);
      if (dst[i] !== want) throw new Error(`toHalf(${src[i]}) = 0x${dst[i].toString(16)}, expected 0x${want.toString(16)}`);
    }
  });

  test.each([
    ['toHalf short dst', () => backend.toHalf(new Float32Array(4), new Uint16Array(3)), RangeError],
    ['toHalf dst as Int32Array', () => backend.toHalf(new Float32Array(4), new Int32Array(4) as unknown as Uint16Array), TypeError],
    ['fromHalf short dst', () => backend.fromHalf(new Uint16Array(4), new Float32Array(3)), RangeError],
    ['fromHalf src as Float32Array', () => backend.fromHalf(new Float32Array(4) as unknown as Uint16Array, new Float32Array(4)), TypeError],
  ] as [string, () => void, ErrorConstructor][])('rejects %s', (_label, call, ErrorType) => {
    expectInputError(call, ErrorType);
  });
});

if (!tsOnly) {
  test('native (every kernel table and thread count) is bit-identical to TS', () => {
    const rng = new Rng(11);
    const n = 100003;
    const raw = new Uint32Array(n);
    for (let i = 0; i < n; i++) raw[i] = i < EDGES.length ? EDGES[i][0] : rng.uint32();
    for (let i = EDGES.length; i < n; i += 17) raw[i] = (raw[i] & 0x807fffff) | ((103 + (i % 40)) << 23); // dense around the half range
    const src = new Float32Array(raw.buffer);
    const wantH = new Uint16Array(n);
    ts.toHalf(src, wantH);
    const wantF = new Float32Array(65536);
    ts.fromHalf(ALL, wantF);
    for (const cfg of nativeConfigs()) {
      withNative(cfg.isa, cfg.threads, () => {
        const nat = requireNative();
        const f = new Float32Array(65536);
        nat.fromHalf(ALL, f);
        expectSameBits(f, wantF, `fromHalf ${cfg.label}`);
        for (const len of [...SIZES.slice(0, -1), n]) {
          const h = new Uint16Array(len);
          nat.toHalf(src.subarray(0, len), h);
          for (let i = 0; i < len; i++) {
            if (h[i] !== wantH[i]) throw new Error(`toHalf ${cfg.label} len=${len}: index ${i} (0x${raw[i].toString(16)}) gave 0x${h[i].toString(16)}, expected 0x${wantH[i].toString(16)}`);
          }
          const back = new Float32Array(len);
          nat.fromHalf(h, back);
          const backT = new Float32Array(len);
          ts.fromHalf(h, backT);
          expectSameBits(back, backT, `fromHalf of toHalf ${cfg.label} len=${len}`);
        }
      });
    }
  });
}
