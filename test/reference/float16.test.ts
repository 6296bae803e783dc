/**
 * lib/half.ts (the book's ch08/half_float_network.py): weights stored as IEEE half, computed in float32.
 * The rounding is checked against an independent float64 round-to-nearest-even written here.
 */
import { castInputToHalf, compareHalfAccuracy, toFloat16 } from '../../lib/tools/half';
import { MultiLayerNetExtend, SimpleConvNet } from '../../lib/nets';
import { Tensor } from '../../lib/tensor';
import { backendsUnderTest, randomArray } from '../helpers';

/** float64 value of x rounded to binary16 (round to nearest, ties to even; overflow to ±Infinity). */
function roundHalf(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  e = Math.max(e, -14);
  const q = 2 ** (e - 10); // spacing of halves in [2^e, 2^(e+1)) (subnormals: 2^-24)
  const m = a / q;
  let r = Math.round(m);
  if (m - Math.trunc(m) === 0.5 && r % 2 === 1) r -= 1; // tie -> even
  const v = r * q;
  return Math.sign(x) * (v >= 65520 ? Infinity : v);
}

describe.each(backendsUnderTest())('float16 on the $name backend', ({ backend }) => {
  const make = () => new SimpleConvNet({ inputDim: [1, 8, 8], convParam: { filterNum: 3, filterSize: 3 }, hiddenSize: 6, outputSize: 4, weightInitStd: 0.5, seed: 9, backend });

  test('toFloat16 rounds every parameter to half on a copy; halfParams holds the bits and sizes', () => {
    const net = make();
    const orig = Object.fromEntries(Object.entries(net.namedParams()).map(([k, p]) => [k, p.value.data.slice()]));
    const half = toFloat16(net);
    expect(half).not.toBe(net);
    expect(half.config()).toEqual(net.config());
    let changed = 0;
    for (const [k, p] of Object.entries(half.namedParams())) {
      expect(Array.from(net.namedParams()[k].value.data)).toEqual(Array.from(orig[k])); // original untouched
      for (let i = 0; i < p.value.size; i++) {
        const want = roundHalf(orig[k][i]);
        if (p.value.data[i] !== want) throw new Error(`${k}[${i}]: ${orig[k][i]} -> ${p.value.data[i]}, expected ${want}`);
        if (want !== orig[k][i]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(net.paramCount() / 2);
    const hp = half.halfParams();
    expect(Object.keys(hp.params)).toEqual(Object.keys(net.namedParams()));
    expect(hp.bytes).toBe(2 * net.paramCount());
    expect(hp.float32Bytes).toBe(4 * net.paramCount());
    for (const [k, { data, shape }] of Object.entries(hp.params)) {
      expect(data).toBeInstanceOf(Uint16Array);
      expect(shape).toEqual(net.namedParams()[k].value.shape);
      const back = new Float32Array(data.length);
      backend.fromHalf(data, back);
      expect(Array.from(back)).toEqual(Array.from(half.namedParams()[k].value.data));
    }
    // halfParams() reads the current values: 1.0 is 0x3c00, -2 is 0xc000.
    half.namedParams().b1.value.data.set([1, -2]);
    expect(Array.from(half.halfParams().params.b1.data.subarray(0, 2))).toEqual([0x3c00, 0xc000]);
  });

  test('inPlace rounds the given network; buffers (BatchNorm statistics) are copied unchanged', () => {
    const bn = new MultiLayerNetExtend({ inputSize: 5, hiddenSizeList: [4], outputSize: 3, useBatchnorm: true, seed: 2, backend });
    bn.gradient(new Tensor(randomArray(15, 3, -3, 3), [3, 5]), Int32Array.from([0, 1, 2]));
    const rm = bn.namedBuffers().running_mean1.data.slice();
    const copy = toFloat16(bn);
    expect(Array.from(copy.namedBuffers().running_mean1.data)).toEqual(Array.from(rm));
    const w = bn.namedParams().W1.value.data.slice();
    const same = toFloat16(bn, { inPlace: true });
    expect(same).toBe(bn);
    expect(Array.from(bn.namedParams().W1.value.data)).toEqual(Array.from(w, roundHalf));
    expect(Array.from(bn.namedParams().W1.value.data)).toEqual(Array.from(copy.namedParams().W1.value.data));
    expect(typeof same.halfParams).toBe('function');
  });

  test('castInputToHalf rounds values (new tensor), overflow becomes Infinity', () => {
    const x = Tensor.from([0.1, -1 / 3, 1, 65504, 65520, 1e-8, 3e-5, 2049], [2, 4]);
    const h = castInputToHalf(x, backend);
    expect(h).not.toBe(x);
    expect(h.shape).toEqual([2, 4]);
    expect(Array.from(h.data)).toEqual(Array.from(x.data, roundHalf));
    expect(h.data[0]).toBe(0.0999755859375);
    expect(h.data[4]).toBe(Infinity);
    expect(h.data[7]).toBe(2048); // tie to even
    expect(x.data[0]).toBe(Math.fround(0.1));
  });

  test('compareHalfAccuracy: float32 accuracy of the network as is, float16 of a rounded copy', () => {
    const net = make();
    const N = 40;
    const x = new Tensor(randomArray(N * 64, 5, 0, 1), [N, 1, 8, 8]);
    const t = Int32Array.from({ length: N }, (_, i) => i % 4);
    const before = net.namedParams().W2.value.data.slice();
    const r = compareHalfAccuracy(net, x, t, 16);
    expect(r.float32).toBe(net.accuracy(x, t, 16));
    expect(r.float16).toBe(toFloat16(net).accuracy(castInputToHalf(x, backend), t, 16));
    expect(r.float16Bytes).toBe(2 * net.paramCount());
    expect(Array.from(net.namedParams().W2.value.data)).toEqual(Array.from(before));
  });
});

test('bad arguments', () => {
  expect(() => toFloat16({} as never)).toThrow(TypeError);
  expect(() => castInputToHalf(new Float32Array(2) as never)).toThrow(TypeError);
  const net = new MultiLayerNetExtend({ inputSize: 2, hiddenSizeList: [2], outputSize: 2 });
  expect(() => compareHalfAccuracy(net, Tensor.zeros([1, 2]), Int32Array.from([0]), 0)).toThrow(RangeError);
});
