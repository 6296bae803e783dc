/** saveModel for deployment: weightsOnly (no optimizer/rng state) and dtype 'f16'; loadModel reads every variant. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { float32ToHalf as toHalf, halfToFloat32 as fromHalf } from '../../lib/float16';
import { encodeModel, loadCheckpoint, loadModel, saveModel } from '../../lib/io/model';
import { MultiLayerNetExtend } from '../../lib/nets';
import { createOptimizer } from '../../lib/optimizers';
import { Rng } from '../../lib/rng';
import { Tensor } from '../../lib/tensor';
import { Trainer } from '../../lib/train';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-variants-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function trained(): { net: MultiLayerNetExtend; opt: ReturnType<typeof createOptimizer>; x: Tensor } {
  const net = new MultiLayerNetExtend({ inputSize: 100, hiddenSizeList: [128], outputSize: 4, useBatchnorm: true, seed: 3 });
  const rng = new Rng(1);
  const x = new Tensor(Float32Array.from({ length: 64 * 100 }, () => rng.normal()), [64, 100]);
  const t = Int32Array.from({ length: 64 }, () => rng.int(4));
  const opt = createOptimizer('adam', { lr: 0.01 });
  for (let i = 0; i < 5; i++) {
    net.gradient(x, t);
    opt.step(net.namedParams());
  }
  return { net, opt, x };
}

describe('saveModel variants', () => {
  const { net, opt, x } = trained();
  const weights = Object.values(net.namedParams()).reduce((s, p) => s + p.value.size, 0) + Object.values(net.namedBuffers()).reduce((s, b) => s + b.size, 0);

  test('weightsOnly: no optimizer or rng state, bit-exact weights; resume refuses it', () => {
    const full = encodeModel(net, { optimizer: opt });
    const slim = encodeModel(net, { weightsOnly: true });
    expect(slim.length).toBeLessThan(full.length / 2);
    expect(slim.length).toBeLessThan(weights * 4 + 4096);
    const f = path.join(dir, 'slim.safetensors');
    saveModel(net, f, { weightsOnly: true, extra: { classNames: ['a', 'b', 'c', 'd'] } });
    const ck = loadCheckpoint(f);
    expect(ck.optimizerState).toBeNull();
    expect(ck.extra).toEqual({ classNames: ['a', 'b', 'c', 'd'] });
    for (const [k, p] of Object.entries(ck.net.namedParams())) expect(Array.from(p.value.data)).toEqual(Array.from(net.namedParams()[k].value.data));
    expect(Array.from(loadModel(f).predict(x).data)).toEqual(Array.from(net.predict(x).data));
    const tr = new Trainer(new MultiLayerNetExtend({ inputSize: 100, hiddenSizeList: [128], outputSize: 4, useBatchnorm: true }), x, new Int32Array(64), null, null, { optimizer: 'adam' });
    expect(() => tr.resume(f)).toThrow(/training checkpoint|optimizer state/);
  });

  test("dtype 'f16': half the bytes, every value the binary16 rounding of the float32 one, predictions close", () => {
    const f = path.join(dir, 'half.safetensors');
    saveModel(net, f, { weightsOnly: true, dtype: 'f16' });
    const f32 = encodeModel(net, { weightsOnly: true });
    expect(fs.statSync(f).size).toBeLessThan(f32.length * 0.55);
    const back = loadModel(f);
    for (const [k, p] of Object.entries(net.namedParams())) {
      const h = new Uint16Array(p.value.size);
      toHalf(p.value.data, h);
      const want = new Float32Array(p.value.size);
      fromHalf(h, want);
      expect(Array.from(back.namedParams()[k].value.data)).toEqual(Array.from(want));
    }
    const a = net.predict(x).data;
    const b = back.predict(x).data;
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(2e-2 * Math.max(1, Math.abs(v))));
    // f16 weights with the optimizer state (F32) also round-trip
    const g = path.join(dir, 'half-full.safetensors');
    saveModel(net, g, { optimizer: opt, dtype: 'f16' });
    expect(loadCheckpoint(g).optimizerState!.name).toBe('adam');
  });

  test('refused: unknown keys, bad dtype, weightsOnly with an optimizer, values beyond binary16', () => {
    const f = path.join(dir, 'bad.safetensors');
    expect(() => saveModel(net, f, { weightOnly: true } as never)).toThrow(/unknown option 'weightOnly'/);
    expect(() => saveModel(net, f, { dtype: 'f8' as never })).toThrow(/dtype: expected 'f32' or 'f16', got 'f8'/);
    expect(() => saveModel(net, f, { weightsOnly: true, optimizer: opt })).toThrow(/optimizer: expected no optimizer with weightsOnly/);
    const big = new MultiLayerNetExtend({ inputSize: 2, hiddenSizeList: [2], outputSize: 2, seed: 1 });
    big.namedParams().W1.value.data[3] = 1e5;
    expect(() => saveModel(big, f, { dtype: 'f16' })).toThrow(/tensor 'W1': expected values within ±65504 \(binary16\), got 100000 at index 3/);
    expect(fs.existsSync(f)).toBe(false);
  });
});
