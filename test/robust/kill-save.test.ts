/**
 * kill -9 during saves. A child process saves an 8 MB network to one target in a loop (every parameter = the
 * generation number); the test kills it with SIGKILL at a random moment of a save, N times per format. After
 * every kill the target must be a whole file of one generation (the one before the interrupted save, or the
 * interrupted one if its rename had happened): loadable, every value the same integer. After the trials, one
 * more save to the target must leave no temporary file behind (interrupted saves' leftovers are removed).
 * SIMDNET_KILL_TRIALS raises N for long runs (default 6 per format).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { loadModel, loadNpzWeights, saveModel, saveNpzWeights, type Network } from '../../lib';
import { ensureDist, root } from '../cli/dist';

const saveNet: (sn: unknown) => Network = require('./children/save-net.js');
const child = path.join(__dirname, 'children', 'save-loop.js');
const trials = Number(process.env.SIMDNET_KILL_TRIALS ?? 6);

let dir: string;
beforeAll(() => {
  ensureDist();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-kill-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A seeded stream of kill delays (ms), so a failing trial can be replayed.
function delays(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Starts the saving child; resolves once it has started its first save, with the child. */
function startSaver(target: string, format: string) {
  const p = spawn(process.execPath, [child, root, target, format], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const started = new Promise<void>((resolve, reject) => {
    p.stdout.on('data', () => out.includes('start') && resolve());
    p.on('exit', () => reject(new Error(`saver exited before saving: ${err}`)));
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => p.on('exit', (_c, sig) => resolve(sig)));
  return { p, started, exited, log: () => out, stderr: () => err };
}

/** The single value every parameter holds, or a description of what is wrong. */
function generationOf(net: Network): number | string {
  let g: number | null = null;
  for (const [k, p] of Object.entries(net.namedParams())) {
    const d = p.value.data;
    const v = d[0];
    if (g === null) g = v;
    if (v !== g || !d.every((x) => x === v)) return `torn: ${k} mixes generations`;
  }
  return g === null || !Number.isInteger(g) ? `bad value ${g}` : g;
}

const formats: [string, (net: Network, file: string) => void, (file: string) => Network][] = [
  ['model', (net, file) => saveModel(net, file), (file) => loadModel(file)],
  [
    'npz',
    (net, file) => saveNpzWeights(net, file),
    (file) => {
      const net = saveNet(require('../../lib'));
      loadNpzWeights(net, file);
      return net;
    },
  ],
];

test.each(formats)('%s: %#: SIGKILL at random moments of a save never loses or tears the file', async (format, save, load) => {
  const target = path.join(dir, format === 'model' ? 'net.safetensors' : 'net.npz');
  const sn = require('../../lib');
  const net0 = saveNet(sn);
  for (const p of Object.values(net0.namedParams())) p.value.data.fill(0);
  const t0 = Date.now();
  save(net0, target); // generation 0: the target exists before the first trial
  const saveMs = Date.now() - t0; // kills land within the first ~2 saves, whatever the machine's load
  const next = delays(format === 'model' ? 1 : 2);
  let before: number | string = 0;
  for (let t = 0; t < trials; t++) {
    const s = startSaver(target, format);
    await s.started;
    await new Promise((r) => setTimeout(r, next() * 2 * saveMs));
    s.p.kill('SIGKILL');
    expect(await s.exited).toBe('SIGKILL');
    const log = s.log();
    const done = [...log.matchAll(/done (\d+)/g)].map((m) => Number(m[1]));
    const started = [...log.matchAll(/start (\d+)/g)].map((m) => Number(m[1]));
    const g = generationOf(load(target)); // throws if the file is missing or torn
    // the last completed save's generation, or the interrupted one (killed after its rename), or the old file
    const allowed = [done.length ? done[done.length - 1] : before, Math.max(0, ...started)];
    expect({ trial: t, g, allowed: allowed.includes(g as number) }).toEqual({ trial: t, g, allowed: true });
    before = g;
  }
  // Interrupted saves left temporaries behind; the next save to the target removes them.
  const temps = () => fs.readdirSync(dir).filter((n) => n.startsWith(`.${path.basename(target)}.`));
  save(net0, target);
  expect(temps()).toEqual([]);
  expect(generationOf(load(target))).toBe(0);
}, 600000);
