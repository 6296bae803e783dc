/**
 * Batch normalization folded into the convolution before it, for export and inspection: a Convolution whose only
 * reader is a per-channel BatchNormalization becomes one Convolution with
 *
 *   W'[f] = W[f] · γ[f] / σ[f],   b'[f] = (b[f] − μ[f]) · γ[f] / σ[f] + β[f],   σ = √(running_var + eps)
 *
 * (μ, running_var: the BN's running statistics), and the BN node goes. Where a ReLU follows, the network then fuses it
 * into the convolution's epilogue (NetworkOptions.fuse), so conv + BN + ReLU runs as one pass at inference.
 * Every network already folds these pairs by itself at inference (lib/nets/inference.ts, with the same arithmetic),
 * from its weights at each call; foldBatchNorm gives the folded network as a network of its own.
 */
import { invalidType } from '../validate';
import { BatchNormalization } from '../layers/batchnorm';
import { Convolution } from '../layers/conv';
import { Graph, graphNodeConfigs } from './graph';
import { foldConvBatchNorm } from './inference';
import { Network, type NetworkConfig } from './network';

/**
 * The network with every Convolution → BatchNormalization(axis 'channel') pair folded into one Convolution (with
 * bias), as a Graph of the same node names less the folded BN nodes. Its inference outputs equal the original's
 * (`predict(x)`, training false) up to float32 rounding; it is for inference and export, not for training (the
 * batch statistics of training mode are gone). Other nodes keep their weights and buffers.
 *
 * @example
 * const fast = foldBatchNorm(resnet);        // 19 fewer nodes for ResNet-20
 * fast.predict(x);                           // ≈ resnet.predict(x)
 * @throws {TypeError} net is not a Network
 */
export function foldBatchNorm(net: Network): Graph {
  if (!(net instanceof Network)) throw invalidType('net', 'a Network', net);
  const nodes = net.nodes;
  const readers = nodes.map(() => [] as number[]);
  nodes.forEach((n, i) => n.inputs.forEach((j) => j >= 0 && readers[j].push(i)));
  const last = nodes.length - 1;
  /** BN node index -> the convolution node index it folds into */
  const folded = new Map<number, number>();
  nodes.forEach((n, i) => {
    if (!(n.layer instanceof Convolution) || i === last || readers[i].length !== 1) return;
    const r = readers[i][0];
    const bn = nodes[r].layer;
    if (bn instanceof BatchNormalization && bn.axis === 'channel') folded.set(r, i);
  });
  const configs = graphNodeConfigs(nodes);
  const rename = (s: string) => {
    const k = nodes.findIndex((n) => n.name === s);
    return k >= 0 && folded.has(k) ? nodes[folded.get(k)!].name : s;
  };
  const targets = new Set([...folded.values()].map((ci) => nodes[ci].name));
  const kept = configs
    .filter((_, i) => !folded.has(i))
    .map((c) => ({ ...c, inputs: c.inputs.map(rename), layer: targets.has(c.name) ? { ...c.layer, bias: true } : c.layer }));
  const outName = rename(nodes[last].name);
  const cfg: NetworkConfig = {
    type: 'Graph', inputShape: [...net.inputShape], nodes: kept, output: outName, loss: net.lossLayer.config(),
    weightDecayLambda: net.weightDecayLambda, seed: net.seed,
  };
  const out = Graph.fromConfig(cfg, { backend: net.backend, fuse: net.fused });
  const byName = new Map(out.nodes.map((n) => [n.name, n.layer]));
  nodes.forEach((n, i) => {
    if (folded.has(i)) return;
    const dst = byName.get(n.name)!;
    const src = n.layer;
    const bnIndex = [...folded.entries()].find(([, ci]) => ci === i)?.[0];
    if (bnIndex === undefined) {
      for (const [k, p] of Object.entries(src.params())) dst.params()[k].value.data.set(p.value.data);
      for (const [k, b] of Object.entries(src.buffers())) dst.buffers()[k].data.set(b.data);
      return;
    }
    const d = dst as Convolution;
    foldConvBatchNorm(src as Convolution, nodes[bnIndex].layer as BatchNormalization, d.W.value.data, d.b.value.data);
  });
  return out;
}
