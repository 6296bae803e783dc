#!/usr/bin/env node
'use strict';
// `npm install` step. Never downloads anything:
//   1. a prebuilt binary in prebuilds/ that loads (node-gyp-build's rules) -> done;
//   2. otherwise build from source: cmake-js when present (a development checkout) with the Node-API
//      headers of the node-api-headers package, else node-gyp with binding.gyp against Node's own headers
//      (the nodedir of this node binary);
//   3. if no build is possible, say so once: simdnet then runs on its TypeScript backend.
// --force-build skips step 1. SIMDNET_BACKEND=ts skips the native build entirely.
// Besides, when Open MPI is installed, the small optional addon of distributed training (scripts/build-mpi.js).
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const force = process.argv.includes('--force-build');
const log = (msg) => process.stdout.write(`simdnet: ${msg}\n`);

function tryResolve(id) {
  try {
    return require.resolve(id, { paths: [root] });
  } catch {
    return null;
  }
}

function prebuildLoads() {
  const ngb = tryResolve('node-gyp-build');
  if (!ngb) return false;
  try {
    const file = require(ngb).path(root);
    if (!file.includes(`${path.sep}prebuilds${path.sep}`)) return false; // a stale source build: rebuild it
    require(file);
    log(`using prebuilt binary ${path.relative(root, file)}`);
    return true;
  } catch {
    return false;
  }
}

function run(cmd, args) {
  log(`${path.basename(cmd)} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status === 0;
}

function nodeHeadersDir() {
  // Node's own headers: <prefix>/include/node next to the running binary (npm's nodedir).
  const candidates = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..')].filter(Boolean);
  return candidates.find((d) => fs.existsSync(path.join(d, 'include', 'node', 'node_api.h'))) || null;
}

function buildWithCmakeJs() {
  const cli = tryResolve('cmake-js/bin/cmake-js');
  if (!cli || !tryResolve('node-api-headers')) return null;
  // Node-API only: cmake-js takes the headers from node-api-headers (package.json "binary.napi_versions").
  return run(process.execPath, [cli, 'rebuild', '--log-level', 'warn']);
}

function buildWithNodeGyp() {
  const npmNodeGyp = process.env.npm_config_node_gyp;
  const gyp = npmNodeGyp && fs.existsSync(npmNodeGyp) ? npmNodeGyp : tryResolve('node-gyp/bin/node-gyp.js');
  if (!gyp) return null;
  const nodedir = nodeHeadersDir();
  if (!nodedir) {
    log('Node headers not found next to the node binary; not building (no downloads)');
    return false;
  }
  return run(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`]);
}

/** The optional MPI addon (distributed training), when Open MPI is installed; never fails the install. */
function buildMpi() {
  try {
    if (require('./build-mpi').build()) log('MPI addon built: distributed training available');
  } catch (err) {
    log(`WARNING: ${err.message}; distributed training is off (everything else works)`);
  }
}

function main() {
  if (process.env.SIMDNET_BACKEND === 'ts') {
    log('SIMDNET_BACKEND=ts: skipping the native build');
    return;
  }
  if (!force && prebuildLoads()) return;
  let ok = buildWithCmakeJs();
  if (ok === null) ok = buildWithNodeGyp();
  if (ok) {
    log('native addon built');
    return;
  }
  log('WARNING: could not build the native addon; simdnet will run on its (slower) TypeScript backend.');
  if (force) process.exitCode = 1;
}

main();
buildMpi(); // after the main build: a cmake-js rebuild starts by emptying build/
