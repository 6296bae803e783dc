'use strict';
// Development only (not part of the published package): runs a worker thread's TypeScript entry point from the
// sources, for code that itself runs from the sources (ts-jest, ts-node). lib/train/remote.ts starts this file
// with the entry as argv[2] when it finds itself running as .ts; the published build starts dist/lib/train/worker.js.
// Each .ts file is transpiled with the `typescript` dev dependency (no type check: the sources are type-checked by
// tsc and ts-jest) and cached in the temp dir by path, size and mtime, so jest's many workers transpile once and
// an edited file is never run stale.
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const entry = process.argv[2];
if (!entry || !entry.endsWith('.ts')) throw new Error(`scripts/ts-worker.js: expected a .ts entry point as argument, got ${entry}`);
const cacheDir = path.join(os.tmpdir(), 'simdnet-ts-worker-cache');
let ts = null;

require.extensions['.ts'] = function (module, filename) {
  const st = fs.statSync(filename);
  const key = crypto.createHash('sha1').update(`${filename}|${st.size}|${st.mtimeMs}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let js = null;
  try {
    js = fs.readFileSync(cached, 'utf8');
  } catch {
    /* not cached yet */
  }
  if (js === null) {
    ts = ts || require('typescript');
    js = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true },
    }).outputText;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
      fs.writeFileSync(tmp, js);
      fs.renameSync(tmp, cached);
    } catch {
      /* caching is optional */
    }
  }
  module._compile(js, filename);
};

require(entry);
