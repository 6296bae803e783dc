/**
 * Data parallelism for the training loop (lib/train/loop.ts `LoopParallel`), the way PyTorch's
 * DistributedDataParallel + DistributedSampler do it, on MPI:
 *  - every rank draws the same seeded permutation; global batch k (B rows) is split rank-strided: rank r takes
 *    rows r, r+N, r+2N, … of it (DistributedSampler's split, without padding: a short last batch just gives some
 *    ranks fewer rows);
 *  - each rank runs forward/backward on its rows; its gradient is weighted by its share b_r/B and summed over the
 *    ranks in buckets that start during backward (lib/dist/buckets.ts), so every rank holds the gradient of the
 *    whole global batch and applies the same update — the same step as one process at batch B, up to the order
 *    of float additions;
 *  - the batch loss and accuracy are reduced with the gradients (one small float64 allreduce started before
 *    backward), and so is the decision to stop (a stop on any rank stops all after the same batch);
 *  - evaluation is split into contiguous row ranges, one per rank, and the counts and loss sums are reduced;
 *  - dropout masks and augmentation draws come from per-rank streams derived from the seed (rank 0 keeps the
 *    single-process streams), saved for every rank in checkpoints, so a resumed run (same world size) continues
 *    exactly;
 *  - batch normalization normalizes with each rank's own batch statistics (not synchronized); the running
 *    averages are averaged over the ranks at every epoch end, so all ranks (and the checkpoint) agree;
 *  - at the start the configuration of every rank is compared (model, data size, batch, seed, optimizer, …) and
 *    any difference is named; rank 0's weights are broadcast; after every epoch a hash of the weights of every
 *    rank is compared, so a divergence is an error, not a silent drift.
 */
import { createHash } from 'crypto';
import type { Layer } from '../layers/layer';
import type { Network } from '../nets/network';
import type { Optimizer } from '../optimizers/optimizer';
import { mix32, Rng, type RngState } from '../rng';
import { countCorrect } from '../metrics/accuracy';
import type { LocalBatch, LoopParallel, LoopSettings, ParallelStreams } from '../train/loop';
import { GradientBuckets } from './buckets';
import type { Communicator } from './communicator';

/** Bytes of one rank's entry when configurations or random streams are exchanged. */
const ENTRY_BYTES = 8192;

/** The stream of rank r derived from rank 0's state: same position, another seed. */
function rankStream(s: RngState, rank: number): RngState {
  return rank === 0 ? { ...s } : { ...s, seed: mix32((s.seed ^ mix32(0x5bd1e995 + rank)) >>> 0) };
}

function sha256(parts: ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex');
}

function encode(value: unknown, what: string): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  if (bytes.length > ENTRY_BYTES) throw new RangeError(`${what}: ${bytes.length} bytes of JSON, more than ${ENTRY_BYTES}`);
  const out = new Uint8Array(ENTRY_BYTES);
  out.set(bytes);
  return out;
}

function decode(bytes: Uint8Array): unknown {
  const end = bytes.indexOf(0);
  return JSON.parse(Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('utf8'));
}

/** Short form of a configuration value for messages: itself when short, else its hash. */
function brief(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length <= 80 ? s : `${s.slice(0, 60)}… (sha256 ${createHash('sha256').update(s).digest('hex').slice(0, 12)})`;
}

/**
 * The data-parallel side of one Trainer (one per rank). Created by the Trainer for `distributed: true`.
 *
 * @example
 * // mpirun -np 2 node train.js
 * const trainer = new Trainer(net, x, t, xTest, tTest, { miniBatchSize: 100, distributed: true });
 * trainer.train();
 * const dp = trainer.parallel!;                 // rank, size, weightsHash, stepStats (comm wait, bytes)
 * if (dp.rank === 0) console.log(dp.stepStats);
 * dp.comm.finalize();
 * @throws {Error} from the collectives: a mismatched configuration, diverged weights, a lost peer (timeout)
 */
export class DataParallel implements LoopParallel {
  readonly rank: number;
  readonly size: number;
  /** Hex SHA-256 of this rank's weights and buffers at the last epoch end (equal on every rank). */
  weightsHash = '';
  /** Set by the Trainer: whether this rank wants to stop (read once per step). */
  localStop: () => boolean = () => false;
  /** Set by the Trainer: called on every rank when any rank asked to stop (after the same batch everywhere). */
  onStop: () => void = () => undefined;
  /** Time spent waiting for collectives and bytes allreduced, accumulated over the steps. */
  readonly stepStats = { steps: 0, waitMs: 0, bytes: 0 };
  private readonly buckets: GradientBuckets;
  /** Names of parameters in no gradient bucket (none in the networks simdnet builds), updated after the buckets. */
  private readonly unbucketed: string[];
  private readonly control = new Float64Array(4);
  private readonly hook: (layer: Layer) => void;
  private rngs: { aug: Rng; net: Rng } | null = null;
  private saved: ParallelStreams | null = null;

