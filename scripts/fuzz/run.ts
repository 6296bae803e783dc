/**
 * Long fuzz runs: `npm run fuzz -- --minutes N [--reader name] [--jobs J] [--seed S]`.
 *
 * Each reader (scripts/fuzz/readers.ts) runs in its own child process (a crash of one is counted, not fatal),
 * `--jobs` at a time (default: the CPU count); the N minutes of wall time are shared between them. Inside a
 * child, a worker thread runs fast-check over mutated seed files in batches of 1000 executions (batch seeds
 * S, S+1, …); before each execution it mirrors the input into shared memory, so when the worker stops making
 * progress for 10 s (a hang) the child saves that input and restarts the worker. A property failure (an error
 * that is not the reader's own TypeError/RangeError) is shrunk by fast-check and saved. Every failing input is
 * written to test/fuzz/regressions/<reader>/<kind>-<sha1>.bin, which the jest suite (test/fuzz) replays.
 * At the end: executions, executions/s, failures, hangs and crashes per reader (JSON with --json).
 */
import { fork } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import fc from 'fast-check';
import { applyMutations, caseArb } from './mutate';
import { classify, READERS, readerNamed } from './readers';

const HANG_MS = 10000;
const MAX_INPUT = 1 << 20;
const BATCH = 1000;
const repoRoot = path.join(__dirname, '..', '..', ...(path.basename(path.join(__dirname, '..', '..')) === 'dist' ? ['..'] : []));
const regressionDir = path.join(repoRoot, 'test', 'fuzz', 'regressions');

interface ReaderResult {
  reader: string;
  executions: number;
  seconds: number;
  failures: number;
  hangs: number;
  crashes: number;
  saved: string[];
}

