/**
 * Launching and collecting the runs of `npm run bench:dist`: one process, two independent processes started
 * together, or 2 ranks under mpirun (shared memory, TCP loopback, or across a veth pair); configurations
 * interleaved in rounds; the per-run figures every table is made of.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { VethPair } from './netns';
import { WARMUP, worker, type WorkerConfig, type WorkerResult } from './dist-worker';

export { worker, WARMUP, type WorkerConfig, type WorkerResult };

export interface Launch {
  label: string;
  /** single: one process; pair: two independent processes side by side (barrier-started); mpi: 2 ranks */
  kind: 'single' | 'pair' | 'mpi';
  cfg: WorkerConfig;
  link?: 'shm' | 'loopback' | 'veth';
  veth?: VethPair;
  /** environment for the process(es): a value of undefined removes the variable */
  env?: Record<string, string | undefined>;
  /** another checkout's compiled bench script to run instead of this one (`--ab tree:DIR`: old code vs new) */
  script?: string;
  /** pin process/rank i (and every thread it starts) to CPU i with taskset (`--ab bind`; pair and mpi kinds) */
  bind?: boolean;
}

export interface Run {
  ranks: WorkerResult[];
  /** bytes that crossed the veth during the run (0 elsewhere) */
  link: number;
  /** the slowest rank's (process's) median step, ms */
  stepMs: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function minMax(xs: readonly number[]): [number, number] {
  return xs.length ? [Math.min(...xs), Math.max(...xs)] : [NaN, NaN];
}

const selfScript = path.join(__dirname, '..', 'bench-dist.js');

function runCmd(cmd: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const full: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete full[k];
      else full[k] = v;
    }
    const c = spawn(cmd, args, { env: full });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

function results(out: string): WorkerResult[] {
  return out.split('\n').filter((l) => l.startsWith('BENCH ')).map((l) => JSON.parse(l.slice(6)) as WorkerResult);
}

function failed(label: string, code: number | null, err: string): null {
  process.stdout.write(`    ${label}: failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}\n`);
  return null;
}

/** The mpirun command line of 2 ranks of this script over `link`, forwarding `envNames`. */
function mpiCommand(l: Launch, envNames: string[]): { cmd: string; args: string[] } {
  const node = process.execPath;
  const self = l.script ?? selfScript;
  const xs = ['SIMDNET_BENCH_DIST_WORKER', ...envNames].flatMap((k) => ['-x', k]);
  // pinned: each rank to the CPU of its rank number (a veth pair's ranks are on two "hosts" for mpirun, whose own
  // --bind-to core would put both on CPU 0)
  const program = l.bind ? ['sh', '-c', `exec taskset -c "$OMPI_COMM_WORLD_RANK" "${node}" "${self}"`] : [node, self];
  if (l.link === 'veth') {
    const m = l.veth!.mpirun([...xs, '-x', 'PATH', '--bind-to', 'none']);
    return { cmd: m.cmd, args: [...m.args, '-np', '2', ...program] };
  }
  const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
  const btl = l.link === 'shm' ? ['--mca', 'btl', 'self,vader'] : ['--mca', 'btl', 'self,tcp', '--mca', 'btl_tcp_if_include', 'lo'];
  return { cmd: 'mpirun', args: [...root, '-np', '2', '--bind-to', 'none', ...btl, ...xs, ...program] };
}

/** One run of a configuration; null (and a line saying why) when it failed. */
export async function launch(l: Launch): Promise<Run | null> {
  const env = { ...(l.env ?? {}) };
  const self = l.script ?? selfScript;
  if (l.kind === 'single') {
    const r = await runCmd(process.execPath, [self], { ...env, SIMDNET_BENCH_DIST_WORKER: JSON.stringify(l.cfg) });
    const ranks = results(r.out);
    if (r.code !== 0 || ranks.length !== 1) return failed(l.label, r.code, r.err);
    return { ranks, link: 0, stepMs: ranks[0].stepMs };
  }
  if (l.kind === 'pair') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-bench-dist-'));
    try {
      const rs = await Promise.all([0, 1].map((index) =>
        runCmd(l.bind ? 'taskset' : process.execPath, l.bind ? ['-c', String(index), process.execPath, self] : [self], { ...env, SIMDNET_BENCH_DIST_WORKER: JSON.stringify({ ...l.cfg, barrier: { dir, parties: 2, index } }) })));
      const ranks = rs.flatMap((r) => results(r.out));
      const bad = rs.find((r) => r.code !== 0);
      if (bad || ranks.length !== 2) return failed(l.label, bad?.code ?? null, bad?.err ?? 'no result');
      return { ranks, link: 0, stepMs: Math.max(...ranks.map((x) => x.stepMs)) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const { cmd, args } = mpiCommand(l, Object.keys(env).filter((k) => env[k] !== undefined));
  const before = l.veth ? l.veth.bytes() : 0;
  const r = await runCmd(cmd, args, { ...env, SIMDNET_BENCH_DIST_WORKER: JSON.stringify(l.cfg) });
  const link = l.veth ? l.veth.bytes() - before : 0;
  const ranks = results(r.out).sort((a, b) => a.rank - b.rank);
  if (r.code !== 0 || ranks.length !== 2) return failed(l.label, r.code, r.err);
  if (ranks.some((x) => x.hash !== ranks[0].hash)) throw new Error(`${l.label}: the ranks' weights differ (${ranks.map((x) => x.hash.slice(0, 12)).join(' ')})`);
  return { ranks, link, stepMs: Math.max(...ranks.map((x) => x.stepMs)) };
}

/**
 * Every configuration once per round, round r starting at configuration r (mod n), so that drift of the host during
 * the run falls on all of them alike. Returns each label's runs by round (null: that run failed).
 */
export async function runRounds(cfgs: readonly Launch[], rounds: number): Promise<Map<string, (Run | null)[]>> {
  const out = new Map<string, (Run | null)[]>(cfgs.map((c) => [c.label, []]));
  const key = (i: number) => String.fromCharCode(65 + i);
  process.stdout.write(`${cfgs.map((c, i) => `  ${key(i)}: ${c.label}`).join('\n')}\n`);
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (let k = 0; k < cfgs.length; k++) {
      const i = (r + k) % cfgs.length;
      const run = await launch(cfgs[i]);
      out.get(cfgs[i].label)![r] = run;
      line.push(`${key(i)} ${run ? run.stepMs.toFixed(1) : 'failed'}`);
    }
    process.stdout.write(`  round ${r + 1}/${rounds} (ms/step, in the order run): ${line.join(', ')}\n`);
  }
  return out;
}

/** Peer lag and comm tail (ms, medians over the steps, mean over the ranks): see the "where a step goes" table. */
export function lagAndTail(ranks: WorkerResult[]): { lag: number; tail: number } | null {
  if (ranks.length < 2 || !ranks.every((x) => x.backwardEnd.length === ranks[0].backwardEnd.length && x.reduced.length === x.backwardEnd.length)) return null;
  if (ranks[0].backwardEnd.length === 0) return null;
  const last = ranks[0].backwardEnd.map((_, k) => Math.max(...ranks.map((x) => x.backwardEnd[k])));
  const mean = (f: (x: WorkerResult) => number) => ranks.reduce((a, x) => a + f(x), 0) / ranks.length;
  return { lag: mean((x) => median(x.backwardEnd.map((b, k) => last[k] - b))), tail: mean((x) => median(x.reduced.map((e, k) => e - last[k]))) };
}
