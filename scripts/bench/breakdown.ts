/**
 * Per-layer timing of one training step, in the network's own loop (so the fusions it makes are what is timed).
 */
import type { Network } from '../../lib/nets';
import type { Optimizer } from '../../lib/optimizers';
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

/**
 * Per-node timing of a network's training step (`net.gradient` + `opt.step`, the network's own loop): every
 * node's layer has its forward/backward (forwardMany/backwardMany/backwardManySum for Add, Concatenate) wrapped with a timer, so
 * the times include nothing of the loop around them. Returns medians per node (the loss layer last).
 */
export function timeNodes(net: Network, opt: Optimizer, x: Tensor, t: Int32Array, warmup: number, steps: number): LayerTimes {
  const layers = [...net.nodes.map((n) => n.layer), net.lossLayer];
  const cur = { f: new Array<number>(layers.length).fill(0), b: new Array<number>(layers.length).fill(0) };
  const restore: (() => void)[] = [];
  layers.forEach((layer, i) => {
    const obj = layer as unknown as Record<string, unknown>;
    // forwardMaxPool/backwardMaxPool: a Convolution's forward/backward with its max pool's inside (the pool's own then does not run)
    for (const [m, side] of [['forward', 'f'], ['forwardMany', 'f'], ['forwardMaxPool', 'f'], ['forwardLoss', 'f'], ['backward', 'b'], ['backwardMany', 'b'], ['backwardManySum', 'b'], ['backwardMaxPool', 'b'], ['backwardLoss', 'b']] as const) {
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

export interface InferenceTimes {
  /** per node: median ms of its layer's calls in one inference forward (0 for nodes that ran inside another's op) */
  nodeMs: number[];
  /** per node: how it ran — the layer type, or the fused op's description ('Convolution + BN folded + Add + ReLU') */
  kind: string[];
  /** median of the whole inference forward (net.forward(x, false)): the nodes plus the loop and the BN folding */
  forwardMs: number;
}

/**
 * Per-node timing of an inference forward (`net.forward(x, false)`, the network's own loop with its folded and fused
 * steps): every node's layer has its forward methods wrapped with a timer (forwardInference: the folded or
 * residual convolution; forwardMaxPool/forwardConvMaxPool: the pool chains), medians over `steps` forwards after
 * `warmup`. The whole forward is timed too (its excess over the nodes: the loop and the per-call BN folding).
 */
export function timeInference(net: Network, x: Tensor, warmup: number, steps: number): InferenceTimes {
  const layers = net.nodes.map((n) => n.layer);
  const cur = new Array<number>(layers.length).fill(0);
  const kind = layers.map((l) => l.type);
  const restore: (() => void)[] = [];
  layers.forEach((layer, i) => {
    const obj = layer as unknown as Record<string, unknown>;
    for (const m of ['forward', 'forwardMany', 'forwardInference', 'forwardMaxPool', 'forwardConvMaxPool']) {
      const orig = obj[m];
      if (typeof orig !== 'function') continue;
      obj[m] = (...args: unknown[]) => {
        const t0 = nowMs();
        const r = (orig as (...a: unknown[]) => unknown).apply(layer, args);
        cur[i] += nowMs() - t0;
        if (m === 'forwardInference') kind[i] = `Convolution (inference: fused${args[4] ? ' + Add' : ''}${args[3] ? ' + ReLU' : ''})`;
        else if (m === 'forwardMaxPool') kind[i] = 'Convolution (+ max pool)';
        else if (m === 'forwardConvMaxPool') kind[i] = 'Convolution (VGG block)';
        return r;
      };
      restore.push(() => delete obj[m]);
    }
  });
  const per: number[][] = layers.map(() => []);
  const whole: number[] = [];
  try {
    for (let s = 0; s < warmup + steps; s++) {
      cur.fill(0);
      const t0 = nowMs();
      net.forward(x, false);
      const t = nowMs() - t0;
      if (s < warmup) continue;
      whole.push(t);
      cur.forEach((v, i) => per[i].push(v));
    }
  } finally {
    restore.forEach((r) => r());
  }
  return { nodeMs: per.map(median), kind, forwardMs: median(whole) };
}
