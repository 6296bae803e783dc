/**
 * The `simdnet` command, spawned as users run it (node dist/lib/cli/main.js): train a small MLP on 1000 MNIST
 * images, check the files it writes, evaluate and predict with the saved model, resume it, interrupt it with
 * SIGINT, and the usage errors (exit code 2 with a message).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadMnist } from '../../lib/data/mnist';
import { loadModel } from '../../lib/io/model';
import { sliceRows } from '../../lib/train/data';
import { Tensor } from '../../lib/tensor';
import { cliPath, ensureDist, root } from './dist';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-cli-'));
const out = path.join(tmp, 'run');

beforeAll(() => ensureDist(), 120000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
}

function expectExit(r: SpawnSyncReturns<string>, code: number): void {
  if (r.status !== code) throw new Error(`exit ${r.status} (signal ${r.signal}), expected ${code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

const png = (file: string, w: number, h: number, gray: (x: number, y: number) => number) => {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      p.data[i] = p.data[i + 1] = p.data[i + 2] = gray(x, y);
      p.data[i + 3] = 255;
    }
  }
  fs.writeFileSync(file, PNG.sync.write(p));
};

let firstRun: SpawnSyncReturns<string> | null = null;

/** The 1-epoch MLP run into `out` that the eval, predict and resume tests start from: trained on first use, so
 * every test also runs alone (`jest -t predict`). */
function trained(): SpawnSyncReturns<string> {
  firstRun ??= cli(['train', '--model', 'mlp', '--epochs', '1', '--limit', '1000', '--test-limit', '2000', '--out', out, '--seed', '3']);
  expectExit(firstRun, 0);
  return firstRun;
}

