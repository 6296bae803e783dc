/**
 * The busy processes of `npm run bench -- --contention` (scripts/bench/contention.ts) are never left running:
 * stop() kills them, and so does the end of the bench process (normal exit, an error, SIGINT) or its being killed
 * outright (each busy process watches its parent). Also the flag's value and how many processes it starts.
 */
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { busyProcesses, parseContention, startContention } from '../../scripts/bench/contention';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls until every pid is gone (true) or `ms` passed (false). */
async function gone(pids: number[], ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (pids.every((p) => !alive(p))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.every((p) => !alive(p));
}

// A child Node process that loads scripts/bench/contention.ts (transpiled on the fly with typescript, a dev
// dependency), runs `body` and prints its busy processes' pids.
const moduleSrc = path.join(__dirname, '..', '..', 'scripts', 'bench', 'contention.ts');
function childProgram(body: string): string {
  return `
const ts = require('typescript');
const fs = require('fs');
const src = ts.transpileModule(fs.readFileSync(${JSON.stringify(moduleSrc)}, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
const m = { exports: {} };
new Function('require', 'module', 'exports', src)(require, m, m.exports);
const { startContention } = m.exports;
${body}`;
}

function runChild(body: string, onPids?: (pids: number[], child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; pids: number[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', childProgram(body)], { cwd: path.join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let pids: number[] = [];
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /pids (\[[^\]]*\])/.exec(out);
      if (m && pids.length === 0) {
        pids = JSON.parse(m[1]);
        onPids?.(pids, child);
      }
    });
    child.on('exit', (code, signal) => resolve({ code, signal, pids }));
  });
}

describe('bench --contention: busy processes', () => {
  test('the flag value and the process count', () => {
    expect(parseContention(undefined)).toBe(2);
    expect(parseContention('1')).toBe(1);
    expect(() => parseContention('0')).toThrow(RangeError);
    expect(() => parseContention('two')).toThrow(/--contention: expected cores per busy process.*got 'two'/);
    expect(busyProcesses(2, 2)).toBe(1);
    expect(busyProcesses(2, 1)).toBe(2);
    expect(busyProcesses(3, 2)).toBe(2);
    expect(busyProcesses(1, 4)).toBe(1);
  });

  test('start() runs them, stop() kills them', async () => {
    const c = startContention(1, 2);
    try {
      expect(c.procs).toBe(2);
      expect(c.pids.every((p) => p > 0 && alive(p))).toBe(true);
      // they use CPU: at least one of them shows up as running within a second
      await new Promise((r) => setTimeout(r, 300));
      const stat = spawnSync('ps', ['-o', 'pid=,time=', '-p', c.pids.join(',')], { encoding: 'utf8' });
      if (stat.status === 0) expect(stat.stdout.trim().split('\n').length).toBe(2);
    } finally {
      await c.stop();
    }
    expect(await gone(c.pids, 2000)).toBe(true);
  });

  test('an error ending the process kills them (exit handler)', async () => {
    const r = await runChild(`const c = startContention(1, 2); console.log('pids ' + JSON.stringify(c.pids)); setTimeout(() => { throw new Error('boom'); }, 200);`);
    expect(r.code).not.toBe(0);
    expect(r.pids.length).toBe(2);
    expect(await gone(r.pids, 3000)).toBe(true);
  });

  test('SIGINT kills them', async () => {
    const r = await runChild(`const c = startContention(2, 2); console.log('pids ' + JSON.stringify(c.pids)); setInterval(() => {}, 1000);`,
      (_p, child) => setTimeout(() => child.kill('SIGINT'), 200));
    expect(r.code).toBe(130);
    expect(r.pids.length).toBe(1);
    expect(await gone(r.pids, 3000)).toBe(true);
  });

  test('SIGKILL of the bench: they notice and exit on their own', async () => {
    const r = await runChild(`const c = startContention(2, 2); console.log('pids ' + JSON.stringify(c.pids)); setInterval(() => {}, 1000);`,
      (_p, child) => setTimeout(() => child.kill('SIGKILL'), 200));
    expect(r.signal).toBe('SIGKILL');
    expect(r.pids.length).toBe(1);
    expect(await gone(r.pids, 5000)).toBe(true);
  });
});
