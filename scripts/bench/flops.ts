/**
 * Work per layer of a network at a given batch: FLOP of the GEMM-shaped layers (Convolution, Affine) and the
 * bytes the memory-bound ones (ReLU, pooling, dropout, softmax) must move at least.
 *
 *   Convolution x[N,C,H,W] -> y[N,F,OH,OW], W[F,C,KH,KW]:
 *     forward  2·N·F·C·KH·KW·OH·OW            (y = W·col; the bias add, N·F·OH·OW, is not counted)
 *     backward the same for dW, and again for dX unless the layer is first (needInputGrad false)
 *   Affine x[N,D] -> y[N,M]: forward 2·N·D·M; backward 2·N·D·M for dW, + 2·N·D·M for dX unless first.
 * Graph networks (ResNet) are walked node by node, in the network's topological order; Add, ChannelPad,
 * BatchNormalization and the other memory-bound nodes count the bytes they move.
 * The optimizer's update (Adam: ~10 flops per parameter) is left out of the step total: it is memory-bound and
 * small (DeepConvNet has ~0.1 M parameters).
 */
import type { Network } from '../../lib/nets';
import { Affine } from '../../lib/layers/affine';
import { Convolution } from '../../lib/layers/conv';
import { LossLayer } from '../../lib/layers/layer';

export interface LayerCost {
  /** e.g. "conv2 16→16 3×3 p1 @28×28" */
  name: string;
  type: string;
  inShape: number[];
  outShape: number[];
  fwdFlop: number;
  bwdFlop: number;
  /** Minimum bytes read + written (float32, int32 argmax, uint8 dropout masks). */
  fwdBytes: number;
  bwdBytes: number;
  /** true for Convolution/Affine (their time is compared with the FMA peak). */
  gemm: boolean;
  /** Convolutions: the geometry, for the native backend's convPlan. */
  conv?: { N: number; C: number; H: number; W: number; KH: number; KW: number; stride: number; pad: number; F: number; needDx: boolean };
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Costs of every node (the loss layer last), for inputs of shape [N, ...net.inputShape]. */
export function layerCosts(net: Network, N: number): LayerCost[] {
  const out: LayerCost[] = [];
  const counters = new Map<string, number>();
  const input = [N, ...net.inputShape];
  const shapes = net.outputShapesPerNode().map((s) => [N, ...s.slice(1)]);
  const graph = net.paramNaming === 'node';
  const steps = [
    ...net.nodes.map((n, i) => ({ layer: n.layer, name: n.name, inShapes: n.inputs.map((j) => (j < 0 ? input : shapes[j])), outShape: shapes[i] })),
    { layer: net.lossLayer as Network['layers'][number], name: 'loss', inShapes: [shapes[shapes.length - 1]], outShape: shapes[shapes.length - 1] },
  ];
  for (const { layer, name, inShapes, outShape } of steps) {
    const shape = inShapes[0];
    const idx = (counters.get(layer.type) ?? 0) + 1;
    counters.set(layer.type, idx);
    const nIn = inShapes.reduce((a, s) => a + size(s), 0);
    const nOut = size(outShape);
    const c: LayerCost = { name: graph ? name : `${layer.type.toLowerCase()}${idx}`, type: layer.type, inShape: shape, outShape, fwdFlop: 0, bwdFlop: 0, fwdBytes: 0, bwdBytes: 0, gemm: false };
    if (layer instanceof Convolution) {
      const [, C, H, W] = shape;
      const [, F, OH, OW] = outShape;
      const f = 2 * N * F * C * layer.KH * layer.KW * OH * OW;
      c.name = `${graph ? name : `conv${idx}`} ${C}→${F} ${layer.KH}×${layer.KW}${layer.stride > 1 ? ` s${layer.stride}` : ''} p${layer.pad} @${H}×${W}`;
      c.fwdFlop = f;
      c.bwdFlop = layer.needInputGrad ? 2 * f : f;
      c.fwdBytes = 4 * (nIn + nOut + F * C * layer.KH * layer.KW);
      c.bwdBytes = 4 * (nOut + nIn + (layer.needInputGrad ? nIn : 0) + 2 * F * C * layer.KH * layer.KW);
      c.gemm = true;
      c.conv = { N, C, H, W, KH: layer.KH, KW: layer.KW, stride: layer.stride, pad: layer.pad, F, needDx: layer.needInputGrad };
    } else if (layer instanceof Affine) {
      const D = layer.inputSize;
      const M = layer.outputSize;
      const f = 2 * N * D * M;
      c.name = `${graph ? name : `affine${idx}`} ${D}→${M}`;
      c.fwdFlop = f;
      c.bwdFlop = layer.needInputGrad ? 2 * f : f;
      c.fwdBytes = 4 * (N * D + N * M + D * M);
      c.bwdBytes = 4 * (N * M + N * D + (layer.needInputGrad ? N * D : 0) + 2 * D * M);
      c.gemm = true;
    } else if (layer.type === 'Pooling') {
      c.name = `${graph ? name : `pool${idx}`} @${shape[2]}×${shape[3]}`;
      c.fwdBytes = 4 * nIn + 8 * nOut; // x in; y and argmax out
      c.bwdBytes = 8 * nOut + 4 * nIn; // dy and argmax in; dx out (zero-filled)
    } else if (layer.type === 'Dropout') {
      c.fwdBytes = 9 * nIn; // x in; y and the uint8 mask out
      c.bwdBytes = 9 * nIn;
    } else if (layer.type === 'BatchNormalization') {
      c.fwdBytes = 12 * nIn; // x in; y and x̂ out
      c.bwdBytes = 12 * nIn; // dy and x̂ in; dx out
    } else if (layer.type === 'Add' || layer.type === 'Concatenate' || layer.type === 'ChannelPad') {
      c.fwdBytes = 4 * (nIn + nOut);
      c.bwdBytes = layer.type === 'Add' ? 0 : 4 * (nIn + nOut); // Add hands dout on as it is
    } else if (layer instanceof LossLayer) {
      c.name = 'softmax+loss';
      c.fwdBytes = 8 * nIn;
      c.bwdBytes = 8 * nIn;
    } else {
      c.fwdBytes = 8 * nIn; // elementwise: in, out
      c.bwdBytes = 12 * nIn; // dy and x (or y) in, dx out
    }
    out.push(c);
  }
  return out;
}

/** FLOP of one training step (forward + backward) and of one inference forward. */
export function stepFlop(costs: readonly LayerCost[]): { train: number; infer: number } {
  let train = 0;
  let infer = 0;
  for (const c of costs) {
    train += c.fwdFlop + c.bwdFlop;
    infer += c.fwdFlop;
  }
  return { train, infer };
}
