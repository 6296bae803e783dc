/**
 * Gradient buckets (lib/dist/buckets.ts) without MPI, on a recording stand-in for the Communicator: buckets hold
 * whole layers, last layer first; a bucket's allreduce starts as soon as its layers' backward is done, i.e. while
 * the earlier layers' backward still has to run (the overlap DDP gets); finish() waits once; the gradients are views of
 * the bucket buffers, so backward writes into the buckets and the sums land in Param.grad with no copy either way.
 */
import { GradientBuckets } from '../../lib/dist/buckets';
import type { Communicator } from '../../lib/dist/communicator';
import { MultiLayerNet } from '../../lib/nets/multi_layer_net';
import { Tensor } from '../../lib/tensor';

function recorder(events: string[]) {
  const started: Float32Array[] = [];
  const comm = {
    startAllreduce(buf: Float32Array, scale: number, label: string) {
      events.push(`start ${label} ×${scale}`);
      started.push(buf);
    },
    wait() {
      events.push('wait');
      for (const b of started) for (let i = 0; i < b.length; i++) b[i] *= 3; // as if 3 ranks sent the same values
    },
    error: (m: string) => new Error(m),
  };
  return comm as unknown as Communicator;
}

describe('gradient buckets', () => {
  const net = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5, 4], outputSize: 3, seed: 1, weightDecayLambda: 0.1 });
  const x = new Tensor(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), [4, 6]);
  const t = new Int32Array([0, 1, 2, 1]);

  it('start during backward, last layer first, whole layers per bucket; finish writes the sums back', () => {
    const events: string[] = [];
    const buckets = new GradientBuckets(net, recorder(events), 4); // 4 bytes: one layer per bucket
    expect(buckets.buckets.map((b) => b.params.map((p) => p.name))).toEqual([['W3', 'b3'], ['W2', 'b2'], ['W1', 'b1']]);
    const first = net.layers[0];
    const orig = first.backward.bind(first);
    first.backward = (d: Tensor) => {
      events.push('backward of the first layer');
      return orig(d);
    };
    net.loss(x, t, true);
    buckets.begin(0.5);
    net.backward((l) => buckets.layerDone(l));
    const before = Object.fromEntries(Object.entries(net.namedParams()).map(([k, p]) => [k, p.grad.data.slice()]));
    buckets.finish(); // the stand-in's "sum over 3 ranks" is 3 × the copy (the scale is applied by the comm thread)
    first.backward = orig;
    expect(events).toEqual([
      'start gradient bucket 1 (W3, b3) ×0.5',
      'start gradient bucket 2 (W2, b2) ×0.5',
      'backward of the first layer',
      'start gradient bucket 3 (W1, b1) ×0.5',
      'wait',
    ]);
    for (const [k, p] of Object.entries(net.namedParams())) p.grad.data.forEach((v, i) => expect(v).toBe(Math.fround(before[k][i] * 3)));
  });

  it('each Param.grad is a view of its slice of its bucket: backward writes into the bucket, no copy in or out', () => {
    const fresh = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5, 4], outputSize: 3, seed: 1, weightDecayLambda: 0.1 });
    const params = Object.entries(fresh.namedParams());
    for (const [, p] of params) p.grad.data.forEach((_, i, a) => (a[i] = i + 0.5)); // values that must move along
    const held = Object.fromEntries(params.map(([k, p]) => [k, p.grad.data.slice()]));
    const started: Float32Array[] = [];
    const comm = {
      startAllreduce(buf: Float32Array) {
        started.push(buf.slice()); // what the allreduce is handed, at the moment it starts
      },
      wait() {},
      error: (m: string) => new Error(m),
    } as unknown as Communicator;
    const buckets = new GradientBuckets(fresh, comm, 64);
    expect(buckets.buckets.length).toBeGreaterThan(1);
    for (const b of buckets.buckets) {
      for (const { name, param, offset } of b.params) {
        expect(param.grad.data.buffer).toBe(b.buf.buffer);
        expect(param.grad.data.byteOffset).toBe(b.buf.byteOffset + offset * 4);
        expect(param.grad.data.length).toBe(param.value.size);
        expect(param.grad.shape).toEqual(param.value.shape);
        expect(Array.from(param.grad.data)).toEqual(Array.from(held[name]));
      }
    }
    fresh.loss(x, t, true);
    buckets.begin(1);
    fresh.backward((l) => buckets.layerDone(l));
    buckets.finish();
    // the buffers handed to the allreduce held this step's gradients (not the values from before backward)
    const again = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5, 4], outputSize: 3, seed: 1, weightDecayLambda: 0.1 });
    again.loss(x, t, true);
    again.backward();
    buckets.buckets.forEach((b, j) => {
      for (const { name, offset, param } of b.params) {
        const want = Array.from(again.namedParams()[name].grad.data);
        expect(Array.from(started[j].subarray(offset, offset + param.grad.size))).toEqual(want);
        expect(Array.from(param.grad.data)).toEqual(want);
      }
    });
  });

  it('finish(update): each bucket is updated as soon as its own sum is in, in launch order, the later ones still travelling', () => {
    const fresh = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5, 4], outputSize: 3, seed: 1, weightDecayLambda: 0.1 });
    const events: string[] = [];
    const started: Float32Array[] = [];
    let summed = 0; // collectives completed by the stand-in (in order): 1..summed are in
    const comm = {
      startAllreduce(buf: Float32Array, _scale: number, label: string) {
        started.push(buf);
        events.push(`start ${label.slice(0, 17)}`);
        return started.length;
      },
      waitFor(seq: number) {
        events.push(`waitFor ${seq}`);
        for (; summed < seq; summed++) started[summed].forEach((v, i, a) => (a[i] = v * 3));
      },
      wait() {
        events.push('wait');
        for (; summed < started.length; summed++) started[summed].forEach((v, i, a) => (a[i] = v * 3));
      },
      poke() {
        events.push('poke');
      },
      error: (m: string) => new Error(m),
    } as unknown as Communicator;
    const buckets = new GradientBuckets(fresh, comm, 4);
    fresh.loss(x, t, true);
    buckets.begin(1);
    fresh.backward((l) => buckets.layerDone(l));
    const local = Object.fromEntries(Object.entries(fresh.namedParams()).map(([k, p]) => [k, p.grad.data.slice()]));
    const g = fresh.namedParams();
    buckets.finish((names) => {
      events.push(`update ${names.join(',')}`);
      // this bucket's sum is in; the next bucket's is not yet
      for (const n of names) g[n].grad.data.forEach((v, i) => expect(v).toBe(Math.fround(local[n][i] * 3)));
      const next = buckets.buckets.findIndex((b) => b.params.some((p) => p.name === names[0])) + 1;
      for (const p of buckets.buckets[next]?.params ?? []) expect(Array.from(p.param.grad.data)).toEqual(Array.from(local[p.name]));
    });
    expect(events).toEqual([
      'start gradient bucket 1', 'start gradient bucket 2', 'start gradient bucket 3',
      'waitFor 1', 'update W3,b3', 'poke', 'waitFor 2', 'update W2,b2', 'poke', 'waitFor 3', 'update W1,b1', 'poke', 'wait',
    ]);
  });

  it('with a large bucket size, one bucket starts when the first layer is done', () => {
    const events: string[] = [];
    const buckets = new GradientBuckets(net, recorder(events), 1 << 20);
    expect(buckets.buckets).toHaveLength(1);
    expect(buckets.bytes).toBe(net.paramCount() * 4);
    net.loss(x, t, true);
    buckets.begin(1);
    net.backward((l) => buckets.layerDone(l));
    expect(events).toEqual(['start gradient bucket 1 (W3, b3, W2, b2, W1, b1) ×1']);
  });

  it('a parameter returned by two layers is refused (its bucket view would race with the other layer)', () => {
    const twin = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [6], outputSize: 6, seed: 1 });
    const [a, , c] = twin.layers as unknown as { params(): Record<string, unknown>; W: unknown }[];
    c.params = () => ({ W: a.params().W }); // the last Affine hands out the first one's W
    expect(() => new GradientBuckets(twin, recorder([]), 4)).toThrow(/parameter \S+ belongs to two layers/);
  });

  it('a bucket that never became ready is an error, not a silent mix-up between ranks', () => {
    const buckets = new GradientBuckets(net, recorder([]), 4);
    buckets.begin(1);
    buckets.layerDone(net.layers[net.layers.length - 2]);
    expect(() => buckets.finish()).toThrow(/2 gradient bucket\(s\) never became ready during backward/);
  });
});
