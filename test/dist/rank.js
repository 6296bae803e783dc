'use strict';
// One rank of the distributed tests (test/dist/*.test.ts run it under mpirun, or alone for the one-process
// reference). Plain JS on the compiled package (dist/), like a user's script. Configuration: the JSON in
// SIMDNET_TEST_CONFIG; `perRank[rank]` overrides fields on one rank (to start mismatched ranks on purpose).
// Writes <out>/<mode>-<rank>.json: weights, per-epoch weight hashes, history, losses.
const fs = require('fs');
const path = require('path');
const s = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));

const base = JSON.parse(process.env.SIMDNET_TEST_CONFIG);
const worldRank = Number(process.env.OMPI_COMM_WORLD_RANK ?? 0);
const cfg = { ...base, ...((base.perRank ?? {})[worldRank] ?? {}) };

// Synthetic data: 20 features, 5 classes from a fixed random linear map (same on every rank).
const rng = new s.Rng(11);
const D = 20;
const C = 5;
const Wt = Float32Array.from({ length: D * C }, () => rng.normal());
function make(rows) {
  const x = new Float32Array(rows * D);
  const t = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let d = 0; d < D; d++) x[i * D + d] = rng.normal();
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < C; c++) {
      let v = 0;
      for (let d = 0; d < D; d++) v += x[i * D + d] * Wt[d * C + c];
      if (v > bv) [bv, best] = [v, c];
    }
    t[i] = best;
  }
  return { x: new s.Tensor(x, [rows, D]), t };
}
const train = make(cfg.rows);
const test = make(200);
const netOpts = { inputSize: D, hiddenSizeList: cfg.hidden ?? [32, 32], outputSize: C, seed: cfg.netSeed ?? 3, weightDecayLambda: 1e-3 };
const net = cfg.model === 'bn-dropout'
  ? new s.MultiLayerNetExtend({ ...netOpts, useBatchnorm: true, useDropout: true, dropoutRatio: 0.2 })
  : new s.MultiLayerNet(netOpts);

if (cfg.pidDir) fs.writeFileSync(path.join(cfg.pidDir, `pid-${worldRank}`), String(process.pid)); // for the SIGINT test
const hashes = [];
const epochLogs = [];
const callbacks = [{
  onEpochEnd: ({ logs }) => {
    hashes.push(trainer.parallel ? trainer.parallel.weightsHash : '');
    epochLogs.push(logs);
  },
}];
if (cfg.checkpoint) callbacks.push(new s.ModelCheckpoint({ path: cfg.checkpoint }));
if (cfg.killAt && cfg.killAt.rank === worldRank) {
  callbacks.push({
    onBatchEnd: (b) => {
      if (b.epoch === cfg.killAt.epoch && b.batch === cfg.killAt.batch) process.kill(process.pid, cfg.killAt.signal);
    },
  });
}
if (cfg.stopAt && cfg.stopAt.rank === worldRank) {
  // stop() on one rank only: after a batch (the next step carries the vote) or at an epoch end (voted before the next)
  const hook = cfg.stopAt.batch === undefined ? 'onEpochEnd' : 'onBatchEnd';
  callbacks.push({ [hook]: (b) => ((b.epoch === cfg.stopAt.epoch && (hook === 'onEpochEnd' || b.batch === cfg.stopAt.batch)) ? trainer.stop() : undefined) });
}
let trainer;
try {
  trainer = new s.Trainer(net, train.x, train.t, test.x, test.t, {
    epochs: cfg.epochs, miniBatchSize: cfg.batch, optimizer: cfg.optimizer ?? 'momentum', optimizerParam: { lr: cfg.lr ?? 0.05 },
    seed: cfg.seed ?? 7, distributed: cfg.mode === 'dist' ? (cfg.distributed ?? true) : false, callbacks,
    ...(cfg.metrics ? { metrics: cfg.metrics } : {}),
  });
  if (cfg.resume) trainer.resume(cfg.resume);
  const r = trainer.train();
  const rank = trainer.parallel ? trainer.parallel.rank : 0;
  let probe = null;
  if (cfg.probeWaitUntil && trainer.parallel) {
    // the addon's waitUntil refuses what is not a sequence number (a JS error, no abort); one beyond the last
    // collective waits for what was started and returns
    const mpi = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'dist', 'mpi.js')).loadMpi();
    probe = [-1, 1.5, NaN, 'x'].map((v) => {
      try {
        mpi.waitUntil(v, 1000);
        return 'no error';
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    });
    mpi.waitUntil(1e9, 1000);
    probe.push('beyond: returned');
  }
  const params = {};
  for (const [k, p] of Object.entries(net.namedParams())) params[k] = Buffer.from(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength).toString('base64');
  fs.writeFileSync(path.join(cfg.out, `${cfg.mode}-${rank}.json`), JSON.stringify({
    rank, size: trainer.parallel ? trainer.parallel.size : 1, stopped: r.stopped, hashes, history: r.history, testAcc: r.testAcc, iterations: r.iterations,
    params, losses: trainer.trainLossList, logs: epochLogs, stats: trainer.parallel ? trainer.parallel.stepStats : null,
    comm: trainer.parallel ? trainer.parallel.comm.stats() : null, probe,
  }));
  if (trainer.parallel) trainer.parallel.comm.finalize();
} catch (err) {
  process.stderr.write(`rank ${worldRank}: ${err.message}\n`);
  const comm = s.Communicator && s.Communicator.existing();
  if (comm && comm.size > 1) comm.abort(3);
  process.exit(3);
}
