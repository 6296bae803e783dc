'use strict';
// Child process of test/robust/memory-limit.test.ts: runs one case under an address-space limit just above what
// the process already uses, so the core's own allocation fails (std::bad_alloc in the calling thread or in a pool
// worker). The call must throw a JS error and the process must carry on. Prints one JSON line.
// argv: <package root> <case name>. prlimit (util-linux) sets RLIMIT_AS on this process once the inputs exist.
const { execFileSync } = require('child_process');
const fs = require('fs');

const [root, name] = process.argv.slice(2);
const sn = require(root);
sn.useBackend('native');
const be = sn.getBackend();

const cases = {
  // The case: 2e8 columns, rows = 0 — an 800 MB `out`, and 1.6 GB of double accumulators in the core.
  sumRows: () => {
    const out = new Float32Array(2e8);
    return () => be.sumRows(new Float32Array(1), 0, 2e8, out);
  },
  // Per-task std::vector<double> statistics, allocated inside pool tasks (workers and the caller).
  batchNormForward: () => {
    const C = 2e7;
    const a = new Float32Array(C);
    return () => be.batchNormForward(a, 1, C, 1, a, a, a, a, 0.9, 1e-5, true, false, a, a, a);
  },
  // The same through a layer: BatchNormalization on [2, 2e7] (its parameters exist before the limit).
  batchNormLayer: () => {
    const C = 2e7;
    const bn = new sn.BatchNormalization(C);
    const x = sn.Tensor.zeros([2, C]);
    bn.forward(x, true); // allocates its outputs (before the limit)
    return () => bn.forward(x, true);
  },
};

function vmSizeBytes() {
  const m = /VmSize:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return Number(m[1]) * 1024;
}

// Warm up: start the pool's threads (their stacks and malloc arenas count against the limit) with a small call.
be.setThreads(2);
{ const a = new Float32Array(1 << 16); be.batchNormBackward(a, a, false, a, a, a, a, 1, 1 << 16, 1, a, a, a); }
const run = cases[name]();
const headroom = 256 << 20;
execFileSync('prlimit', [`--pid=${process.pid}`, `--as=${vmSizeBytes() + headroom}`]);
let result;
try {
  run();
  result = { threw: false };
} catch (e) {
  result = { threw: true, type: e.constructor.name, message: e.message };
}
// Still alive, and still working: a small call after the failure.
const out = new Float32Array(4);
be.sumRows(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 2, 4, out);
result.after = Array.from(out);
process.stdout.write(JSON.stringify(result) + '\n');
