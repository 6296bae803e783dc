/**
 * `node dist/scripts/bench-step-ab.js <rootA> <rootB> [--net resnet] [--threads 1] [--rounds 5] [--steps 10] [--cpu]`: two
 * checkouts' builds (each root holds package.json, dist/ and build/) of the training step side by side, where the
 * time goes by layer type (scripts/bench-step-nodes.ts, one child process per measurement), A and B alternating
 * (A B B A A B …) for R rounds so a load that comes and goes moves both alike. Prints per row the median over rounds
 * of each build's medians, B − A, and the load averages. A/B of changes to the TypeScript loop as well as the addon.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { num, printTable } from './bench/report';
import { median } from './bench/timing';
import type { StepNodesResult } from './bench-step-nodes';

function parse(argv: string[]) {
  const roots: string[] = [];
  const pass: string[] = [];
  let rounds = 5;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') rounds = Number(argv[++i]);
    else if (a === '--cpu') pass.push(a);
    else if (a === '--net' || a === '--threads' || a === '--steps' || a === '--warmup') {
      if (argv[i + 1] === undefined) throw new RangeError(`bench-step-ab: ${a} needs a value`);
      pass.push(a, argv[++i]);
    } else if (a.startsWith('--')) throw new RangeError(`bench-step-ab: unknown flag '${a}' (expected --net, --threads, --steps, --warmup, --rounds, --cpu)`);
    else roots.push(path.resolve(a));
  }
  if (roots.length !== 2) throw new RangeError(`bench-step-ab: expected two checkout roots (A B); got ${roots.length}`);
  for (const r of roots) {
    if (!fs.existsSync(path.join(r, 'dist', 'scripts', 'bench-step-nodes.js'))) throw new RangeError(`bench-step-ab: ${r}: no dist/scripts/bench-step-nodes.js (build it, or copy it in)`);
  }
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new RangeError(`bench-step-ab: --rounds: expected an integer 1..100; got ${rounds}`);
  return { roots, pass, rounds };
}

function run(root: string, pass: string[]): StepNodesResult {
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'scripts', 'bench-step-nodes.js'), ...pass, '--json'], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`bench-step-ab: ${root}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as StepNodesResult;
}

const o = parse(process.argv.slice(2));
console.log(`bench-step-ab: ${o.rounds} rounds, A and B alternating (ABBA…); ${o.pass.join(' ')}; load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log(`A = ${o.roots[0]}\nB = ${o.roots[1]}`);
const res: StepNodesResult[][] = [[], []];
for (let k = 0; k < o.rounds; k++) {
  const order = k % 2 === 0 ? [0, 1] : [1, 0];
  for (const w of order) res[w].push(run(o.roots[w], o.pass));
}
const rows: string[][] = [];
const types = [...new Set(res.flat().flatMap((r) => Object.keys(r.types)))];
const pick = (w: number, f: (r: StepNodesResult) => number) => median(res[w].map(f));
const row = (label: string, f: (r: StepNodesResult) => number) => {
  const a = pick(0, f);
  const b = pick(1, f);
  rows.push([label, num(a), num(b), num(b - a)]);
};
for (const t of types) row(`${t} fwd+bwd`, (r) => (r.types[t] ? r.types[t].fwdMs + r.types[t].bwdMs : 0));
row('outside the nodes', (r) => r.outsideMs);
row('adam', (r) => r.adamMs);
row(`step (${res[0][0].cpu ? 'CPU' : 'wall'})`, (r) => r.stepMs);
row('step (process CPU)', (r) => r.stepCpuMs);
printTable(['row (median of per-run medians, ms)', 'A', 'B', 'B − A'], rows, [0]);
console.log(`losses A ${res[0].map((r) => r.loss).join(' ')} | B ${res[1].map((r) => r.loss).join(' ')}`);
console.log(`load at the end ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
