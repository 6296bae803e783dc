#!/usr/bin/env node
'use strict';
// `npm run prebuild`: an N-API prebuild for this platform (prebuilds/<platform>-<arch>/simdnet.napi.node) with
// prebuildify --napi --strip, built by node-gyp from binding.gyp against Node's own headers (nodedir): no downloads.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const nodedir = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..')]
  .filter(Boolean)
  .find((d) => fs.existsSync(path.join(d, 'include', 'node', 'node_api.h')));
if (!nodedir) {
  console.error('prebuild: Node headers not found next to the node binary (set npm_config_nodedir)');
  process.exit(1);
}
// npm's own node-gyp (npm sets npm_config_node_gyp in scripts; otherwise the copy bundled with npm).
const gyp = [process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]
  .filter(Boolean)
  .find((f) => fs.existsSync(f));
if (!gyp) {
  console.error("prebuild: node-gyp not found (run it as 'npm run prebuild')");
  process.exit(1);
}
const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
const target = process.versions.node;
// node-gyp builds in build/ and prebuildify moves the result out: keep a development build that is there.
const dev = path.join(root, 'build');
const kept = path.join(root, `build-kept-${process.pid}`);
const hadDev = fs.existsSync(dev);
if (hadDev) fs.renameSync(dev, kept);
const restore = () => {
  fs.rmSync(dev, { recursive: true, force: true });
  if (hadDev) fs.renameSync(kept, dev);
};
process.on('SIGINT', () => {
  restore();
  process.exit(130);
});
const r = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', '--target', target, '--node-gyp', gyp], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodedir, PREBUILD_NODE_GYP: gyp },
});
restore();
process.exit(r.status ?? 1);
