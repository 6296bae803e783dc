/**
 * Per-layer timing of one training step: the same work as `net.gradient(x, t)` + `opt.step(...)`, done as a
 * manual pass over `net.layers` so each layer's forward and backward call is timed on its own (median over
 * steps after warm-up). Backend calls are synchronous, so a call's wall time is its op's time.
 */
import type { Network } from '../../lib/nets';
import type { Optimizer } from '../../lib/optimizers';
import type { LossLayer } from '../../lib/layers/layer';
import type { Tensor } from '../../lib/tensor';
import { median, nowMs } from './timing';

export interface LayerTimes {
  /** per layer in net.layers order (the loss layer last: forwardLoss / backwardLoss) */
  fwdMs: number[];
  bwdMs: number[];
  optimizerMs: number;
  /** median of the per-step sums (forward + backward + optimizer) */
  stepMs: number;
}

export function timeLayers(net: Network, opt: Optimizer, x: Tensor, t: Int32Array, warmup: number, steps: number): LayerTimes {
  if (net.weightDecayLambda !== 0) throw new Error('timeLayers: expects weightDecayLambda 0 (as net.gradient without decay)');
  const L = net.layers.length;
  const loss = net.layers[L - 1] as LossLayer;
  const fwd: number[][] = net.layers.map(() => []);
  const bwd: number[][] = net.layers.map(() => []);
  const optT: number[] = [];
  const total: number[] = [];
  for (let s = 0; s < warmup + steps; s++) {
    const keep = s >= warmup;
    const f = new Array<number>(L);
    const b = new Array<number>(L);
    let y = x;
    for (let i = 0; i < L - 1; i++) {
      const t0 = nowMs();
      y = net.layers[i].forward(y, true);
      f[i] = nowMs() - t0;
    }
    let t0 = nowMs();
    net.lastLoss = loss.forwardLoss(y, t, true);
    f[L - 1] = nowMs() - t0;
    t0 = nowMs();
    let d = loss.backwardLoss(1);
    b[L - 1] = nowMs() - t0;
    for (let i = L - 2; i >= 0; i--) {
      const t1 = nowMs();
      d = net.layers[i].backward(d);
      b[i] = nowMs() - t1;
    }
    t0 = nowMs();
    opt.step(net.namedParams());
    const o = nowMs() - t0;
    if (!keep) continue;
    for (let i = 0; i < L; i++) {
      fwd[i].push(f[i]);
      bwd[i].push(b[i]);
    }
    optT.push(o);
    total.push(f.reduce((a, v) => a + v, 0) + b.reduce((a, v) => a + v, 0) + o);
  }
  return { fwdMs: fwd.map(median), bwdMs: bwd.map(median), optimizerMs: median(optT), stepMs: median(total) };
}

/**
 * Per-node timing of a graph network's training step (`net.gradient` + `opt.step`, the network's own loop): every
 * node's layer has its forward/backward (forwardMany/backwardMany for Add, Concatenate) wrapped with a timer, so
 * the times include nothing of the loop around them. Returns medians per node (the loss layer last), like
 * timeLayers.
 */
export function timeNodes(net: Network, opt: Optimizer, x: Tensor, t: Int32Array, warmup: number, steps: number): LayerTimes {
  const layers = [...net.nodes.map((n) => n.layer), net.lossLayer];
  const cur = { f: new Array<number>(layers.length).fill(0), b: new Array<number>(layers.length).fill(0) };
  const restore: (() => void)[] = [];
  layers.forEach((layer, i) => {
    const obj = layer as unknown as Record<string, unknown>;
    for (const [m, side] of [['forward', 'f'], ['forwardMany', 'f'], ['forwardLoss', 'f'], ['backward', 'b'], ['backwardMany', 'b'], ['backwardLoss', 'b']] as const) {
      const orig = obj[m];
      if (typeof orig !== 'function') continue;
      obj[m] = (...args: unknown[]) => {
        const t0 = nowMs();
        const r = (orig as (...a: unknown[]) => unknown).apply(layer, args);
        cur[side][i] += nowMs() - t0;
        return r;
      };
      restore.push(() => delete obj[m]);
    }
  });
  const fwd: number[][] = layers.map(() => []);
  const bwd: number[][] = layers.map(() => []);
  const optT: number[] = [];
  const total: number[] = [];
  try {
    for (let s = 0; s < warmup + steps; s++) {
      cur.f.fill(0);
      cur.b.fill(0);
      net.gradient(x, t);
      const t0 = nowMs();
      opt.step(net.namedParams());
      const o = nowMs() - t0;
      if (s < warmup) continue;
      layers.forEach((_, i) => {
        fwd[i].push(cur.f[i]);
        bwd[i].push(cur.b[i]);
      });
      optT.push(o);
      total.push(cur.f.reduce((a, v) => a + v, 0) + cur.b.reduce((a, v) => a + v, 0) + o);
    }
  } finally {
    restore.forEach((r) => r());
  }
  return { fwdMs: fwd.map(median), bwdMs: bwd.map(median), optimizerMs: median(optT), stepMs: median(total) };
}
