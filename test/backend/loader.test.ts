/**
 * The loader chooses precisely and fails loudly; the addon matches its TypeScript description; it loads in
 * worker threads; threads and kernels are settable and reported. Child processes run the compiled package
 * (dist/, built by `npm install` and by `npm test` before jest).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { NATIVE_EXPORTS, type NativeAddon } from '../../lib/backend/addon';
import { requireNative } from '../helpers';

const root = path.join(__dirname, '..', '..');
const dist = path.join(root, 'dist', 'lib', 'index.js');

function runNode(code: string, env: Record<string, string | undefined>) {
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SIMDNET_BACKEND: undefined, SIMDNET_NATIVE_PATH: undefined, SIMDNET_KERNELS: undefined, ...env },
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}
const infoScript = `const s = require(${JSON.stringify(dist)}); console.log(JSON.stringify(s.backendInfo()));`;

// Compile-time: NATIVE_EXPORTS names every member of NativeAddon (adding a member without listing it fails tsc).
const listed: Record<keyof NativeAddon, true> = Object.fromEntries(NATIVE_EXPORTS.map((k) => [k, true])) as Record<keyof NativeAddon, true>;

describe('native addon', () => {
  test('exports exactly what NativeAddon describes', () => {
    const addon = requireNative().addon as unknown as Record<string, unknown>;
    const functions = Object.keys(addon).filter((k) => typeof addon[k] === 'function').sort();
    expect(functions).toEqual([...NATIVE_EXPORTS].sort());
    expect(Object.keys(listed).length).toBe(NATIVE_EXPORTS.length);
  });

  test('reports backend, ISA and threads; threads settable; bad thread counts rejected', () => {
    const n = requireNative();
    const before = n.info();
    expect(before.backend).toBe('native');
    expect(['avx512', 'avx2', 'reference']).toContain(before.isa);
    n.setThreads(3);
    expect(n.info().threads).toBe(3);
    n.setThreads(before.threads);
    // Addon errors come from the main realm, not jest's sandbox: compare the constructor's name.
    const errorOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return `${(e as Error).constructor.name}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(errorOf(() => n.addon.setThreads(0))).toMatch(/^RangeError: threads: expected an integer in \[1, 256\], got 0/);
    expect(errorOf(() => n.addon.setThreads(1.5))).toMatch(/^RangeError: threads: expected an integer in \[1, 256\]/);
    expect(errorOf(() => n.addon.setKernels('sse9' as 'avx2'))).toMatch(/^RangeError: kernels: expected/);
  });

  test('SIMDNET_KERNELS=reference forces the reference kernels; SIMDNET_THREADS sets the pool', () => {
    const r = runNode(infoScript, { SIMDNET_KERNELS: 'reference', SIMDNET_THREADS: '1' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'native', isa: 'reference', threads: 1 });
  });

  test('loads and computes in worker threads', () => {
    const code = `
      const { Worker } = require('worker_threads');
      const src = 'const s = require(' + JSON.stringify(${JSON.stringify(dist)}) + '); const b = s.getBackend();' +
        'const A = new Float32Array([1, 2, 3, 4]), C = new Float32Array(4);' +
        'b.sgemm(false, false, 2, 2, 2, 1, A, 0, 2, A, 0, 2, 0, C, 0, 2);' +
        'require("worker_threads").parentPort.postMessage({ info: b.info(), c: Array.from(C) });';
      let done = 0;
      for (let i = 0; i < 2; i++) {
        const w = new Worker(src, { eval: true });
        w.on('message', (m) => { console.log(JSON.stringify(m)); if (++done === 2) process.exit(0); });
        w.on('error', (e) => { console.error(e); process.exit(1); });
      }`;
    const r = runNode(code, {});
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const m of lines) {
      expect(m.info.backend).toBe('native');
      expect(m.c).toEqual([7, 10, 15, 22]);
    }
  });
});

describe('loader fallbacks', () => {
  test('a missing binary falls back to TypeScript with one clear warning', () => {
    const r = runNode(infoScript + 'require(' + JSON.stringify(dist) + ').backendInfo();', {
      SIMDNET_NATIVE_PATH: path.join(os.tmpdir(), 'does-not-exist', 'simdnet.node'),
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.split('\n')[0]).backend).toBe('ts');
    const warnings = r.stderr.split('\n').filter((l) => l.includes('SIMDNET_TS_FALLBACK') || l.includes('using the TypeScript backend'));
    expect(warnings).toHaveLength(1);
  });

  test('a binary the OS cannot load falls back too, naming the error', () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-bad-')), 'simdnet.node');
    fs.writeFileSync(bad, 'not an ELF file');
    const r = runNode(infoScript, { SIMDNET_NATIVE_PATH: bad });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).backend).toBe('ts');
    expect(r.stderr).toMatch(/native addon unavailable .*using the TypeScript backend/);
  });

  test('SIMDNET_BACKEND=native fails loudly when the addon cannot load', () => {
    const r = runNode(infoScript, { SIMDNET_BACKEND: 'native', SIMDNET_NATIVE_PATH: '/nonexistent/simdnet.node' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/SIMDNET_BACKEND=native but the native addon does not load/);
  });

  test('SIMDNET_BACKEND=ts uses TypeScript without a warning; a bad value is a RangeError', () => {
    const ok = runNode(infoScript, { SIMDNET_BACKEND: 'ts' });
    expect(JSON.parse(ok.stdout)).toEqual({ backend: 'ts', isa: 'typescript', bestIsa: 'typescript', threads: 1 });
    expect(ok.stderr).toBe('');
    const bad = runNode(infoScript, { SIMDNET_BACKEND: 'gpu' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/RangeError: SIMDNET_BACKEND: expected 'native', 'ts' or 'auto', got 'gpu'/);
  });

  test('a binary built from another interface (native/ops.json hash) is an error, not a silent misreading of arguments', () => {
    const r = runNode(infoScript, { SIMDNET_NATIVE_PATH: path.join(root, 'test', 'backend', 'fixtures', 'old-abi-addon.js') });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/was built for interface 0123456789abcdef, this package needs [0-9a-f]{16} \(stale build\?/);
  });

  test('a stale binary lacking exports is an error, not a silent fallback', () => {
    const r = runNode(infoScript, { SIMDNET_NATIVE_PATH: path.join(root, 'test', 'backend', 'fixtures', 'stale-addon.js') });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/lacks .*stale build\?/);
  });
});
