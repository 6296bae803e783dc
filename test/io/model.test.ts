/**
 * Model files: bit-exact save/load round trips for every network type, checkpoints with optimizer state that
 * resume training exactly, atomic saves, and clear errors for corrupted or mismatched files.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  decodeCheckpoint, encodeModel, loadCheckpoint, loadModel, loadNpzWeights, saveModel, saveNpzWeights,
} from '../../lib/io/model';
import { readNpz, writeNpz } from '../../lib/io/npz';
import { decodeSafetensors, encodeSafetensors, saveSafetensors, type SafeTensorInput } from '../../lib/io/safetensors';
import { Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu, SoftmaxWithLoss } from '../../lib/layers';
import { DeepConvNet, MultiLayerNetExtend, Sequential, SimpleConvNet, type Network } from '../../lib/nets';
import { Adam, createOptimizer, Momentum } from '../../lib/optimizers';
import { Tensor } from '../../lib/tensor';
import { randomArray } from '../helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-model-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function labels(n: number, classes: number, seed: number): Int32Array {
  const r = randomArray(n, seed, 0, classes);
  return Int32Array.from(r, (v) => Math.min(classes - 1, Math.floor(v)));
}

interface NetCase {
  name: string;
  make: () => Network;
  sample: number[];
}

const nets: NetCase[] = [
  { name: 'SimpleConvNet', make: () => new SimpleConvNet({ inputDim: [1, 10, 10], convParam: { filterNum: 3, filterSize: 3 }, hiddenSize: 8, seed: 3 }), sample: [1, 10, 10] },
  { name: 'DeepConvNet', make: () => new DeepConvNet({ seed: 4 }), sample: [1, 28, 28] },
  {
    name: 'MultiLayerNetExtend (BN + dropout)',
    make: () => new MultiLayerNetExtend({ inputSize: 12, hiddenSizeList: [9, 7], outputSize: 4, useBatchnorm: true, useDropout: true, dropoutRatio: 0.3, weightDecayLambda: 0.01, seed: 5 }),
    sample: [12],
  },
  {
    name: 'Sequential (conv + BN + pool + dropout)',
    make: () =>
      new Sequential(
        [
          new Convolution(2, 4, 3, { pad: 1 }),
          new BatchNormalization(4, { axis: 'channel' }),
          new Relu(),
          new Pooling(2, 2, { stride: 2 }),
          new Affine(4 * 3 * 3, 6),
          new Dropout(0.25),
          new Affine(6, 3),
          new SoftmaxWithLoss(),
        ],
        { inputShape: [2, 6, 6], seed: 6 },
      ),
    sample: [2, 6, 6],
  },
];

function bytesEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function expectSameWeights(a: Network, b: Network): void {
  const pa = a.namedParams();
  const pb = b.namedParams();
  expect(Object.keys(pb)).toEqual(Object.keys(pa));
  for (const k of Object.keys(pa)) {
    expect(pb[k].value.shape).toEqual(pa[k].value.shape);
    if (!bytesEqual(pa[k].value.data, pb[k].value.data)) throw new Error(`param ${k} differs after the round trip`);
  }
  const ba = a.namedBuffers();
  const bb = b.namedBuffers();
  expect(Object.keys(bb)).toEqual(Object.keys(ba));
  for (const k of Object.keys(ba)) {
    if (!bytesEqual(ba[k].data, bb[k].data)) throw new Error(`buffer ${k} differs after the round trip`);
  }
}

describe.each(nets)('$name', ({ make, sample }) => {
  const N = 5;
  const x = new Tensor(randomArray(N * sample.reduce((p, d) => p * d, 1), 11), [N, ...sample]);

  test('save/load round trip is bit-exact (params, buffers, config, predictions)', () => {
    const net = make();
    const t = labels(N, net.outputShape()[1], 12);
    // Train a little so buffers (running statistics) and params are not at their initial values.
    const opt = new Momentum({ lr: 0.05 });
    for (let i = 0; i < 2; i++) {
      net.gradient(x, t);
      opt.step(net.namedParams());
    }
    if (Object.keys(net.namedBuffers()).length > 0) {
      expect(Object.values(net.namedBuffers()).some((b) => b.data.some((v) => v !== 0 && v !== 1))).toBe(true);
    }
    const file = path.join(dir, `${net.type}.safetensors`);
    saveModel(net, file);
    const back = loadModel(file, { backend: net.backend });
    expect(back.constructor).toBe(net.constructor);
    expect(back.config()).toEqual(net.config());
    expectSameWeights(net, back);
    const y1 = net.predict(x);
    const y2 = back.predict(x);
    expect(bytesEqual(y1.data, y2.data)).toBe(true);
    // The file is a plain safetensors file with the documented metadata.
    const { tensors, metadata } = decodeSafetensors(fs.readFileSync(file));
    expect(metadata.format).toBe('simdnet');
    expect(metadata.version).toBe('1');
    expect(JSON.parse(metadata.config)).toEqual(net.config());
    expect(metadata.optimizer).toBe('null');
    expect(Object.keys(tensors).sort()).toEqual([...Object.keys(net.namedParams()), ...Object.keys(net.namedBuffers())].sort());
    for (const tt of Object.values(tensors)) expect(tt.dtype).toBe('F32');
  });

  test('a checkpoint with Adam state and extra resumes training exactly (weights, state, dropout masks)', () => {
    const net = make();
    const t = labels(N, net.outputShape()[1], 13);
    const opt = new Adam({ lr: 0.01 });
    for (let i = 0; i < 2; i++) {
      net.gradient(x, t);
      opt.step(net.namedParams());
    }
    const file = path.join(dir, `${net.type}-ckpt.safetensors`);
    saveModel(net, file, { optimizer: opt, extra: { epoch: 2, history: [0.5, 0.25] } });
    const ck = loadCheckpoint(file, { backend: net.backend });
    expect(ck.extra).toEqual({ epoch: 2, history: [0.5, 0.25] });
    expect(ck.optimizerState).not.toBeNull();
    const st = ck.optimizerState!;
    expect(st.name).toBe('adam');
    expect(st.t).toBe(2);
    expect(st.hyper).toEqual(opt.hyperparameters());
    const orig = opt.getState();
    expect(Object.keys(st.slots).sort()).toEqual(Object.keys(orig.slots).sort());
    for (const k of Object.keys(orig.slots)) {
      for (const s of ['m', 'v']) expect(bytesEqual(st.slots[k][s], orig.slots[k][s])).toBe(true);
    }
    const opt2 = createOptimizer(st.name);
    opt2.setState(st);
    // Two more steps on both: identical weights (dropout masks continue from the saved Rng state).
    for (let i = 0; i < 2; i++) {
      net.gradient(x, t);
      opt.step(net.namedParams());
      ck.net.gradient(x, t);
      opt2.step(ck.net.namedParams());
    }
    expectSameWeights(net, ck.net);
    expect(ck.net.lastLoss).toBe(net.lastLoss);
  });
});

describe('model file validation', () => {
  const small = () => new MultiLayerNetExtend({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, useBatchnorm: true, seed: 1 });

  /** The tensors/metadata of a good file, to tamper with. */
  function good() {
    const d = decodeSafetensors(encodeModel(small()));
    const tensors: Record<string, SafeTensorInput> = {};
    for (const [k, v] of Object.entries(d.tensors)) tensors[k] = { dtype: v.dtype, shape: v.shape, data: v.data.slice() };
    return { tensors, metadata: { ...d.metadata } };
  }

  test('encodeModel/decodeCheckpoint round trip in memory', () => {
    const net = small();
    const ck = decodeCheckpoint(encodeModel(net, { extra: 'x' }));
    expectSameWeights(net, ck.net);
    expect(ck.extra).toBe('x');
    expect(ck.optimizerState).toBeNull();
  });

  test('truncated and garbage files -> RangeError', () => {
    const bytes = encodeModel(small());
    const file = path.join(dir, 'trunc.safetensors');
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    expect(() => loadModel(file)).toThrow(RangeError);
    expect(() => loadModel(file)).toThrow(/trunc\.safetensors.*(truncated|cover)/);
    fs.writeFileSync(file, bytes.subarray(0, 5));
    expect(() => loadModel(file)).toThrow(/truncated/);
    fs.writeFileSync(file, Buffer.from('not a model file at all, just some text'));
    expect(() => loadModel(file)).toThrow(RangeError);
    expect(() => decodeCheckpoint(new Uint8Array(0))).toThrow(RangeError);
    expect(() => loadModel(path.join(dir, 'does-not-exist.safetensors'))).toThrow(/ENOENT/);
    expect(() => loadModel(3 as never)).toThrow(TypeError);
  });

  test('a safetensors file that is not a simdnet model, or of another version', () => {
    expect(() => decodeCheckpoint(encodeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }))).toThrow(
      /not a simdnet model file/,
    );
    const g = good();
    expect(() => decodeCheckpoint(encodeSafetensors(g.tensors, { ...g.metadata, version: '9' }))).toThrow(/unsupported model file version "9"/);
    expect(() => decodeCheckpoint(encodeSafetensors(g.tensors, { ...g.metadata, config: '{bad json' }))).toThrow(/metadata 'config' is not valid JSON/);
    expect(() => decodeCheckpoint(encodeSafetensors(g.tensors, { ...g.metadata, config: '{"type":"Nope"}' }))).toThrow(/config.*'Nope'/);
    expect(() => decodeCheckpoint(encodeSafetensors(g.tensors, { ...g.metadata, extra: '{' }))).toThrow(/metadata 'extra'/);
    expect(() => decodeCheckpoint(encodeSafetensors(g.tensors, { ...g.metadata, rng: '{"seed":-1}' }))).toThrow(/metadata 'rng'/);
  });

  test('missing key, wrong shape, wrong dtype, unexpected tensor: the error names the key', () => {
    const g = good();
    const without = { ...g.tensors };
    delete without.b2;
    expect(() => decodeCheckpoint(encodeSafetensors(without, g.metadata))).toThrow(/missing tensor 'b2' \(parameter of shape \[2\]\)/);
    const noBuf = { ...g.tensors };
    delete noBuf.running_var1;
    expect(() => decodeCheckpoint(encodeSafetensors(noBuf, g.metadata))).toThrow(/missing tensor 'running_var1'/);
    const reshaped = { ...g.tensors, W1: { dtype: 'F32' as const, shape: [3, 4], data: g.tensors.W1.data } };
    expect(() => decodeCheckpoint(encodeSafetensors(reshaped, g.metadata))).toThrow(
      /tensor 'W1' has shape \[3, 4\], the network's parameter has shape \[4, 3\]/,
    );
    const f64 = { ...g.tensors, b1: { dtype: 'F64' as const, shape: [3], data: new Float64Array(3) } };
    expect(() => decodeCheckpoint(encodeSafetensors(f64, g.metadata))).toThrow(/tensor 'b1' has dtype F64, expected F32/);
    const extra = { ...g.tensors, W9: { dtype: 'F32' as const, shape: [1], data: new Float32Array(1) } };
    expect(() => decodeCheckpoint(encodeSafetensors(extra, g.metadata))).toThrow(/unexpected tensor 'W9'/);
  });

  test('optimizer metadata and slots are checked', () => {
    const net = small();
    const opt = new Adam();
    net.gradient(new Tensor(randomArray(8, 1), [2, 4]), Int32Array.from([0, 1]));
    opt.step(net.namedParams());
    const d = decodeSafetensors(encodeModel(net, { optimizer: opt }));
    expect(JSON.parse(d.metadata.optimizer)).toEqual({ name: 'adam', hyper: opt.hyperparameters(), t: 1, params: Object.keys(net.namedParams()) });
    expect(Object.keys(d.tensors)).toContain('optim.m.W1');
    expect(Object.keys(d.tensors)).toContain('optim.v.beta1');
    const t: Record<string, SafeTensorInput> = { ...d.tensors };
    delete t['optim.v.W2'];
    expect(() => decodeCheckpoint(encodeSafetensors(t, d.metadata))).toThrow(/missing tensor 'optim.v.W2'/);
    const meta = (o: object) => ({ ...d.metadata, optimizer: JSON.stringify({ ...JSON.parse(d.metadata.optimizer), ...o }) });
    expect(() => decodeCheckpoint(encodeSafetensors(d.tensors, meta({ name: 'adamax' })))).toThrow(/metadata 'optimizer'.*'adamax'/);
    expect(() => decodeCheckpoint(encodeSafetensors(d.tensors, meta({ hyper: { lr: -1 } })))).toThrow(/metadata 'optimizer'.*lr/);
    expect(() => decodeCheckpoint(encodeSafetensors(d.tensors, meta({ params: ['W1', 'Q'] })))).toThrow(/"Q"/);
    // Saving state for a parameter the network lacks is refused.
    expect(() => encodeModel(net, { optimizer: { ...opt.getState(), slots: { Z: { m: new Float32Array(1), v: new Float32Array(1) } } } })).toThrow(
      /'Z'/,
    );
    expect(() => encodeModel(net, { extra: { n: BigInt(1) } })).toThrow(TypeError);
    expect(() => encodeModel({} as never)).toThrow(TypeError);
  });

  test('saves are atomic: a failed write leaves the old file byte-identical and no temporary file', () => {
    const file = path.join(dir, 'atomic', 'model.safetensors');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const net = small();
    saveModel(net, file);
    const before = fs.readFileSync(file);
    const realFs = require('fs') as typeof fs;
    let calls = 0;
    const spy = jest.spyOn(realFs, 'writeSync').mockImplementation(((...args: unknown[]) => {
      if (++calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (jest.requireActual('fs') as typeof fs).writeSync(...(args as [number, Uint8Array]));
    }) as never);
    try {
      const other = new MultiLayerNetExtend({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, useBatchnorm: true, seed: 2 });
      expect(() => saveModel(other, file)).toThrow(/ENOSPC/);
    } finally {
      spy.mockRestore();
    }
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['model.safetensors']);
    expectSameWeights(net, loadModel(file));
  });
});

