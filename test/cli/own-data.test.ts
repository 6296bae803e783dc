/**
 * The CLI on your own data (issue 11's done-when): train, eval and predict on a generated folder of 32×32 RGB
 * images with three imbalanced classes (300/60/120) and on a binary folder (a JSON architecture with one sigmoid
 * output), with a stratified validation split and early stopping; --resume restores the run's settings; bad
 * inputs give errors naming the file and the problem.
 */
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { loadCheckpoint } from '../../lib/io/model';
import { Rng } from '../../lib/rng';
import { cliPath, ensureDist, root } from './dist';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-own-'));

beforeAll(() => ensureDist(), 120000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
}

function expectExit(r: SpawnSyncReturns<string>, code: number): void {
  if (r.status !== code) throw new Error(`exit ${r.status} (signal ${r.signal}), expected ${code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

/** A 32×32 RGB PNG: a square of the class's colour on noise. */
function writeImage(file: string, color: [number, number, number], rng: Rng, side = 32): void {
  const p = new PNG({ width: side, height: side });
  const x0 = 4 + rng.int(12);
  const y0 = 4 + rng.int(12);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 4;
      const inside = x >= x0 && x < x0 + 12 && y >= y0 && y < y0 + 12;
      for (let c = 0; c < 3; c++) p.data[i + c] = inside ? color[c] : 60 + rng.int(80);
      p.data[i + 3] = 255;
    }
  }
  fs.writeFileSync(file, PNG.sync.write(p));
}

function makeFolder(dir: string, classes: Record<string, { n: number; color: [number, number, number] }>, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, { n, color }] of Object.entries(classes)) {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    for (let i = 0; i < n; i++) writeImage(path.join(dir, name, `${String(i).padStart(4, '0')}.png`), color, rng);
  }
}

const three = path.join(tmp, 'shapes');
const binary = path.join(tmp, 'binary');
makeFolder(three, { circle: { n: 300, color: [230, 40, 40] }, square: { n: 60, color: [40, 230, 40] }, triangle: { n: 120, color: [40, 40, 230] } }, 1);
makeFolder(binary, { cat: { n: 150, color: [240, 240, 240] }, dog: { n: 50, color: [10, 10, 10] } }, 2);

describe('simdnet CLI on your own images', () => {
  const run3 = path.join(tmp, 'run3');

  test('three imbalanced classes: train with a stratified split and early stopping, eval, predict a folder', () => {
    const r = cli(['train', '--images', three, '--size', '32x32', '--model', 'simple-convnet', '--epochs', '6', '--batch', '32',
      '--val-split', '0.2', '--patience', '2', '--lr', '0.003', '--out', run3, '--seed', '1', '--quiet']);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/final validation accuracy \d+\.\d\d% \(96 images\)/);
    const summary = JSON.parse(fs.readFileSync(path.join(run3, 'summary.json'), 'utf8'));
    expect(summary.trainImages).toBe(384);
    expect(summary.validationImages).toBe(96);
    expect(summary.data.classNames).toEqual(['circle', 'square', 'triangle']);
    expect(summary.data.color).toBe('rgb');
    expect(summary.finalValAcc).toBeGreaterThan(0.9);
    const ck = loadCheckpoint(path.join(run3, 'best.safetensors'));
    expect(ck.net.inputShape).toEqual([3, 32, 32]);
    expect((ck.extra as { metadata: { data: { size: number[] } } }).metadata.data.size).toEqual([32, 32]);

    const e = cli(['eval', '--model-file', path.join(run3, 'model.safetensors'), '--images', three, '--json']);
    expectExit(e, 0);
    const ev = JSON.parse(e.stdout);
    expect(ev.samples).toBe(480);
    expect(ev.support).toEqual([300, 60, 120]);
    expect(ev.confusionMatrix).toHaveLength(3);
    expect(ev.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(480);
    expect(ev.rocAuc).toBeNull();
    const text = cli(['eval', '--model-file', path.join(run3, 'model.safetensors'), '--images', three]);
    expectExit(text, 0);
    expect(text.stdout).toMatch(/\n\s+square\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+60\n/);
    expect(text.stdout).toMatch(/confusion matrix/);

    const csv = path.join(tmp, 'pred3.csv');
    const p = cli(['predict', '--model-file', path.join(run3, 'model.safetensors'), path.join(three, 'square'), '--out', csv]);
    expectExit(p, 0);
    const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('file,class,probability');
    expect(rows).toHaveLength(61);
    const right = rows.slice(1).filter((l) => l.split(',')[1] === 'square').length;
    expect(right).toBeGreaterThan(45);
    rows.slice(1).forEach((l) => expect(Number(l.split(',')[2])).toBeGreaterThan(0.33));
  });

  test('--resume restores the run\'s settings and refuses a contradicting flag', () => {
    const ck = path.join(run3, 'model.safetensors');
    const bad = cli(['train', '--resume', ck, '--model', 'mlp']);
    expectExit(bad, 2);
    expect(bad.stderr).toMatch(/--model mlp contradicts the run in .*model\.safetensors \(trained with model simple-convnet\)/);
    const bad2 = cli(['train', '--resume', ck, '--val-split', '0.3']);
    expectExit(bad2, 2);
    expect(bad2.stderr).toMatch(/--val-split 0\.3 contradicts the run/);
    const done = JSON.parse(fs.readFileSync(path.join(run3, 'summary.json'), 'utf8')).epochsCompleted as number;
    const ok = cli(['train', '--resume', ck, '--epochs', String(done + 1), '--quiet']);
    expectExit(ok, 0);
    const s = JSON.parse(fs.readFileSync(path.join(run3, 'summary.json'), 'utf8'));
    expect(s.epochsCompleted).toBe(done + 1);
    expect(s.validationImages).toBe(96);
    expect(s.batch).toBe(32);
  });

  test('binary folder with a JSON architecture ending in one sigmoid output: ROC AUC, a CSV for the folder', () => {
    const arch = path.join(tmp, 'binary.json');
    fs.writeFileSync(arch, JSON.stringify({
      type: 'Sequential', inputShape: [3, 32, 32],
      layers: [
        { type: 'Convolution', inChannels: 3, filterNum: 4, filterSize: 5, stride: 1, pad: 0 }, { type: 'Relu' },
        { type: 'Pooling', poolH: 2, poolW: 2, stride: 2 },
        { type: 'Affine', inputSize: 4 * 14 * 14, outputSize: 1 }, { type: 'SigmoidWithLoss' },
      ],
    }));
    const out = path.join(tmp, 'runb');
    const r = cli(['train', '--images', binary, '--model', arch, '--epochs', '5', '--batch', '20', '--val-split', '0.25',
      '--patience', '1', '--lr', '0.005', '--out', out, '--quiet']);
    expectExit(r, 0);
    const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(s.accuracy).toBe('binary');
    expect(s.validationImages).toBe(50);
    expect(s.finalValAcc).toBeGreaterThan(0.9);
    const e = cli(['eval', '--model-file', path.join(out, 'best.safetensors'), '--images', binary, '--json']);
    expectExit(e, 0);
    const ev = JSON.parse(e.stdout);
    expect(ev.classes).toBe(2);
    expect(ev.support).toEqual([150, 50]);
    expect(ev.rocAuc).toBeGreaterThan(0.9);
    const p = cli(['predict', '--model-file', path.join(out, 'best.safetensors'), path.join(binary, 'dog')]);
    expectExit(p, 0);
    const rows = p.stdout.trim().split('\n');
    expect(rows[0]).toBe('file,class,probability');
    expect(rows).toHaveLength(51);
    expect(rows.slice(1).filter((l) => l.split(',')[1] === 'dog').length).toBeGreaterThan(40);
  });

  test('bad inputs name the file and the problem', () => {
    const bad = path.join(tmp, 'bad');
    makeFolder(bad, { a: { n: 3, color: [200, 0, 0] }, b: { n: 3, color: [0, 200, 0] } }, 3);
    fs.mkdirSync(path.join(bad, 'c'));
    let r = cli(['train', '--images', bad, '--epochs', '1', '--out', path.join(tmp, 'x')]);
    expectExit(r, 1);
    expect(r.stderr).toMatch(/class folder .*bad\/c has no \.png\/\.jpg\/\.jpeg files/);
    fs.rmdirSync(path.join(bad, 'c'));

    fs.writeFileSync(path.join(bad, 'a', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    r = cli(['train', '--images', bad, '--epochs', '1', '--out', path.join(tmp, 'x')]);
    expectExit(r, 1);
    expect(r.stderr).toMatch(/bad\/a\/broken\.png: cannot decode/);
    fs.rmSync(path.join(bad, 'a', 'broken.png'));

    writeImage(path.join(bad, 'b', 'zz-big.png'), [0, 0, 200], new Rng(1), 40);
    r = cli(['train', '--images', bad, '--epochs', '1', '--out', path.join(tmp, 'x')]);
    expectExit(r, 1);
    expect(r.stderr).toMatch(/bad\/b\/zz-big\.png is 40x40 \(HxW\), but .*\.png is 32x32; pass targetSize/);
    fs.rmSync(path.join(bad, 'b', 'zz-big.png'));

    const csv = path.join(tmp, 'missing.csv');
    fs.writeFileSync(csv, 'label,a,b\n0,1,2\n1,,3\n');
    r = cli(['train', '--csv', csv, '--model', 'mlp', '--epochs', '1', '--out', path.join(tmp, 'x')]);
    expectExit(r, 1);
    expect(r.stderr).toMatch(/missing\.csv: line 3: column 2: "" is not a number/);

    // a model trained on 32×32 RGB evaluated on 16×16 gray data (a CSV of 256 features)
    const rows = ['label,' + Array.from({ length: 256 }, (_, i) => `p${i}`).join(',')];
    for (let i = 0; i < 4; i++) rows.push(`${i % 3},${Array(256).fill(0.5).join(',')}`);
    fs.writeFileSync(path.join(tmp, 'small.csv'), rows.join('\n'));
    r = cli(['eval', '--model-file', path.join(run3, 'model.safetensors'), '--csv', path.join(tmp, 'small.csv')]);
    expectExit(r, 1);
    expect(r.stderr).toMatch(/the model .*model\.safetensors takes inputs of shape \[3, 32, 32\], but .*small\.csv gives \[256\]/);

    const arch = path.join(tmp, 'wrong.json');
    fs.writeFileSync(arch, JSON.stringify({ type: 'Sequential', inputShape: [784], layers: [{ type: 'Affine', inputSize: 784, outputSize: 3 }, { type: 'SoftmaxWithLoss' }] }));
    r = cli(['train', '--images', three, '--model', arch, '--epochs', '1', '--out', path.join(tmp, 'x')]);
    expectExit(r, 1);
    expect(r.stderr).toMatch(/wrong\.json takes inputs of shape \[784\], but .*shapes gives \[3, 32, 32\]/);

    r = cli(['train', '--images', three, '--bogus', '1']);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/unknown flag --bogus/);
  });
});
