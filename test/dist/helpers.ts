/**
 * Running the distributed tests: under mpirun when Open MPI and the MPI addon are here, else skipped with one
 * clear line (and failing instead when SIMDNET_REQUIRE_MPI=1, as in CI, where Open MPI is installed).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mpiAvailable } from '../../lib/dist/mpi';
import { ensureDist, root } from '../cli/dist';

export { root };
export const rankProgram = path.join(__dirname, 'rank.js');
export const cliPath = path.join(root, 'dist', 'lib', 'cli', 'main.js');

function hasMpirun(): boolean {
  return spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Why the MPI tests cannot run here (null: they can). */
export function mpiMissing(): string | null {
  if (process.env.SIMDNET_MPI === '0') return 'SIMDNET_MPI=0';
  if (!hasMpirun()) return 'no mpirun on PATH';
  if (!mpiAvailable()) return 'the MPI addon is not built (npm run build:mpi)';
  return null;
}

/** `describe` when MPI is here; else a skipped suite and one line saying why (an error when SIMDNET_REQUIRE_MPI=1). */
export function describeMpi(name: string, fn: () => void): void {
  const why = mpiMissing();
  if (why && process.env.SIMDNET_REQUIRE_MPI === '1') {
    describe(name, () => {
      it('needs Open MPI (SIMDNET_REQUIRE_MPI=1)', () => {
        throw new Error(`SIMDNET_REQUIRE_MPI=1 but ${why}: apt-get install openmpi-bin libopenmpi-dev before npm install`);
      });
    });
    return;
  }
  if (why) {
    process.stdout.write(`distributed tests "${name}" SKIPPED: ${why} (apt-get install openmpi-bin libopenmpi-dev, then npm install)\n`);
    describe.skip(name, fn);
    return;
  }
  describe(name, () => {
    beforeAll(() => ensureDist());
    afterAll(() => removeTmpDirs());
    fn();
  });
}

/** mpirun flags for these tests: as root if need be, more ranks than cores allowed, shared memory + tcp. */
export function mpirunFlags(): string[] {
  const f = ['--oversubscribe', '--mca', 'btl', 'self,vader,tcp'];
  if (process.getuid?.() === 0) f.unshift('--allow-run-as-root');
  return f;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs a command, killing its process group after `timeoutMs` (a hang is a test failure, not a stuck suite). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, timedOut });
    });
  });
}

/** Runs test/dist/rank.js on `np` ranks (np 0: one plain process, no mpirun) with `cfg`. */
export function runRanks(np: number, cfg: Record<string, unknown>, timeoutMs = 60000, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const env = { SIMDNET_TEST_CONFIG: JSON.stringify(cfg), ...extraEnv };
  if (np === 0) return run(process.execPath, [rankProgram], env, timeoutMs);
  const xs = Object.keys(env).flatMap((k) => ['-x', k]);
  return run('mpirun', [...mpirunFlags(), ...xs, '-np', String(np), process.execPath, rankProgram], env, timeoutMs);
}

const made: string[] = [];

/** A fresh temporary folder, removed after the suite (describeMpi's afterAll). */
export function tmpDir(tag: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `simdnet-dist-${tag}-`));
  made.push(d);
  return d;
}

function removeTmpDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export interface RankOutput {
  rank: number;
  size: number;
  hashes: string[];
  testAcc: number;
  iterations: number;
  stopped: boolean;
  params: Record<string, string>;
  losses: number[];
  history: { loss: number[]; acc: number[]; testAcc: number[] };
}

export function readRank(dir: string, mode: string, rank: number): RankOutput {
  return JSON.parse(fs.readFileSync(path.join(dir, `${mode}-${rank}.json`), 'utf8'));
}

export function weights(o: RankOutput): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, b64] of Object.entries(o.params)) {
    const b = Buffer.from(b64, 'base64');
    out[k] = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  return out;
}
