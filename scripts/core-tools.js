#!/usr/bin/env node
'use strict';
// `npm run test:core`: builds the native core's standalone kernel test/bench (native/dev, CMake option
// SIMDNET_CORE_TOOLS: plain C++, no Node headers) into build-core/ and runs them: the thread pool's unit test
// (native/dev/pool_test.cpp), then every kernel tier this CPU runs
// against the scalar reference over awkward shapes, then a timing of each tier. Arguments go to the test binary
// (--no-bench: test only). Needs cmake and a C++17 compiler (as the source build of the addon does).
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build-core');
function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`simdnet: ${cmd} failed to start: ${r.error.message}\n`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status || 1);
}
run('cmake', ['-S', root, '-B', out, '-DSIMDNET_CORE_TOOLS=ON', '-DCMAKE_BUILD_TYPE=Release']);
run('cmake', ['--build', out, '--parallel', '2']);
run(path.join(out, 'simdnet_pool_test'), []);
run(path.join(out, 'simdnet_kernels_test'), process.argv.slice(2));
