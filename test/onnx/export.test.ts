/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * exportOnnx, checked by an independent runtime: every network family runs in onnxruntime-node and its output
 * equals simdnet's predict within TOL·max(1, max|y|) (test/onnx/helpers.ts), with random and trained weights,
 * batch 1 and 100, float32 and float16 weights.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { toFloat16 } from '../../lib/tools/half';
import { Affine, SigmoidWithLoss } from '../../lib/layers';
import { MultiLayerNet, Sequential, SimpleConvNet } from '../../lib/nets';
import type { Network } from '../../lib/nets/network';
import { decodeModelProto } from '../../lib/onnx/proto';
import { encodeOnnx, exportOnnx, OPSET_IR_VERSION } from '../../lib/onnx';
import { expectWithin, inputFor, runOrt, train } from './helpers';
import { everyLayer, FAMILIES, globalPools, randomize } from './networks';

describe.each(FAMILIES)('%s in onnxruntime-node', (_name, make) => {
  const variants: [string, () => Network][] = [
    ['random weights', () => {
      const net = make(11);
      randomize(net, 12);
      return net;
    }],
    ['trained weights', () => {
      const net = make(21);
      train(net, 4, 22);
      return net;
    }],
  ];
  test.each(variants)('%s: batch 1 and 100, float32 and float16 weights', async (_v, build) => {
    const net = build();
    const half = toFloat16(net);
    const f32 = encodeOnnx(net);
    const f16 = encodeOnnx(net, { dtype: 'float16' });
    expect(f16.length).toBeLessThan(0.6 * f32.length + 4096);
    for (const N of [1, 100]) {
      const x = inputFor(net, N, 100 + N);
      const y = net.predict(x);
      const r = await runOrt(f32, x);
      expect(r.dims).toEqual(y.shape);
      expectWithin(r.data, y.data, `float32, batch ${N}`);
      const r16 = await runOrt(f16, x);
      expectWithin(r16.data, half.predict(x).data, `float16, batch ${N}`);
    }
  });
});

test('every supported opset runs in onnxruntime-node and declares its IR version', async () => {
  const net = everyLayer(3);
  randomize(net, 4);
  const x = inputFor(net, 5, 6);
  const y = net.predict(x);
  for (const opset of Object.keys(OPSET_IR_VERSION).map(Number)) {
    const bytes = encodeOnnx(net, { opset });
    const m = decodeModelProto(bytes, 'test');
    expect(Number(m.irVersion)).toBe(OPSET_IR_VERSION[opset]);
    expect(Number(m.opsetImport![0].version)).toBe(opset);
    expectWithin((await runOrt(bytes, x)).data, y.data, `opset ${opset}`);
  }
});

test('named input and output, a symbolic batch dimension, class names and the config in the metadata', async () => {
  const net = new SimpleConvNet({ seed: 5 });
  const classNames = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const bytes = encodeOnnx(net, { inputName: 'image', outputName: 'scores', classNames, metadata: { author: 'test' } });
  const m = decodeModelProto(bytes, 'test');
  const g = m.graph!;
  expect(g.input!.map((v) => v.name)).toEqual(['image']);
  expect(g.output!.map((v) => v.name)).toEqual(['scores']);
  expect(g.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 1, 28, 28]);
  expect(g.output![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 10]);
  const meta = Object.fromEntries(m.metadataProps!.map((e) => [e.key, e.value]));
  expect(JSON.parse(meta.class_names!)).toEqual(classNames);
  expect(meta['simdnet.network']).toBe('SimpleConvNet');
  expect(JSON.parse(meta['simdnet.config']!)).toEqual(net.config());
  expect(meta.author).toBe('test');
  const session = await ort.InferenceSession.create(bytes);
  expect(session.inputNames).toEqual(['image']);
  expect(session.outputNames).toEqual(['scores']);
  await session.release();
  // the book's names on the initializers
  expect(g.initializer!.map((t) => t.name).sort()).toEqual(['W1', 'W2', 'W3', 'b1', 'b2', 'b3']);
});

test("output 'probabilities' appends the loss layer's inference (Softmax, Sigmoid)", async () => {
  for (const net of [new SimpleConvNet({ seed: 7 }), globalPools(8)]) {
    const x = inputFor(net, 4, 9);
    const p = net.lossLayer.forward(net.predict(x), false);
    const r = await runOrt(encodeOnnx(net, { output: 'probabilities' }), x);
    expect(r.outputName).toBe('probabilities');
    expectWithin(r.data, p.data, `${net.type} probabilities`);
  }
});

test('exportOnnx(net, file) writes the bytes atomically and returns them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-onnx-'));
  try {
    const net = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5], outputSize: 3, seed: 1 });
    const file = path.join(dir, 'm.onnx');
    const bytes = exportOnnx(net, file, { opset: 18 });
    expect(new Uint8Array(fs.readFileSync(file))).toEqual(bytes);
    expect(fs.readdirSync(dir)).toEqual(['m.onnx']);
    expect(() => exportOnnx(net, path.join(dir, 'missing', 'm.onnx'))).toThrow();
    expect(fs.readdirSync(dir)).toEqual(['m.onnx']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments and unknown options are refused with clear errors', () => {
  const net = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5], outputSize: 3, seed: 1 });
  expect(() => encodeOnnx({} as Network)).toThrow(/net: expected a Network/);
  expect(() => encodeOnnx(net, { opset: 13 })).toThrow(/opset: expected one of 17, 18, 19, 20, 21, got number 13/);
  expect(() => encodeOnnx(net, { dtype: 'int8' as 'float16' })).toThrow(/dtype/);
  expect(() => encodeOnnx(net, { opsett: 17 } as object)).toThrow(/unknown option 'opsett'/);
  expect(() => encodeOnnx(net, { classNames: ['a', 'b'] })).toThrow(/3 names \(one per output of the MultiLayerNet\), got 2 names/);
  expect(() => encodeOnnx(net, { inputName: '' })).toThrow(/inputName/);
  // one sigmoid output takes two names: [negative, positive]
  const binary = new Sequential([new Affine(4, 1), new SigmoidWithLoss()], { inputShape: [4], seed: 1 });
  expect(() => encodeOnnx(binary, { classNames: ['no', 'yes'] })).not.toThrow();
  expect(() => encodeOnnx(binary, { classNames: ['a', 'b', 'c'] })).toThrow(/1 names/);
  expect(() => exportOnnx(net, {} as unknown as string, {})).toThrow(/a file path when options follow/);
});