  constructor(readonly network: Network, readonly comm: Communicator, bucketBytes: number) {
    this.rank = comm.rank;
    this.size = comm.size;
    this.buckets = new GradientBuckets(network, comm, bucketBytes);
    const inBuckets = new Set(this.buckets.buckets.flatMap((b) => b.params.map((p) => p.name)));
    this.unbucketed = Object.keys(network.namedParams()).filter((k) => !inBuckets.has(k));
    this.hook = (layer) => {
      this.buckets.layerDone(layer);
      this.comm.poke();
    };
  }

  /** Bytes of gradient each rank hands to the allreduce per step. */
  get gradientBytes(): number {
    return this.buckets.bytes;
  }

  // ---- LoopParallel ------------------------------------------------------------------------------------------
  attach(rngs: { aug: Rng; net: Rng }): void {
    this.rngs = rngs;
    rngs.aug.setState(rankStream(rngs.aug.getState(), this.rank));
    rngs.net.setState(rankStream(rngs.net.getState(), this.rank));
  }

  shard(idx: Int32Array): Int32Array {
    const n = idx.length > this.rank ? Math.ceil((idx.length - this.rank) / this.size) : 0;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = idx[this.rank + i * this.size];
    return out;
  }

  gradient(local: LocalBatch | null, globalSize: number, stepper?: () => (names: Iterable<string>) => void): { loss: number; correct: number; total: number } {
    const net = this.network;
    const share = local ? local.x.shape[0] / globalSize : 0;
    const t0 = this.comm.stats().waitMs;
    this.buckets.begin(share);
    const c = this.control;
    c.fill(0);
    if (local) {
      // forward and loss, then the batch's loss/accuracy (and the stop vote) travel while backward runs
      const y = net.forward(local.x, true);
      const { correct, total } = countCorrect(local.kind, y.data, local.x.shape[0], local.t);
      net.lastLoss = net.lossLayer.forwardLoss(y, local.t, true, local.sw) + net.weightDecayLoss();
      c[0] = share * net.lastLoss;
      c[1] = correct;
      c[2] = total;
    }
    c[3] = this.localStop() ? 1 : 0;
    this.comm.startAllreduce(c, 1, 'batch loss, accuracy and stop vote');
    if (local) {
      net.backward(this.hook);
    } else {
      // no rows here (a short last batch): a zero gradient, still sent in the same buckets and order
      for (let i = net.layers.length - 2; i >= 0; i--) {
        for (const p of Object.values(net.layers[i].params())) p.grad.data.fill(0);
        this.buckets.layerDone(net.layers[i]);
      }
    }
    try {
      if (stepper) {
        // the optimizer step, bucket by bucket as the sums come in (then any parameter outside the buckets)
        const update = stepper();
        this.buckets.finish(update);
        update(this.unbucketed);
      } else {
        this.buckets.finish();
      }
    } catch (err) {
      (err as Error).message += ` (in training step ${this.stepStats.steps + 1} of this run)`;
      throw err;
    }
    this.stepStats.steps++;
    this.stepStats.waitMs += this.comm.stats().waitMs - t0;
    this.stepStats.bytes += this.buckets.bytes + c.byteLength;
    net.lastLoss = c[0];
    if (c[3] > 0) {
      this.gatherStreams();
      this.onStop();
    }
    return { loss: c[0], correct: c[1], total: c[2] };
  }

  /**
   * Collective: true (after calling onStop) when any rank asked to stop. Steps carry the vote themselves; this
   * one is for the epoch boundaries, where callbacks such as EarlyStopping ask.
   */
  agreeStop(): boolean {
    const v = new Float64Array([this.localStop() ? 1 : 0]);
    this.comm.allreduceSum(v, 'stop vote');
    if (v[0] === 0) return false;
    this.gatherStreams();
    this.onStop();
    return true;
  }

  evalRange(n: number): [number, number] {
    return [Math.floor((n * this.rank) / this.size), Math.floor((n * (this.rank + 1)) / this.size)];
  }

  reduceEval(correct: number, total: number, lossSum: number): [number, number, number] {
    const v = new Float64Array([correct, total, lossSum]);
    this.comm.allreduceSum(v, 'evaluation counts');
    return [v[0], v[1], v[2]];
  }

  epochEnd(epoch: number): void {
    const buffers = Object.values(this.network.namedBuffers());
    for (const b of buffers) {
      this.comm.startAllreduce(b.data, 1 / this.size, 'batch-normalization running averages');
    }
    if (buffers.length) this.comm.wait();
    this.checkWeights(`after epoch ${epoch + 1}`);
    this.gatherStreams();
  }

  streams(): ParallelStreams | null {
    return this.saved;
  }

