#!/usr/bin/env node
'use strict';
// Packaging test (run by `npm test`): make the N-API prebuild, pack the tarball, install it into an empty
// temp project with NO compiler on PATH (only node, npm and sh), and show that the installed package loads
// the prebuild (not a source build) and computes a GEMM correctly. Dependencies come from the npm cache
// (--prefer-offline); nothing is downloaded from anywhere but the npm registry.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const log = (m) => process.stdout.write(`pack-test: ${m}\n`);
const fail = (m) => {
  process.stdout.write(`pack-test: FAIL: ${m}\n`);
  process.exit(1);
};
const npmCli = [process.env.npm_execpath, path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')]
  .find((f) => f && /npm-cli\.js$/.test(f) && fs.existsSync(f));
function npm(args, opts) {
  const cmd = npmCli ? process.execPath : 'npm';
  const full = npmCli ? [npmCli, ...args] : args;
  return spawnSync(cmd, full, { encoding: 'utf8', ...opts });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-pack-'));
try {
  // 1. The prebuild.
  let r = spawnSync(process.execPath, [path.join(root, 'scripts', 'prebuild.js')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) fail(`prebuild failed:\n${r.stdout}\n${r.stderr}`);
  const prebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const builds = fs.existsSync(prebuild) ? fs.readdirSync(prebuild).filter((f) => f.endsWith('.node')) : [];
  if (builds.length !== 1) fail(`expected one prebuild in ${prebuild}, found ${builds.join(', ') || 'none'}`);
  log(`prebuild ${path.relative(root, path.join(prebuild, builds[0]))}`);

  // 2. The tarball (ignore-scripts: dist/ is already built by npm install's prepare step).
  r = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root });
  if (r.status !== 0) fail(`npm pack failed:\n${r.stderr}`);
  const packed = JSON.parse(r.stdout)[0];
  const files = new Set(packed.files.map((f) => f.path));
  for (const need of [`prebuilds/${process.platform}-${process.arch}/${builds[0]}`, 'dist/lib/index.js', 'dist/lib/index.d.ts',
    'binding.gyp', 'CMakeLists.txt', 'native/sources.json', 'scripts/install.js', 'scripts/sources.js']) {
    if (!files.has(need)) fail(`tarball lacks ${need}`);
  }
  for (const f of files) if (/^(test|build|\.ci)\//.test(f)) fail(`tarball should not contain ${f}`);
  log(`packed ${packed.filename}: ${files.size} files, ${(packed.size / 1e6).toFixed(1)} MB`);

  // 3. An empty project, a PATH with node, npm and sh only: no cc, c++, g++, make, cmake, python.
  const proj = path.join(work, 'project');
  const bin = path.join(work, 'bin');
  fs.mkdirSync(proj);
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(execFileSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim(), path.join(bin, 'sh'));
  for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make', 'cmake']) {
    if (spawnSync(path.join(bin, 'sh'), ['-c', `command -v ${tool}`], { env: { PATH: bin } }).status === 0) fail(`${tool} still on PATH`);
  }
  const env = { HOME: process.env.HOME, PATH: bin, npm_config_cache: process.env.npm_config_cache || path.join(os.homedir(), '.npm') };
  r = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, packed.filename)], { cwd: proj, env });
  if (r.status !== 0) fail(`install failed (${r.error ? r.error.message : `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  log('installed into an empty project with no compiler on PATH');

  // 4. It loads the prebuild and computes.
  const installed = path.join(proj, 'node_modules', 'simdnet');
  if (fs.existsSync(path.join(installed, 'build'))) fail('a source build happened (node_modules/simdnet/build exists)');
  const probe = `
    const s = require('simdnet');
    const file = require('node-gyp-build').path(require('path').dirname(require.resolve('simdnet/package.json')));
    const info = s.backendInfo();
    const M = 37, N = 29, K = 53, A = new Float32Array(M * K), B = new Float32Array(K * N), C = new Float32Array(M * N);
    for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
    for (let i = 0; i < B.length; i++) B[i] = Math.cos(i);
    s.getBackend().sgemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, C, 0, N);
    let worst = 0;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let e = 0; for (let p = 0; p < K; p++) e += A[i * K + p] * B[p * N + j];
      worst = Math.max(worst, Math.abs(C[i * N + j] - e));
    }
    console.log(JSON.stringify({ file, info, worst }));`;
  r = spawnSync(process.execPath, ['-e', probe], { cwd: proj, encoding: 'utf8', env: { ...env, SIMDNET_BACKEND: 'native' } });
  if (r.status !== 0) fail(`the installed package did not load:\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  if (!out.file.includes(`${path.sep}prebuilds${path.sep}`)) fail(`loaded ${out.file}, not the prebuild`);
  if (out.info.backend !== 'native') fail(`backend ${out.info.backend}, expected native`);
  if (!(out.worst < 1e-3)) fail(`GEMM max abs error ${out.worst}`);
  log(`loads ${path.relative(proj, out.file)} (${out.info.isa}, ${out.info.threads} threads); GEMM 37x29x53 max abs error ${out.worst.toExponential(2)}`);
  log('1 passed, 0 failed');
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
