/**
 * Gradient buckets, as PyTorch's DistributedDataParallel forms them: the parameters are grouped, last layer
 * first (the order backward produces them), into buckets of whole layers of about `bucketBytes` each. During
 * backward, as soon as every layer of a bucket is done, a non-blocking sum-allreduce of the bucket's buffer starts
 * on the communication thread (native/dist/comm.h), so the gradients of the last layers travel while the first
 * layers' backward still runs. `finish()` waits for all of them. Every rank forms the same buckets and starts them
 * in the same order.
 *
 * No copies: each Param.grad becomes a view of its slice of the bucket buffer (as DDP's gradient_as_bucket_view),
 * so the layers write their gradients straight into the buckets and the sums land where the optimizer reads them.
 * The views stay after training (`net.gradients()` are the last step's averaged gradients, as before).
 */
import type { Layer, Param } from '../layers/layer';
import type { Network } from '../nets/network';
import { Tensor } from '../tensor';
import type { Communicator } from './communicator';

interface Bucket {
  /** Parameters in the bucket, with their offsets in `buf`. */
  params: { name: string; param: Param; offset: number }[];
  buf: Float32Array;
  /** Layers of the bucket still running their backward in this step. */
  waiting: number;
  /** Sequence number of this step's allreduce of the bucket (Communicator.startAllreduce). */
  seq: number;
  layers: number;
  label: string;
}

export class GradientBuckets {
  readonly buckets: Bucket[] = [];
  private readonly ofLayer = new Map<Layer, Bucket>();
  private scale = 1;
  private started = 0;

  constructor(net: Network, private readonly comm: Communicator, bucketBytes: number) {
    const names = new Map<Param, string>();
    for (const [k, p] of Object.entries(net.namedParams())) names.set(p, k);
    const placed = new Set<Param>();
    let cur: Bucket | null = null;
    let bytes = 0;
    for (let i = net.layers.length - 2; i >= 0; i--) { // the nodes' layers, in the order backward finishes them
      const layer = net.layers[i];
      const ps = Object.values(layer.params());
      if (ps.length === 0) continue;
      const shared = this.ofLayer.get(layer);
      if (shared) {
        shared.layers++; // a layer used by several nodes: its bucket waits for all of them
        continue;
      }
      if (!cur) {
        cur = { params: [], buf: new Float32Array(0), waiting: 0, seq: 0, layers: 0, label: '' };
        bytes = 0;
      }
      for (const p of ps) {
        if (placed.has(p)) {
          // its gradient would be a view of one bucket while another layer still writes it: refuse, do not race
          throw new Error(`simdnet distributed: parameter ${names.get(p) ?? '?'} belongs to two layers; data-parallel training needs each parameter in one layer (share the layer instead)`);
        }
        placed.add(p);
        cur.params.push({ name: names.get(p) ?? '?', param: p, offset: bytes / 4 });
        bytes += p.grad.size * 4;
      }
      cur.layers++;
      this.ofLayer.set(layer, cur);
      if (bytes >= bucketBytes) {
        this.close(cur, bytes);
        cur = null;
      }
    }
    if (cur) this.close(cur, bytes);
  }

  private close(b: Bucket, bytes: number): void {
    b.buf = new Float32Array(bytes / 4);
    for (const { param, offset } of b.params) {
      // the gradient moves into the bucket (its current values with it): the layers write there from now on
      const view = b.buf.subarray(offset, offset + param.grad.size);
      view.set(param.grad.data);
      param.grad = new Tensor(view, param.grad.shape);
    }
    b.label = `gradient bucket ${this.buckets.length + 1} (${b.params.map((p) => p.name).join(', ')})`;
    this.buckets.push(b);
  }

  /** Bytes of gradient per step (what each rank hands to the allreduce). */
  get bytes(): number {
    return this.buckets.reduce((s, b) => s + b.buf.byteLength, 0);
  }

  /** Starts a step: each rank's gradient is multiplied by `scale` (its share of the global batch) before the sum. */
  begin(scale: number): void {
    this.scale = scale;
    this.started = 0;
    for (const b of this.buckets) b.waiting = b.layers;
  }

  /** Network.backward's hook: the layer's gradients are final. */
  layerDone(layer: Layer): void {
    const b = this.ofLayer.get(layer);
    if (!b) return;
    if (--b.waiting === 0) this.launch(b);
  }

  private launch(b: Bucket): void {
    b.seq = this.comm.startAllreduce(b.buf, this.scale, b.label);
    this.started++;
  }

  /**
   * Waits for every bucket: then every Param.grad (a view of its bucket) holds the sum over the ranks. With `update`
   * (an Optimizer.stepper), each bucket's parameters are updated as soon as its sum is in, in the order the buckets
   * started, while the later ones still travel (on a rank that finished backward first, in the time it waits for
   * the other's last buckets); a poke after each update gives those a progress round. The update is per parameter,
   * so the weights are bit-identical to one optimizer step after the wait.
   */
  finish(update?: (names: string[]) => void): void {
    if (this.started !== this.buckets.length) {
      // Every layer with parameters runs its backward, so this does not happen; if it did, the buckets would
      // start out of order on this rank only, so fail instead of mixing up gradients between ranks.
      throw this.comm.error(`${this.buckets.length - this.started} gradient bucket(s) never became ready during backward`);
    }
    if (update) {
      for (const b of this.buckets) {
        this.comm.waitFor(b.seq);
        update(b.params.map((p) => p.name));
        this.comm.poke();
      }
    }
    this.comm.wait();
  }
}
