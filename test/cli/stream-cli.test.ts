/**
 * `simdnet train --images` streams a folder from disk above --stream-above (or with --stream on) and loads it below
 * (or with --stream off), with the same results either way; --metrics records per-epoch extras in history.json and
 * summary.json; a corrupt image in a streamed run fails with the file's name.
 */
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { Rng } from '../../lib/rng';
import { cliPath, ensureDist, root } from './dist';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-stream-cli-'));
const dir = path.join(tmp, 'pics');

beforeAll(() => {
  ensureDist();
  const rng = new Rng(3);
  for (const [cls, n] of [['cat', 40], ['dog', 20]] as const) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    for (let i = 0; i < n; i++) {
      const p = new PNG({ width: 16, height: 16 });
      for (let k = 0; k < 256; k++) {
        p.data[4 * k] = cls === 'cat' ? 200 + rng.int(50) : rng.int(60);
        p.data[4 * k + 1] = rng.int(256);
        p.data[4 * k + 2] = rng.int(256);
        p.data[4 * k + 3] = 255;
      }
      fs.writeFileSync(path.join(dir, cls, `${i}.png`), PNG.sync.write(p));
    }
  }
}, 120000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
}

function train(out: string, extra: string[]): { r: SpawnSyncReturns<string>; summary: Record<string, unknown>; history: { history: Record<string, unknown> } } {
  const r = cli(['train', '--images', dir, '--epochs', '2', '--batch', '8', '--val-split', '0.25', '--seed', '2', '--augment', 'hflip,shift=0.1',
    '--metrics', 'f1,auc', '--model', 'simple-convnet', '--out', out, ...extra]);
  if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return {
    r,
    summary: JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as Record<string, unknown>,
    history: JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8')) as { history: Record<string, unknown> },
  };
}

describe('simdnet train streams large image folders', () => {
  test('above --stream-above it streams, below it loads; the same history either way; --metrics in history and summary', () => {
    // 60 images of 3×16×16 floats = 0.18 MiB: above 0.1, below the default 1024
    const big = train(path.join(tmp, 'streamed'), ['--stream-above', '0.1', '--workers', '2', '--prefetch', '3']);
    expect(big.r.stdout).toMatch(/streaming from disk \(2 decode workers, prefetch 3\)/);
    expect(big.summary.streamed).toEqual({ workers: 2, prefetch: 3 });
    const small = train(path.join(tmp, 'loaded'), []);
    expect(small.r.stdout).not.toMatch(/streaming from disk/);
    expect(small.summary.streamed).toBeNull();
    const h = big.history.history as { loss: number[]; valAcc: number[]; metrics: Record<string, number[]> };
    expect(h.loss).toEqual((small.history.history as { loss: number[] }).loss);
    expect(h.metrics).toEqual((small.history.history as { metrics: unknown }).metrics);
    expect(Object.keys(h.metrics).sort()).toEqual(['auc', 'f1', 'val_auc', 'val_f1']);
    expect(h.metrics.val_f1).toHaveLength(2);
    expect((big.summary.metrics as Record<string, number>).val_f1).toBe(h.metrics.val_f1[1]);
    expect(big.r.stdout).toMatch(/val f1 \d\.\d{4}/);
    expect(fs.existsSync(path.join(tmp, 'streamed', 'misclassified.png'))).toBe(true);
  }, 240000);

  test('--stream on forces it; flags are checked; a corrupt image fails the run naming the file', () => {
    const bad = path.join(tmp, 'bad');
    fs.cpSync(dir, bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'dog', '7.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
    const r = cli(['train', '--images', bad, '--epochs', '1', '--batch', '8', '--stream', 'on', '--out', path.join(tmp, 'badrun'), '--quiet']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/bad\/dog\/7\.png: cannot decode/);
    expect(cli(['train', '--stream', 'maybe', '--images', dir]).stderr).toMatch(/--stream: expected one of auto, on, off, got 'maybe'/);
    expect(cli(['train', '--stream', 'on']).stderr).toMatch(/--stream: only with --images or --csv/);
    expect(cli(['train', '--images', dir, '--metrics', 'f2']).stderr).toMatch(/--metrics: expected one of precision, recall, f1, auc, got 'f2'/);
  }, 240000);

  test('--csv: --stream on gives the loaded run (same history), and says so', () => {
    const csv = path.join(tmp, 'rows.csv');
    const rng = new Rng(4);
    const rows = ['label,a,b,c'];
    for (let i = 0; i < 60; i++) rows.push(`${i % 2},${[0, 1, 2].map((k) => (k === i % 2 ? 3 : 0) + rng.int(100) / 50).join(',')}`);
    fs.writeFileSync(csv, `${rows.join('\n')}\n`);
    const run = (out: string, stream: string) => {
      const r = cli(['train', '--csv', csv, '--model', 'mlp', '--hidden', '8', '--epochs', '2', '--batch', '8', '--val-split', '0.2', '--lr', '0.01',
        '--stream', stream, '--out', path.join(tmp, out)]);
      if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      return { r, h: JSON.parse(fs.readFileSync(path.join(tmp, out, 'history.json'), 'utf8')) as { history: { loss: number[]; valLoss: number[] } } };
    };
    const on = run('csv-on', 'on');
    const off = run('csv-off', 'off');
    expect(on.r.stdout).toMatch(/streaming from disk/);
    expect(off.r.stdout).not.toMatch(/streaming from disk/);
    expect(on.h.history.loss).toEqual(off.h.history.loss);
    expect(on.h.history.valLoss).toEqual(off.h.history.valLoss);
  }, 240000);
});
