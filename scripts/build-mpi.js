#!/usr/bin/env node
'use strict';
// Builds the optional MPI addon, build/mpi/simdnet_mpi.node, from the mpi group of native/sources.json (native/dist/) with Open MPI's own
// compiler wrapper (mpicxx), the way mpi4py builds with mpicc: the wrapper knows the MPI installation's include
// and library paths, so nothing here guesses them. Called by scripts/install.js after the main addon (never
// failing the install) and by `npm run build:mpi` (failing loudly). Never downloads anything.
//
// Without MPI (no mpicxx on PATH, or SIMDNET_MPI=0) it builds nothing and says so once: everything but
// distributed training works as before, and lib/dist/mpi.ts explains what to install when it is asked for.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'build', 'mpi');
const outFile = path.join(outDir, 'simdnet_mpi.node');
const SOURCES = require(path.join(root, 'native', 'sources.json')).mpi.sources; // the one source list
const log = (msg) => process.stdout.write(`simdnet: ${msg}\n`);

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Directory holding node_api.h: the node-api-headers package (development), else Node's own headers. */
function nodeApiInclude() {
  try {
    return require('node-api-headers').include_dir;
  } catch {
    /* not installed (a user's install: dev dependencies are absent) */
  }
  const candidates = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..')].filter(Boolean);
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'include', 'node', 'node_api.h')));
  return dir ? path.join(dir, 'include', 'node') : null;
}

/** Returns true when built, false when MPI (or a header) is absent, throws when a present MPI fails to build. */
function build() {
  if (process.env.SIMDNET_MPI === '0') {
    log('SIMDNET_MPI=0: not building the MPI addon (distributed training disabled)');
    return false;
  }
  const mpicxx = process.env.MPICXX || which('mpicxx');
  if (!mpicxx) {
    log('Open MPI not found (no mpicxx): distributed training is off; to enable it: apt-get install openmpi-bin libopenmpi-dev, then npm rebuild simdnet');
    return false;
  }
  const napiInc = nodeApiInclude();
  let addonApiInc = null;
  try {
    addonApiInc = path.dirname(require.resolve('node-addon-api/package.json', { paths: [root] }));
  } catch {
    /* below */
  }
  if (!napiInc || !addonApiInc) {
    log('Node-API headers not found: not building the MPI addon (no downloads)');
    return false;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${outFile}.${process.pid}.tmp`;
  const args = [
    '-std=c++17', '-O2', '-fPIC', '-shared', '-pthread', '-fvisibility=hidden',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    `-I${napiInc}`, `-I${addonApiInc}`,
    ...SOURCES.map((s) => path.join(root, s)),
    '-Wl,--as-needed', '-o', tmp,
  ];
  log(`${path.basename(mpicxx)} ${SOURCES.join(' ')} -> build/mpi/simdnet_mpi.node`);
  const r = spawnSync(mpicxx, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`building the MPI addon failed (${mpicxx} exited with ${r.status ?? r.signal})`);
  }
  fs.renameSync(tmp, outFile); // atomic: a half-written addon is never loaded
  return true;
}

if (require.main === module) {
  const strict = process.argv.includes('--strict');
  try {
    const ok = build();
    if (ok) log('MPI addon built (distributed training available)');
    else if (strict) process.exitCode = 1;
  } catch (err) {
    log(`WARNING: ${err.message}; distributed training is off`);
    if (strict) process.exitCode = 1;
  }
}

module.exports = { build, outFile };