  restore(saved: ParallelStreams | undefined): void {
    if (!this.rngs) return;
    if (saved) {
      if (saved.size !== this.size) {
        throw new RangeError(`checkpoint: expected a run of ${this.size} ranks (this job's world size), got a checkpoint of ${saved.size} ranks; resume with mpirun -np ${saved.size}`);
      }
      this.rngs.aug.setState(saved.streams[this.rank].augRng);
      this.rngs.net.setState(saved.streams[this.rank].netRng);
      this.saved = { size: saved.size, streams: saved.streams.map((s) => ({ augRng: { ...s.augRng }, netRng: { ...s.netRng } })) };
    } else {
      // a single-process checkpoint: rank 0 continues its streams, the others derive theirs from them
      this.rngs.aug.setState(rankStream(this.rngs.aug.getState(), this.rank));
      this.rngs.net.setState(rankStream(this.rngs.net.getState(), this.rank));
    }
  }

  // ---- start of a run ----------------------------------------------------------------------------------------
  /**
   * Collective, at the start of train()/fit(): compares the configuration of every rank and names what
   * differs, then copies rank 0's weights and buffers to every rank and checks the optimizer states agree.
   * @throws {Error} naming the differing settings and the ranks
   */
  start(settings: LoopSettings, optimizer: Optimizer, trainSize: number, position: { epoch: number; batch: number }): void {
    const net = this.network;
    const shapes = Object.entries(net.namedParams()).map(([k, p]) => `${k}[${p.value.shape.join(',')}]`).join(' ');
    const optState = optimizer.getState();
    const slots = Object.values(optState.slots).flatMap((s) => Object.values(s));
    const mine: Record<string, unknown> = {
      model: { type: net.type, config: net.config(), params: shapes },
      'world size': this.size,
      'training samples': trainSize,
      'batch size': settings.miniBatchSize,
      seed: settings.seed,
      epochs: settings.epochs,
      sampling: settings.sampling,
      optimizer: { name: optimizer.name, hyper: optState.hyper, t: optState.t },
      'optimizer state': sha256(slots),
      augment: settings.augment,
      'evaluation': { samples: settings.evaluateSampleNumPerEpoch, batch: settings.evalBatchSize },
      'class weights': settings.classWeights ? Array.from(settings.classWeights) : null,
      metrics: settings.metrics ?? null,
      'position (epoch, batch)': [position.epoch, position.batch],
      backend: net.backend.name,
    };
    const short: Record<string, string> = {};
    for (const [k, v] of Object.entries(mine)) short[k] = brief(v);
    const all = this.comm.allgather(encode(short, 'configuration'), 'configuration check').map((b) => decode(b) as Record<string, string>);
    const diffs: string[] = [];
    for (const k of Object.keys(short)) {
      const odd = all.map((c, r) => [r, c[k]] as const).filter(([, v]) => v !== all[0][k]);
      if (odd.length) diffs.push(`${k}: rank 0 has ${all[0][k]}, ${odd.map(([r, v]) => `rank ${r} has ${v}`).join(', ')}`);
    }
    if (diffs.length) {
      throw this.comm.error(`the ranks were started with different configurations (every rank must run the same command on the same data):\n  ${diffs.join('\n  ')}`);
    }
    for (const p of Object.values(net.namedParams())) this.comm.bcast(p.value.data, 0, 'initial weights from rank 0');
    for (const b of Object.values(net.namedBuffers())) this.comm.bcast(b.data, 0, 'initial buffers from rank 0');
    this.checkWeights('at the start');
    if (!this.saved) this.gatherStreams();
  }

  // ---- internals ---------------------------------------------------------------------------------------------
  /** Compares a hash of every rank's weights and buffers. @throws {Error} naming the ranks that differ */
  checkWeights(when: string): void {
    const net = this.network;
    const parts = [...Object.values(net.namedParams()).map((p) => p.value.data), ...Object.values(net.namedBuffers()).map((b) => b.data)];
    this.weightsHash = sha256(parts);
    const hashes = this.comm.allgather(Buffer.from(this.weightsHash, 'hex'), 'weights hash').map((b) => Buffer.from(b).toString('hex'));
    const odd = hashes.map((h, r) => [r, h] as const).filter(([, h]) => h !== hashes[0]);
    if (odd.length) {
      throw this.comm.error(`the weights of the ranks differ ${when}: rank 0 ${hashes[0].slice(0, 16)}, ${odd.map(([r, h]) => `rank ${r} ${h.slice(0, 16)}`).join(', ')}`);
    }
  }

  /** Every rank's augmentation and dropout stream position (for checkpoints written by rank 0). */
  private gatherStreams(): void {
    if (!this.rngs) return;
    const mine = { augRng: this.rngs.aug.getState(), netRng: this.rngs.net.getState() };
    const all = this.comm.allgather(encode(mine, 'random streams'), 'random stream positions');
    this.saved = { size: this.size, streams: all.map((b) => decode(b) as { augRng: RngState; netRng: RngState }) };
  }
}