function saveRegression(reader: string, kind: string, input: Uint8Array, why: string): string {
  const dir = path.join(regressionDir, reader);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${kind}-${createHash('sha1').update(input).digest('hex').slice(0, 12)}.bin`);
  fs.writeFileSync(file, input);
  fs.writeFileSync(`${file.slice(0, -4)}.txt`, `${why}\n`);
  return path.relative(repoRoot, file);
}

// ---- worker thread: the fuzz loop ---------------------------------------------------------------------------
function workerLoop(): void {
  const { reader: name, seed, sab } = workerData as { reader: string; seed: number; sab: SharedArrayBuffer };
  const reader = readerNamed(name);
  const seeds = reader.seeds();
  const dict = reader.dict.map((t) => Uint8Array.from(Buffer.from(t, 'latin1')));
  const counter = new Float64Array(sab, 0, 1); // executions so far (written by this thread only)
  const len = new Int32Array(sab, 8, 1);
  const bytes = new Uint8Array(sab, 16, MAX_INPUT);
  for (let batch = 0; ; batch++) {
    const result = fc.check(
      fc.property(caseArb(seeds.length), (c) => {
        const input = applyMutations(seeds[c.seed], c.ops, dict);
        const n = Math.min(input.length, MAX_INPUT);
        bytes.set(input.subarray(0, n));
        len[0] = n;
        const r = classify(reader, input);
        counter[0]++;
        if (!r.ok) throw new Error(r.error);
      }),
      { numRuns: BATCH, seed: seed + batch },
    );
    if (result.failed && result.counterexample) {
      const c = result.counterexample[0];
      parentPort!.postMessage({ type: 'failure', input: applyMutations(seeds[c.seed], c.ops, dict), why: String((result.errorInstance as Error)?.message ?? result.errorInstance) });
    }
  }
}

// ---- child process: one reader, a worker, a hang watchdog ---------------------------------------------------
async function childMain(name: string, seconds: number, seed: number): Promise<void> {
  const res: ReaderResult = { reader: name, executions: 0, seconds: 0, failures: 0, hangs: 0, crashes: 0, saved: [] };
  const t0 = Date.now();
  const deadline = t0 + seconds * 1000;
  let nextSeed = seed;
  while (Date.now() < deadline) {
    const sab = new SharedArrayBuffer(16 + MAX_INPUT);
    const counter = new Float64Array(sab, 0, 1);
    const w = new Worker(__filename, { workerData: { reader: name, seed: nextSeed, sab } });
    nextSeed += 1_000_000;
    w.on('message', (m: { type: string; input: Uint8Array; why: string }) => {
      res.failures++;
      res.saved.push(saveRegression(name, 'error', m.input, m.why));
    });
    let workerError: Error | null = null;
    w.on('error', (e) => {
      workerError = e;
    });
    let last = -1;
    let lastChange = Date.now();
    let exited = false;
    w.on('exit', () => {
      exited = true;
    });
    while (!exited && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      if (counter[0] !== last) {
        last = counter[0];
        lastChange = Date.now();
      } else if (Date.now() - lastChange > HANG_MS) {
        const n = new Int32Array(sab, 8, 1)[0];
        res.hangs++;
        res.saved.push(saveRegression(name, 'hang', new Uint8Array(sab, 16, n).slice(), `no progress for ${HANG_MS} ms`));
        break;
      }
    }
    res.executions += counter[0];
    await w.terminate();
    if (workerError) {
      const n = new Int32Array(sab, 8, 1)[0];
      res.failures++;
      res.saved.push(saveRegression(name, 'worker', new Uint8Array(sab, 16, n).slice(), String(workerError)));
    }
  }
  res.seconds = (Date.now() - t0) / 1000;
  process.send!(res);
}

// ---- parent: children, `--jobs` at a time ------------------------------------------------------------------
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const minutes = Number(arg('minutes') ?? 1);
  if (!(minutes > 0)) throw new RangeError(`--minutes: expected a positive number, got ${arg('minutes')}`);
  const only = arg('reader');
  const readers = only ? [readerNamed(only).name] : READERS.map((r) => r.name);
  const jobs = Math.max(1, Math.min(readers.length, Number(arg('jobs') ?? os.cpus().length)));
  const seed = Number(arg('seed') ?? Date.now() % 1_000_000_000);
  const perReader = (minutes * 60 * jobs) / readers.length;
  console.log(`fuzz: ${readers.join(', ')}; ${minutes} min wall time, ${jobs} at a time, ~${perReader.toFixed(0)} s each; seed ${seed}`);
  const results: ReaderResult[] = [];
  const queue = [...readers];
  const runOne = (name: string): Promise<void> =>
    new Promise((resolve) => {
      const child = fork(__filename, ['--child', name, String(perReader), String(seed)], { stdio: 'inherit' });
      let got: ReaderResult | null = null;
      child.on('message', (m: ReaderResult) => {
        got = m;
      });
      child.on('exit', (code, signal) => {
        if (!got) {
          got = { reader: name, executions: 0, seconds: perReader, failures: 0, hangs: 0, crashes: 1, saved: [] };
          console.error(`fuzz: ${name}: the child process died (code ${code}, signal ${signal}); rerun with --reader ${name} --seed ${seed}`);
        }
        results.push(got);
        resolve();
      });
    });
  await Promise.all(Array.from({ length: jobs }, async () => {
    for (let name = queue.shift(); name; name = queue.shift()) await runOne(name);
  }));
  results.sort((a, b) => readers.indexOf(a.reader) - readers.indexOf(b.reader));
  if (process.argv.includes('--json')) console.log(JSON.stringify(results));
  const rows = [['reader', 'executions', 'exec/s', 'failures', 'hangs', 'crashes'], ...results.map((r) => [
    r.reader, String(r.executions), String(Math.round(r.executions / Math.max(r.seconds, 1e-9))), String(r.failures), String(r.hangs), String(r.crashes),
  ])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
  for (const r of results) for (const f of r.saved) console.log(`kept ${f}`);
  const bad = results.some((r) => r.failures + r.hangs + r.crashes > 0);
  process.exitCode = bad ? 1 : 0;
}

if (!isMainThread) {
  workerLoop();
} else if (process.argv[2] === '--child') {
  childMain(process.argv[3], Number(process.argv[4]), Number(process.argv[5])).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
