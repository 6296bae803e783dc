/**
 * The x64 binary runs on any x86-64 CPU: AVX instructions only in the per-ISA objects (static check of the
 * object files of the build in use), and, when Debian's qemu-user is installed, the addon runs on an emulated
 * CPU without AVX (Nehalem): it must pick the reference kernels and compute correctly instead of dying of SIGILL.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const sources = JSON.parse(fs.readFileSync(path.join(root, 'native', 'sources.json'), 'utf8')) as {
  baseline: string[];
  isa: Record<string, { sources: string[] }>;
};

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Object file -> its source (cmake: native/core/x.cpp.o; node-gyp: native/core/x.o). */
function sourceOf(obj: string): string | null {
  // the last native/ of the path: a checkout's own directory may have "native" in its name
  const m = /.*\/(native\/.*?)(\.cpp)?\.o$/.exec(obj.split(path.sep).join('/'));
  return m ? `${m[1]}.cpp` : null;
}

const uses = (asm: string, re: RegExp) => asm.split('\n').some((l) => re.test(l));
const AVX = /\t(v[a-z0-9]+)\s.*%[xyz]mm|%[yz]mm/; // any VEX/EVEX-encoded instruction or a 256/512-bit register

describe('baseline x86-64 binary', () => {
  test('AVX instructions appear only in the per-ISA objects', () => {
    const objs = walk(path.join(root, 'build')).filter((f) => f.endsWith('.o'));
    expect(objs.length).toBeGreaterThan(0); // the build in use must be there to check
    const isaFiles = Object.values(sources.isa).flatMap((g) => g.sources);
    const checkedBaseline = new Set<string>(); // cmake-js and node-gyp objects may both be there: check all
    let isaWithAvx = 0;
    for (const obj of objs) {
      const src = sourceOf(obj);
      if (!src) continue;
      const asm = execFileSync('objdump', ['-d', '--no-show-raw-insn', obj], { encoding: 'utf8', maxBuffer: 1 << 28 });
      if (sources.baseline.includes(src)) {
        checkedBaseline.add(src);
        const bad = asm.split('\n').filter((l) => AVX.test(l)).slice(0, 3);
        if (bad.length) throw new Error(`${src} (baseline) contains AVX instructions:\n${bad.join('\n')}`);
      } else if (isaFiles.includes(src) && uses(asm, AVX)) {
        isaWithAvx++;
      }
    }
    expect([...checkedBaseline].sort()).toEqual([...sources.baseline].sort());
    expect(isaWithAvx).toBeGreaterThan(0); // the check can see AVX where it is
  });

  const qemu = spawnSync('sh', ['-c', 'command -v qemu-x86_64'], { encoding: 'utf8' }).stdout.trim();
  test(`runs on a CPU without AVX (qemu-x86_64 -cpu Nehalem)${qemu ? '' : ' — qemu-user not installed: static check only'}`, () => {
    if (!qemu) {
      console.warn('qemu-user is not installed (apt-get install qemu-user): the emulated no-AVX run was not done');
      return;
    }
    const addon = require('node-gyp-build').path(root);
    const script = `
      const a = require(${JSON.stringify(addon)});
      const info = a.info();
      const switched = a.setKernels('avx2');
      const M = 13, N = 21, K = 17, A = new Float32Array(M * K), B = new Float32Array(K * N), C = new Float32Array(M * N);
      for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
      for (let i = 0; i < B.length; i++) B[i] = Math.cos(i);
      a.sgemm(false, true, M, N, K, 1, A, 0, K, B, 0, K, 0, C, 0, N);
      let worst = 0;
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let e = 0; for (let p = 0; p < K; p++) e += A[i * K + p] * B[j * K + p];
        worst = Math.max(worst, Math.abs(C[i * N + j] - e));
      }
      const x = new Float32Array(2 * 3 * 7 * 7).map((_, i) => Math.sin(i)), col = new Float32Array(2 * 25 * 27);
      if (a.im2col) a.im2col(x, { N: 2, C: 3, H: 7, W: 7, KH: 3, KW: 3, stride: 1, pad: 0 }, col);
      console.log(JSON.stringify({ info, switched, worst }));`;
    const r = spawnSync(qemu, ['-cpu', 'Nehalem', process.execPath, '-e', script], { encoding: 'utf8', timeout: 120000 });
    expect(r.signal).toBeNull(); // SIGILL would land here
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim());
    expect(out.info.isa).toBe('reference');
    expect(out.info.bestIsa).toBe('reference');
    expect(out.switched).toBe(false);
    expect(out.worst).toBeLessThan(1e-4);
  });
});
