/**
 * How a network runs at inference (forward with training false) where that differs from running its nodes one by
 * one: a Convolution → BatchNormalization(channel) pair folded into one convolution, and a residual block's last
 * convolution computing the shortcut sum (and the ReLU after it) in its epilogue. Network.forward reads the plan;
 * the folded weights are computed from the layers' current values at every inference forward (foldConvBatchNorm):
 * nothing is cached, so whatever changed the weights or the running statistics — an optimizer step, a load, a
 * training forward, a write to `.value.data` — the next inference sees it.
 *
 * The fold is W'[f] = W[f]·γ[f]/σ[f], b'[f] = (b[f] − μ[f])·γ[f]/σ[f] + β[f], σ = √(running_var + eps): the BN's
 * inference formula distributed over the convolution, so outputs equal the unfolded network's up to float32
 * rounding (not bit for bit). The residual sum is bit-identical to the Add and Relu layers after the (folded)
 * convolution. These convolutions run through Backend.convInferenceForward, which on the native backend takes
 * Winograd F(4x4, 3x3) where convPlan(...).inference says so (within its rounding).
 */
import { Relu } from '../layers/activations';
import { BatchNormalization } from '../layers/batchnorm';
import { Convolution } from '../layers/conv';
import { Add } from '../layers/merge';
import type { NetworkNode } from './network';

/** One convolution that runs differently at inference; node indices into Network.nodes. */
export interface ConvInference {
  /** The Convolution node. */
  conv: number;
  /** The BatchNormalization node folded into it, or -1. */
  bn: number;
  /** Whether the convolution applies a ReLU: its own fused one, the folded BN's, or the one after the Add. */
  relu: boolean;
  /** The Add node whose sum the convolution computes (the shortcut added in its epilogue), or -1. */
  add: number;
  /** The Add's other input (a node index, or -1 for the network input); meaningless when add is -1. */
  residual: number;
  /** The Relu node after the Add, applied in the epilogue, or -1. */
  addRelu: number;
  /** The node at which the op runs: the convolution's, or the Add's (its inputs are all computed by then). */
  at: number;
  /** The node whose output the op's output is. */
  out: number;
  /** The nodes that do not run (their outputs are absent from nodeOutputs() after an inference forward). */
  skipped: number[];
}

/**
 * The inference plan of a network's nodes: per node index, the ConvInference that runs there (`at`) or 'skip'.
 * `consumers[i]`: how many node inputs (and the loss layer) read node i. `fuse` (NetworkOptions.fuse): false plans
 * nothing — every node runs as written.
 */
export function inferencePlan(nodes: readonly NetworkNode[], consumers: readonly number[], fuse: boolean): (ConvInference | 'skip' | undefined)[] {
  const plan: (ConvInference | 'skip' | undefined)[] = new Array(nodes.length);
  if (!fuse) return plan;
  // the only reader of node i (one input edge, from a node that reads nothing else), or -1
  const onlyReader = (i: number): number => {
    if (consumers[i] !== 1) return -1;
    return nodes.findIndex((m) => m.inputs.includes(i));
  };
  const deferred = new Set<number>(); // Add nodes already claimed by one of their inputs' convolutions
  nodes.forEach((n, i) => {
    const conv = n.layer;
    if (!(conv instanceof Convolution)) return;
    let bn = -1;
    const r = onlyReader(i);
    if (r >= 0 && !conv.fusedRelu) {
      const l = nodes[r].layer;
      if (l instanceof BatchNormalization && l.axis === 'channel' && l.numFeatures === conv.filterNum && nodes[r].inputs.length === 1) bn = r;
    }
    const tail = bn >= 0 ? bn : i;
    const tailRelu = bn >= 0 ? (nodes[bn].layer as BatchNormalization).fusedRelu : conv.fusedRelu;
    // the residual sum: the tail's only reader an Add of two distinct inputs, no ReLU between
    let add = -1;
    let residual = -1;
    let addRelu = -1;
    const k = tailRelu ? -1 : onlyReader(tail);
    if (k >= 0 && nodes[k].layer instanceof Add && nodes[k].inputs.length === 2 && !deferred.has(k)) {
      const [a, b] = nodes[k].inputs;
      if (a !== b) {
        add = k;
        residual = a === tail ? b : a;
        const rr = onlyReader(k);
        if (rr >= 0 && nodes[rr].layer instanceof Relu && nodes[rr].inputs.length === 1) addRelu = rr;
      }
    }
    if (bn < 0 && add < 0) return; // runs as its node (with its fused Relu, or in a max-pool chain)
    if (add >= 0) deferred.add(add);
    const out = addRelu >= 0 ? addRelu : add >= 0 ? add : bn;
    const at = add >= 0 ? add : i;
    const group = [i, bn, add, addRelu].filter((j) => j >= 0);
    plan[at] = { conv: i, bn, relu: add >= 0 ? addRelu >= 0 : tailRelu, add, residual, addRelu, at, out, skipped: group.filter((j) => j !== at) };
    for (const j of group) if (j !== at) plan[j] = 'skip';
  });
  return plan;
}

/**
 * Writes the convolution with the BatchNormalization after it folded in: w[F·C·KH·KW] = W·γ/σ per filter,
 * b[F] = (b − μ)·γ/σ + β (σ = √(running_var + eps); the convolution's b is zero when it has no bias), from the
 * layers' current values. Float64 arithmetic, rounded once to float32.
 */
export function foldConvBatchNorm(conv: Convolution, bn: BatchNormalization, w: Float32Array, b: Float32Array): void {
  const W = conv.W.value.data;
  const cb = conv.b.value.data;
  const gamma = bn.gamma.value.data;
  const beta = bn.beta.value.data;
  const mean = bn.runningMean.data;
  const variance = bn.runningVar.data;
  const F = conv.filterNum;
  const per = W.length / F;
  for (let f = 0; f < F; f++) {
    const s = gamma[f] / Math.sqrt(variance[f] + bn.eps);
    const o = f * per;
    for (let k = 0; k < per; k++) w[o + k] = W[o + k] * s;
    b[f] = (cb[f] - mean[f]) * s + beta[f];
  }
}
