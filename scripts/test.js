#!/usr/bin/env node
'use strict';
// `npm test`: the jest suite, then the whole suite again with the scalar reference kernels forced.
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const jest = require.resolve('jest/bin/jest', { paths: [root] });
const extra = process.argv.slice(2);

function run(label, env) {
  process.stdout.write(`\n=== ${label} ===\n`);
  const r = spawnSync(process.execPath, [jest, ...extra], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    process.stdout.write(`\n${label}: FAILED\n`);
    process.exit(r.status || 1);
  }
}

run('suite (best kernels)', {});
run('suite (reference kernels forced: SIMDNET_KERNELS=reference)', { SIMDNET_KERNELS: 'reference' });