describe('simdnet CLI', () => {
  test('train --model mlp --epochs 1 --limit 1000: exit 0, every file, a sane history and summary', () => {
    const r = trained();
    expect(r.stdout).toMatch(/MultiLayerNet \(\d+ parameters\) on 1000 training images, 2000 test images/);
    expect(r.stdout).toMatch(/epoch 1\/1 batch 1\/10: loss \d\.\d{4}, acc \d\.\d{4}, \d+ img\/s, ETA/); // plain lines: stdout is a pipe
    expect(r.stdout).toMatch(/epoch 1\/1: loss \d\.\d{4}, train acc \d\.\d{4}, test acc \d\.\d{4}/);
    expect(r.stdout).toMatch(/done: 1\/1 epochs, final test accuracy \d+\.\d\d% \(2000 images\), training .* wall time/);
    for (const f of ['model.safetensors', 'best.safetensors', 'history.json', 'summary.json', 'loss.png', 'accuracy.png',
      'filters_before.png', 'filters_after.png', 'misclassified.png']) {
      expect(fs.statSync(path.join(out, f)).size).toBeGreaterThan(100);
    }
    const h = JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8'));
    expect(h.history.loss).toHaveLength(1);
    expect(h.history.testAcc).toHaveLength(1);
    expect(h.trainLossList).toHaveLength(10);
    expect(h.trainLossList.every((v: number) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(h.trainLossList[9]).toBeLessThan(h.trainLossList[0]);
    const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(s).toMatchObject({ model: 'MultiLayerNet', epochsCompleted: 1, iterations: 10, trainImages: 1000, testImages: 2000, stopped: false });
    expect(s.testAcc).toBeGreaterThan(0.3);
    expect(s.testAcc).toBe(h.testAcc);
    expect(s.wallTimeS).toBeGreaterThan(0);
    const sig = fs.readFileSync(path.join(out, 'loss.png')).subarray(0, 8);
    expect([...sig]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  test('eval --model-file: the same accuracy as training reported', () => {
    trained();
    const r = cli(['eval', '--model-file', path.join(out, 'model.safetensors'), '--limit', '2000', '--json']);
    expectExit(r, 0);
    const e = JSON.parse(r.stdout);
    const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(e.images).toBe(2000);
    expect(e.accuracy).toBe(s.testAcc);
    expect(e.perClassAccuracy).toHaveLength(10);
    const text = cli(['eval', '--model-file', path.join(out, 'model.safetensors'), '--limit', '500']);
    expectExit(text, 0);
    expect(text.stdout).toMatch(/MultiLayerNet from .*: test accuracy \d+\.\d\d% \(\d+\/500\), loss \d\.\d{4}/);
  });

  test('predict PNG/JPEG files: class and probabilities, matching the model in-process', () => {
    trained();
    const test = loadMnist().test;
    const files: string[] = [];
    for (let k = 0; k < 3; k++) {
      const f = path.join(tmp, `digit${k}.png`);
      png(f, 28, 28, (x, y) => Math.round(test.images.data[k * 784 + y * 28 + x] * 255));
      files.push(f);
    }
    // a dark digit on white paper, larger than 28×28, as JPEG: resized and inverted
    const jw = 56;
    const rgba = Buffer.alloc(jw * jw * 4);
    for (let y = 0; y < jw; y++) {
      for (let x = 0; x < jw; x++) {
        const v = 255 - Math.round(test.images.data[Math.floor(y / 2) * 28 + Math.floor(x / 2)] * 255);
        rgba.set([v, v, v, 255], (y * jw + x) * 4);
      }
    }
    const jpg = path.join(tmp, 'paper.jpg');
    fs.writeFileSync(jpg, jpeg.encode({ data: rgba, width: jw, height: jw }, 95).data);

    const r = cli(['predict', '--model-file', path.join(out, 'model.safetensors'), '--json', ...files, jpg]);
    expectExit(r, 0);
    const res = JSON.parse(r.stdout) as { file: string; class: number; probabilities: number[]; inverted: boolean; top: unknown[] }[];
    expect(res).toHaveLength(4);
    const net = loadModel(path.join(out, 'model.safetensors'));
    const logits = net.predict(new Tensor(sliceRows(test.images, 0, 3).data.slice(), [3, 784]), false);
    for (let k = 0; k < 3; k++) {
      const row = Array.from(logits.data.subarray(k * 10, k * 10 + 10));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      e.forEach((v, c) => expect(res[k].probabilities[c]).toBeCloseTo(v / z, 5));
      expect(res[k].class).toBe(row.indexOf(m));
      expect(res[k].inverted).toBe(false);
      expect(res[k].top).toHaveLength(3);
    }
    expect(res[3].inverted).toBe(true);
    expect(res[3].probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const text = cli(['predict', '--model-file', path.join(out, 'model.safetensors'), files[0]]);
    expectExit(text, 0);
    expect(text.stdout).toMatch(/digit0\.png: \d \(\d+\.\d%\)  top: \d \d+\.\d%, \d \d+\.\d%, \d \d+\.\d%/);
  });

  test('train --resume continues a run from its model.safetensors', () => {
    trained();
    const resumed = path.join(tmp, 'resumed');
    const r = cli(['train', '--resume', path.join(out, 'model.safetensors'), '--epochs', '2', '--limit', '1000', '--test-limit', '2000',
      '--out', resumed, '--seed', '3', '--quiet']);
    expectExit(r, 0);
    const h = JSON.parse(fs.readFileSync(path.join(resumed, 'history.json'), 'utf8'));
    const h1 = JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8'));
    expect(h.history.loss).toHaveLength(2);
    expect(h.history.loss[0]).toBe(h1.history.loss[0]);
    expect(h.trainLossList.slice(0, 10)).toEqual(h1.trainLossList);
    expect(h.trainLossList).toHaveLength(20);
  });

  test('train --lr-schedule cosine: the learning rate per epoch follows the schedule', () => {
    const dir = path.join(tmp, 'cosine');
    const r = cli(['train', '--model', 'mlp', '--epochs', '3', '--limit', '300', '--test-limit', '300', '--lr', '0.002',
      '--lr-schedule', 'cosine', '--out', dir, '--quiet']);
    expectExit(r, 0);
    const h = JSON.parse(fs.readFileSync(path.join(dir, 'history.json'), 'utf8'));
    const want = [0, 1, 2].map((e) => 0.002 * (1 + Math.cos((Math.PI * e) / 3)) / 2);
    h.history.lr.forEach((lr: number, i: number) => expect(lr).toBeCloseTo(want[i], 10));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')).lrSchedule).toBe('cosine');
  });

  test('SIGINT stops after the current batch, still saves everything, exits 130', async () => {
    const dir = path.join(tmp, 'interrupted');
    const child = spawn(process.execPath, [cliPath, 'train', '--model', 'mlp', '--epochs', '50', '--limit', '2000', '--test-limit', '500',
      '--log-every', '1', '--out', dir], { cwd: root, env: process.env });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (!sent && /batch 3\/20/.test(stdout)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 130) throw new Error(`exit ${code}\n${stdout}\n${stderr}`);
    expect(stdout).toMatch(/interrupted: stopping after the current batch/);
    expect(stdout).toMatch(/^interrupted: \d+\/50 epochs, final test accuracy/m);
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(s.interrupted).toBe(true);
    expect(s.stopped).toBe(true);
    expect(s.iterations).toBeLessThan(1000);
    expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'misclassified.png'))).toBe(true);
  });

  test('usage errors: exit 2 with a message naming the flag', () => {
    const sched = cli(['train', '--lr-schedule', 'linear']);
    expectExit(sched, 2);
    expect(sched.stderr).toMatch(/--lr-schedule: expected one of none, cosine, step, got 'linear'/);
    const cases: [string[], RegExp][] = [
      [['train', '--bogus', '1'], /simdnet train: unknown flag --bogus/],
      [['train', '--epochs', 'x'], /--epochs: expected an integer in \[1, 100000\], got 'x'/],
      [['train', '--lr', '-1'], /--lr: expected a number in \(0, Infinity\], got '-1'/],
      [['train', '--model', 'resnet'], /--model: 'resnet' is neither a built-in model \(deep-convnet, simple-convnet, mlp, resnet20, resnet32, resnet56\) nor an existing JSON file/],
      [['train', '--optimizer', 'lbfgs'], /--optimizer: expected one of sgd, .*, got 'lbfgs'/],
      [['train', '--augment', 'spin=3'], /--augment: augment spec: expected items among/],
      [['train', '--model', 'mlp', '--augment'], /--augment: needs image input/],
      [['train', '--val-split', '1'], /--val-split: expected a number in \[0, 1\)/],
      [['train', '--batch'], /--batch/],
      [['eval'], /--model-file: required/],
      [['predict', '--model-file', 'x.safetensors'], /no images given/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args);
      if (r.status !== 2) throw new Error(`${args.join(' ')}: exit ${r.status}, expected 2\n${r.stdout}\n${r.stderr}`);
      expect(r.stderr).toMatch(msg);
    }
    const help = cli(['train', '--help']);
    expectExit(help, 0);
    expect(help.stdout).toMatch(/Usage: simdnet train \[options\]/);
    expect(cli(['--help']).stdout).toMatch(/Commands:/);
    const missing = cli(['eval', '--model-file', path.join(tmp, 'none.safetensors')]);
    expectExit(missing, 1);
    expect(missing.stderr).toMatch(/simdnet eval: error: .*none\.safetensors/);
  });
});
