#!/usr/bin/env node
'use strict';
// `npm test`:
//   1. tsc into a clean dist/ (what child processes, workers, the CLI tests and the package run),
//   2. the jest suite with the best kernels this CPU has; the event-loop bound (test/train/eventloop.test.ts)
//      runs on its own afterwards, so the other jest worker does not compete for the cores it measures,
//   3. the suites that run native kernels (KERNEL_SUITES) again with the scalar reference kernels forced
//      (SIMDNET_KERNELS=reference): ops, kernels, layers, the network gradient checks, graphs, the book's weights;
//   4. the packaging test (scripts/pack-test.js): prebuild, pack, install with no compiler, load, compute,
//   5. the C++ core's kernel test without Node (scripts/core-tools.js, native/dev): every tier against the scalar
//      references (about a minute to build; skipped when cmake is missing, as the addon then came from node-gyp).
// The distributed suites (test/dist) run under mpirun when Open MPI is installed; the summary says whether they ran.
// Extra arguments go to jest (e.g. `npm test -- test/kernels`); with arguments the packaging test is skipped.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

/** The suites whose results depend on the kernel tier (the others run no native kernel, or no native code). */
const KERNEL_SUITES = [
  'test/ops', 'test/kernels', 'test/layers', 'test/reference', 'test/data/augment-native.test.ts',
  'test/nets/gradcheck.test.ts', 'test/nets/fusion.test.ts', 'test/nets/fold.test.ts', 'test/nets/graph.test.ts',
  'test/nets/training.test.ts',
];

const root = path.join(__dirname, '..');
const extra = process.argv.slice(2);
const results = [];

function step(label, args, env) {
  process.stdout.write(`\n=== ${label} ===\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  results.push(`${ok ? 'ok  ' : 'FAIL'} ${label} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (!ok) {
    process.stdout.write(`\n${results.join('\n')}\n`);
    process.exit(r.status || 1);
  }
}

/** Whether the distributed (MPI) suites will run, said once before and after (test/dist/helpers.ts skips them). */
function mpiStatus() {
  if (process.env.SIMDNET_MPI === '0') return 'SKIPPED (SIMDNET_MPI=0)';
  if (spawnSync('mpirun', ['--version']).status !== 0) return 'SKIPPED (no Open MPI: apt-get install openmpi-bin libopenmpi-dev, then npm install)';
  const r = spawnSync(process.execPath, ['-e', "process.exit(require('./dist/lib/dist/mpi').mpiAvailable() ? 0 : 1)"], { cwd: root });
  return r.status === 0 ? 'run (Open MPI found)' : 'SKIPPED (the MPI addon is not built: npm run build:mpi)';
}

const jest = require.resolve('jest/bin/jest', { paths: [root] });
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true }); // no stale output of a removed source
step('build (tsc)', [tsc, '-p', 'tsconfig.json'], {});
const mpi = mpiStatus();
process.stdout.write(`distributed (MPI) tests: ${mpi}\n`);
results.push(`note distributed (MPI) tests: ${mpi}`);
const alone = 'test/train/eventloop.test.ts';
if (extra.length > 0) {
  step('suite, best kernels', [jest, ...extra], {});
  step('suite, reference kernels forced (SIMDNET_KERNELS=reference)', [jest, ...extra], { SIMDNET_KERNELS: 'reference' });
} else {
  step('suite, best kernels', [jest, '--testPathIgnorePatterns', alone], {});
  step('suite, best kernels: event-loop bound, alone', [jest, '--runInBand', alone], {});
  step('kernel suites, reference kernels forced (SIMDNET_KERNELS=reference)', [jest, ...KERNEL_SUITES], { SIMDNET_KERNELS: 'reference' });
}
if (extra.length === 0) step('packaging test', [path.join(__dirname, 'pack-test.js')], {});
if (extra.length === 0 && spawnSync('cmake', ['--version']).status === 0) {
  step('core kernel test, no Node (native/dev)', [path.join(__dirname, 'core-tools.js'), '--no-bench'], {});
}
process.stdout.write(`\n${results.join('\n')}\n`);