describe('npz weights (the book\'s save_params / load_params)', () => {
  const mk = (seed: number) => new SimpleConvNet({ inputDim: [1, 8, 8], convParam: { filterNum: 2, filterSize: 3 }, hiddenSize: 5, outputSize: 3, seed });

  test.each(['f4', 'f8'] as const)('saveNpzWeights (%s) -> loadNpzWeights is exact', (dtype) => {
    const a = mk(1);
    const file = path.join(dir, `w-${dtype}.npz`);
    saveNpzWeights(a, file, { dtype });
    const arrays = readNpz(file);
    expect(Object.keys(arrays).sort()).toEqual(['W1', 'W2', 'W3', 'b1', 'b2', 'b3']);
    expect(arrays.W1.dtype).toBe(dtype);
    expect(arrays.W1.shape).toEqual([2, 1, 3, 3]);
    const b = mk(2);
    loadNpzWeights(b, file);
    expectSameWeights(a, b);
  });

  test('float64 arrays are rounded to float32; buffers load when present', () => {
    const net = new MultiLayerNetExtend({ inputSize: 3, hiddenSizeList: [2], outputSize: 2, useBatchnorm: true, seed: 1 });
    const src: Record<string, { shape: number[]; data: Float64Array }> = {};
    for (const [k, p] of Object.entries(net.namedParams())) src[k] = { shape: [...p.value.shape], data: Float64Array.from({ length: p.value.size }, (_, i) => 0.1 * (i + 1)) };
    src.running_mean1 = { shape: [2], data: Float64Array.from([0.3, 0.7]) };
    loadNpzWeights(net, src);
    expect(Array.from(net.namedParams().W1.value.data)).toEqual(Array.from(src.W1.data, Math.fround));
    expect(Array.from(net.namedBuffers().running_mean1.data)).toEqual([0.3, 0.7].map(Math.fround));
    expect(Array.from(net.namedBuffers().running_var1.data)).toEqual([0, 0]); // absent: left as it was
  });

  test('shape mismatch, missing and unexpected keys -> RangeError naming the key; nothing changes', () => {
    const net = mk(1);
    const before = net.namedParams().W1.value.data.slice();
    const file = path.join(dir, 'bad.npz');
    const arrays: Record<string, { shape: number[]; data: Float64Array }> = {};
    for (const [k, p] of Object.entries(net.namedParams())) arrays[k] = { shape: [...p.value.shape], data: new Float64Array(p.value.size) };
    writeNpz(file, { ...arrays, W2: { shape: [5, 18], data: new Float64Array(90) } });
    expect(() => loadNpzWeights(net, file)).toThrow(RangeError);
    expect(() => loadNpzWeights(net, file)).toThrow(/weights\.W2: expected shape \[18, 5\] \(the network's W2\), got \[5, 18\]/);
    const missing = { ...arrays };
    delete missing.b3;
    expect(() => loadNpzWeights(net, missing)).toThrow(/'b3' of shape \[3\]/);
    expect(() => loadNpzWeights(net, { ...arrays, W4: { shape: [1], data: new Float64Array(1) } })).toThrow(/unexpected 'W4'/);
    expect(Array.from(net.namedParams().W1.value.data)).toEqual(Array.from(before));
    expect(() => loadNpzWeights(net, 5 as never)).toThrow(TypeError);
    expect(() => loadNpzWeights(net, { ...arrays, W1: { shape: [2, 1, 3, 3], data: [1] as never } })).toThrow(TypeError);
    expect(() => loadNpzWeights(net, new Uint8Array([1, 2, 3]))).toThrow(RangeError);
  });
});
