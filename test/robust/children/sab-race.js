'use strict';
// Child process of test/robust/shared-memory.test.ts. Labels live in a SharedArrayBuffer that a worker thread
// flips between valid class indices and wild ones, in a loop, while this thread calls net.gradient(x, labels)
// and a max-pool backward with a shared argmax. Every call must either compute or throw a clean RangeError; the
// process must never die of a signal. Prints one JSON line: { calls, rangeErrors, other }.
// argv: <package root> <seconds per part> <backend: native|ts> [part: loss|pool|all]
const { Worker, isMainThread, workerData } = require('worker_threads');

if (!isMainThread) {
  const a = new Int32Array(workerData.sab);
  const stop = new Int32Array(workerData.stop);
  const wild = [1 << 30, -(1 << 30), 2147483647, -2147483648, 100000];
  for (let k = 0; Atomics.load(stop, 0) === 0; k++) {
    const bad = wild[k % wild.length];
    for (let i = 0; i < a.length; i++) a[i] = bad; // wild
    for (let i = 0; i < a.length; i++) a[i] = i % 10; // valid
  }
  return;
}

const [root, secondsArg, backend, part = 'all'] = process.argv.slice(2);
const sn = require(root);
sn.useBackend(backend);
const budgetMs = Number(secondsArg) * 1000;
const N = 4096;
const C = 10;
const sab = new SharedArrayBuffer(N * 4);
const labels = new Int32Array(sab);
for (let i = 0; i < N; i++) labels[i] = i % C;
const stop = new SharedArrayBuffer(4);
const worker = new Worker(__filename, { workerData: { sab, stop } });

const net = new sn.Sequential([new sn.Affine(8, C), new sn.SoftmaxWithLoss()], { inputShape: [8], seed: 1 });
const x = sn.Tensor.zeros([N, 8]);
x.data.fill(0.5);
let calls = 0;
let rangeErrors = 0;
const other = [];
function attempt(fn) {
  calls++;
  try {
    fn();
  } catch (e) {
    if (e instanceof RangeError) rangeErrors++;
    else if (other.length < 5) other.push(`${e && e.constructor && e.constructor.name}: ${e && e.message}`);
  }
}
for (const end = Date.now() + budgetMs; part !== 'pool' && Date.now() < end; ) {
  attempt(() => net.gradient(x, labels));
  attempt(() => net.loss(x, labels));
}
// Max pooling: the argmax indices the backward scatters through, shared and flipped the same way.
const be = sn.getBackend();
// N=2, C=8, 32x32 input -> 16x16 outputs, by the dense 2x2 path and by the general (3x3, pad 1) path.
const g2 = { N: 2, C: 8, H: 32, W: 32, KH: 2, KW: 2, stride: 2, pad: 0 };
const g3 = { ...g2, KH: 3, KW: 3, pad: 1 };
const P = 2 * 8 * 16 * 16;
const asab = new SharedArrayBuffer(P * 4);
const argmax = new Int32Array(asab);
const stop2 = new SharedArrayBuffer(4);
const w2 = new Worker(__filename, { workerData: { sab: asab, stop: stop2 } });
const dy = new Float32Array(P).fill(1);
const dx = new Float32Array(2 * 8 * 32 * 32);
for (const end = Date.now() + budgetMs; part !== 'loss' && Date.now() < end; ) {
  attempt(() => be.maxPoolBackward(dy, argmax, g2, dx));
  attempt(() => be.maxPoolBackward(dy, argmax, g3, dx));
}
Atomics.store(new Int32Array(stop), 0, 1);
Atomics.store(new Int32Array(stop2), 0, 1);
Promise.all([new Promise((r) => worker.on('exit', r)), new Promise((r) => w2.on('exit', r))]).then(() => {
  process.stdout.write(JSON.stringify({ calls, rangeErrors, other }) + '\n');
});
