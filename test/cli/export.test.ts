/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/** `simdnet export`, spawned as users run it: the ONNX file it writes runs in onnxruntime-node like predict. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { saveModel } from '../../lib/io/model';
import { SimpleConvNet } from '../../lib/nets';
import { decodeModelProto } from '../../lib/onnx/proto';
import { expectWithin, inputFor, runOrt } from '../onnx/helpers';
import { cliPath, ensureDist, root } from './dist';

let dir: string;
beforeAll(() => {
  ensureDist();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-export-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { cwd: root, encoding: 'utf8' });
}

test('export writes an ONNX model that runs in onnxruntime-node and equals predict; class names from the model file', async () => {
  const net = new SimpleConvNet({ seed: 3, convParam: { filterNum: 6 } });
  const model = path.join(dir, 'm.safetensors');
  saveModel(net, model, { extra: { classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] } });
  const out = path.join(dir, 'm.onnx');
  const r = cli('export', '--model-file', model, '--onnx', out, '--json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const info = JSON.parse(r.stdout);
  expect(info).toMatchObject({ onnx: out, network: 'SimpleConvNet', opset: 17, dtype: 'float32', input: ['batch', 1, 28, 28], output: ['batch', 10] });
  const bytes = new Uint8Array(fs.readFileSync(out));
  expect(info.bytes).toBe(bytes.length);
  const meta = Object.fromEntries(decodeModelProto(bytes, 'm.onnx').metadataProps!.map((e) => [e.key, e.value]));
  expect(JSON.parse(meta.class_names!)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  const x = inputFor(net, 3, 4);
  expectWithin((await runOrt(bytes, x)).data, net.predict(x).data, 'simdnet export');

  const out16 = path.join(dir, 'm16.onnx');
  const r16 = cli('export', '--model-file', model, '--onnx', out16, '--dtype', 'float16', '--opset', '19', '--class-names', '0,1,2,3,4,5,6,7,8,9');
  expect(r16.status).toBe(0);
  expect(r16.stdout).toMatch(/^wrote .*m16\.onnx \(\d+ bytes, opset 19, float16 weights\): SimpleConvNet, input \[batch, 1, 28, 28\] -> logits \[batch, 10\], classes 0,1,2/);
  expect(fs.statSync(out16).size).toBeLessThan(0.6 * bytes.length);

  // class names from simdnet train's data spec in the model file
  const trained = path.join(dir, 'trained.safetensors');
  saveModel(net, trained, { extra: { metadata: { data: { source: 'images', path: null, classNames: 'abcdefghij'.split('').map((c) => `class-${c}`) } } } });
  const rt = cli('export', '--model-file', trained, '--onnx', path.join(dir, 't.onnx'), '--json');
  expect(rt.status).toBe(0);
  expect(JSON.parse(rt.stdout).classNames[9]).toBe('class-j');
});

test('a wrong command line exits 2 naming the flag; a missing model file exits 1', () => {
  const model = path.join(dir, 'm.safetensors');
  for (const [args, msg] of [
    [['--onnx', 'x.onnx'], /--model-file: required/],
    [['--model-file', model], /--onnx: required/],
    [['--model-file', model, '--onnx', 'x.onnx', '--opset', '12'], /--opset: expected an integer in \[17, 21\], got '12'/],
    [['--model-file', model, '--onnx', 'x.onnx', '--dtype', 'int8'], /--dtype: expected one of float32, float16, got 'int8'/],
    [['--model-file', model, '--onnx', 'x.onnx', '--bogus'], /unknown flag --bogus/],
  ] as [string[], RegExp][]) {
    const r = cli('export', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
  }
  const missing = cli('export', '--model-file', path.join(dir, 'nope.safetensors'), '--onnx', path.join(dir, 'x.onnx'));
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/simdnet export: error: .*nope\.safetensors/);
  expect(fs.existsSync(path.join(dir, 'x.onnx'))).toBe(false);
});
