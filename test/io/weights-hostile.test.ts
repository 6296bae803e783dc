/**
 * Weights that load silently wrong today (issue 9): arrays named like properties of every JavaScript object,
 * NaN/±Infinity weights (npz and model files), negative sample weights.
 */
import { encodeZip } from '../../lib/io/zip';
import { encodeNpy } from '../../lib/io/npy';
import { decodeCheckpoint, encodeModel, loadNpzWeights } from '../../lib/io/model';
import { encodeNpz, readNpz } from '../../lib/io/npz';
import { decodeSafetensors, encodeSafetensors } from '../../lib/io/safetensors';
import { SoftmaxWithLoss } from '../../lib/layers';
import { MultiLayerNet } from '../../lib/nets';
import { Tensor } from '../../lib/tensor';

const small = () => new MultiLayerNet({ inputSize: 3, hiddenSizeList: [2], outputSize: 2, seed: 1 });

/** The npz of `net`'s parameters, plus `extra` arrays. */
function npzOf(net: MultiLayerNet, extra: Record<string, number[]> = {}): Uint8Array {
  const arrays: Record<string, { dtype: 'f4'; shape: readonly number[]; data: Float32Array }> = {};
  for (const [k, p] of Object.entries(net.namedParams())) arrays[k] = { dtype: 'f4', shape: p.value.shape, data: p.value.data.slice() };
  for (const [k, v] of Object.entries(extra)) arrays[k] = { dtype: 'f4', shape: [v.length], data: Float32Array.from(v) };
  return encodeNpz(arrays);
}

describe('npz array names', () => {
  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('an array named %s is refused, naming it', (name) => {
    // written through the zip layer, since a JS object literal cannot even hold an own '__proto__' key by assignment
    const net = small();
    const bytes = encodeZip([
      ...Object.entries(net.namedParams()).map(([k, p]) => ({ name: `${k}.npy`, data: encodeNpy({ dtype: 'f4', shape: p.value.shape, data: p.value.data }) })),
      { name: `${name}.npy`, data: encodeNpy({ dtype: 'f4', shape: [1], data: new Float32Array([1]) }) },
    ]);
    expect(() => readNpz(bytes)).toThrow(RangeError);
    expect(() => readNpz(bytes)).toThrow(`array name ${JSON.stringify(name)} is not allowed`);
    expect(() => loadNpzWeights(small(), bytes)).toThrow(RangeError);
  });

  test('weights given as an object: a key only on Object.prototype is not taken for a parameter', () => {
    const net = small();
    const arrays: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, p] of Object.entries(net.namedParams())) arrays[k] = { shape: [...p.value.shape], data: p.value.data.slice() };
    Object.defineProperty(arrays, 'constructor', { value: { shape: [1], data: new Float32Array(1) }, enumerable: true });
    expect(() => loadNpzWeights(small(), arrays)).toThrow(/unexpected 'constructor'/);
  });
});

describe('non-finite weights', () => {
  test('npz: NaN or Infinity in a weight is refused, naming the array; allowNonFinite loads it', () => {
    const net = small();
    net.namedParams().W1.value.data[3] = NaN;
    const bytes = npzOf(net);
    const fresh = small();
    const before = fresh.namedParams().W1.value.data.slice();
    expect(() => loadNpzWeights(fresh, bytes)).toThrow(/weights\.W1 holds NaN at index 3/);
    expect(fresh.namedParams().W1.value.data).toEqual(before); // nothing changed
    net.namedParams().W1.value.data[3] = 0;
    net.namedParams().b2.value.data[1] = -Infinity;
    expect(() => loadNpzWeights(fresh, npzOf(net))).toThrow(/weights\.b2 holds -Infinity at index 1/);
    loadNpzWeights(fresh, npzOf(net), { allowNonFinite: true });
    expect(fresh.namedParams().b2.value.data[1]).toBe(-Infinity);
    expect(() => loadNpzWeights(fresh, npzOf(net), { allowNonFinites: true } as never)).toThrow(/only 'allowNonFinite'/);
  });

  test('model file: a NaN weight is refused naming the file and tensor; allowNonFinite loads it', () => {
    const net = small();
    net.namedParams().W2.value.data[0] = NaN;
    const bytes = encodeModel(net);
    expect(() => decodeCheckpoint(bytes, {}, 'm.safetensors')).toThrow(RangeError);
    expect(() => decodeCheckpoint(bytes, {}, 'm.safetensors')).toThrow(/model m\.safetensors: tensor 'W2' holds NaN at index 0/);
    expect(Number.isNaN(decodeCheckpoint(bytes, { allowNonFinite: true }).net.namedParams().W2.value.data[0])).toBe(true);
  });

  test('model file: optimizer state named after an Object.prototype member is refused cleanly', () => {
    const { tensors, metadata } = decodeSafetensors(encodeModel(small()));
    metadata.optimizer = JSON.stringify({ name: 'sgd', hyper: { lr: 0.1 }, t: 0, params: ['constructor'] });
    const bytes = encodeSafetensors(tensors, metadata);
    expect(() => decodeCheckpoint(bytes)).toThrow(/names state for "constructor", which is not a parameter/);
  });
});

describe('sample weights', () => {
  test('negative, NaN or infinite sample weights are a RangeError naming the index', () => {
    const loss = new SoftmaxWithLoss();
    const x = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
    const t = new Int32Array([0, 1]);
    expect(() => loss.forwardLoss(x, t, true, new Float32Array([1, -1]))).toThrow('SoftmaxWithLoss sampleWeights: expected finite weights >= 0, got -1 at index 1');
    expect(() => loss.forwardLoss(x, t, true, new Float32Array([NaN, 1]))).toThrow(/NaN at index 0/);
    expect(() => loss.forwardLoss(x, t, true, new Float32Array([1, Infinity]))).toThrow(RangeError);
    expect(loss.forwardLoss(x, t, true, new Float32Array([0, 2]))).toBeGreaterThan(0);
  });
});
