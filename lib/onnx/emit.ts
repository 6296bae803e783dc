/**
 * simdnet layers as ONNX nodes: one emitter per layer type, from an input value to an output value. Inference
 * semantics throughout (BatchNormalization with its running statistics, the book's Dropout as a multiply by
 * 1 − ratio). A graph network calls `emitLayer` for each of its nodes with the value names of its inputs.
 *
 *   Convolution          Conv (W[F, C, KH, KW], b[F]; strides, pads)
 *   Affine               (Flatten axis 1 when the input has rank > 2,) Gemm (W[D, M] as B, b as C)
 *   Pooling max | avg    MaxPool | AveragePool (count_include_pad 1: simdnet divides by poolH·poolW)
 *   GlobalAvgPool/Max    GlobalAveragePool | GlobalMaxPool
 *   Relu, Sigmoid, Tanh  Relu, Sigmoid, Tanh;  LeakyReLU: LeakyRelu (alpha)
 *   BatchNormalization   BatchNormalization (epsilon, momentum); axis 'feature' on a rank > 2 input:
 *                        Flatten, BatchNormalization, Reshape back
 *   Dropout              book: Mul by the scalar 1 − ratio; inverted: Identity (both marked for import)
 *   Flatten              Flatten (axis 1)
 *   Add                  Add (two inputs) or Sum (more)
 *   Concatenate          Concat (axis 1)
 *   ChannelPad           Pad (zeros on the channel axis)
 */
import type { Affine } from '../layers/affine';
import type { BatchNormalization } from '../layers/batchnorm';
import type { Convolution } from '../layers/conv';
import type { Dropout } from '../layers/dropout';
import type { Layer } from '../layers/layer';
import { MergeLayer } from '../layers/merge';
import type { LeakyReLU } from '../layers/activations';
import type { ChannelPad } from '../layers/pad';
import type { Pooling } from '../layers/pool';
import { LAYER_MARK, type OnnxBuilder, type Value } from './builder';

/** Book names of a layer's tensors (W → 'W3', running_mean → 'running_mean1', …). */
export type TensorNames = (layer: Layer, local: string) => string;

type Emitter = (b: OnnxBuilder, layer: Layer, x: Value, names: TensorNames, nodeName: string, xs: readonly Value[]) => string;

function weights(b: OnnxBuilder, layer: Layer, names: TensorNames, local: string): string {
  const p = layer.params()[local];
  return b.param(names(layer, local), p.value.shape, p.value.data);
}

function buffer(b: OnnxBuilder, layer: Layer, names: TensorNames, local: string): string {
  const t = layer.buffers()[local];
  return b.constant(names(layer, local), t.shape, t.data);
}

/** Marks the Flatten/Reshape nodes a layer needs internally (Affine, feature BatchNormalization): no layer of their own. */
export const IMPLICIT = `${LAYER_MARK}implicit`;

const EMITTERS: Record<string, Emitter> = {
  Convolution(b, layer, x, names, name) {
    const l = layer as Convolution;
    const attrs = { kernel_shape: [l.KH, l.KW], strides: [l.stride, l.stride], pads: [l.pad, l.pad, l.pad, l.pad] };
    const inputs = [x.name, weights(b, l, names, 'W')];
    if (l.bias) inputs.push(weights(b, l, names, 'b')); // bias: false (before a BatchNormalization): no B input
    return b.node('Conv', inputs, attrs, { name });
  },
  Affine(b, layer, x, names, name) {
    const input = x.shape.length > 2 ? b.node('Flatten', [x.name], { axis: 1 }, { name: `${name}_flatten`, doc: IMPLICIT }) : x.name;
    return b.node('Gemm', [input, weights(b, layer, names, 'W'), weights(b, layer, names, 'b')], {}, { name });
  },
  Pooling(b, layer, x, _names, name) {
    const l = layer as Pooling;
    const attrs: Record<string, number | number[]> = {
      kernel_shape: [l.poolH, l.poolW],
      strides: [l.stride, l.stride],
      pads: [l.pad, l.pad, l.pad, l.pad],
    };
    if (l.mode === 'avg') attrs.count_include_pad = 1;
    return b.node(l.mode === 'max' ? 'MaxPool' : 'AveragePool', [x.name], attrs, { name });
  },
  GlobalAvgPool: (b, _l, x, _n, name) => b.node('GlobalAveragePool', [x.name], {}, { name }),
  GlobalMaxPool: (b, _l, x, _n, name) => b.node('GlobalMaxPool', [x.name], {}, { name }),
  Relu: (b, _l, x, _n, name) => b.node('Relu', [x.name], {}, { name }),
  Sigmoid: (b, _l, x, _n, name) => b.node('Sigmoid', [x.name], {}, { name }),
  Tanh: (b, _l, x, _n, name) => b.node('Tanh', [x.name], {}, { name }),
  LeakyReLU: (b, l, x, _n, name) => b.node('LeakyRelu', [x.name], { alpha: { float: (l as LeakyReLU).config().alpha as number } }, { name }),
  BatchNormalization(b, layer, x, names, name) {
    const l = layer as BatchNormalization;
    const flatten = l.axis === 'feature' && x.shape.length > 2;
    const input = flatten ? b.node('Flatten', [x.name], { axis: 1 }, { name: `${name}_flatten`, doc: IMPLICIT }) : x.name;
    const inputs = [input, weights(b, l, names, 'gamma'), weights(b, l, names, 'beta'), buffer(b, l, names, 'running_mean'), buffer(b, l, names, 'running_var')];
    const y = b.node('BatchNormalization', inputs, { epsilon: { float: l.eps }, momentum: { float: l.momentum } }, { name });
    if (!flatten) return y;
    return b.node('Reshape', [y, b.ints(`${name}_shape`, [-1, ...x.shape.slice(1)])], {}, { name: `${name}_reshape`, doc: IMPLICIT });
  },
  Flatten: (b, _l, x, _n, name) => b.node('Flatten', [x.name], { axis: 1 }, { name }),
  Add: (b, _l, _x, _n, name, xs) => b.node(xs.length === 2 ? 'Add' : 'Sum', xs.map((v) => v.name), {}, { name }),
  Concatenate: (b, _l, _x, _n, name, xs) => b.node('Concat', xs.map((v) => v.name), { axis: 1 }, { name }),
  ChannelPad(b, layer, x, _names, name) {
    const l = layer as ChannelPad;
    return b.node('Pad', [x.name, b.ints(`${name}_pads`, [0, l.before, 0, 0, 0, l.after, 0, 0])], { mode: 'constant' }, { name });
  },
  Dropout(b, layer, x, _names, name) {
    const l = layer as Dropout;
    const doc = `${LAYER_MARK}Dropout ${JSON.stringify({ ratio: l.ratio, mode: l.mode })}`;
    if (l.mode === 'inverted') return b.node('Identity', [x.name], {}, { name, doc });
    const scale = b.constant(`${name}_scale`, [], Float32Array.of(1 - l.ratio));
    return b.node('Mul', [x.name, scale], {}, { name, doc });
  },
};

/** The layer types `emitLayer` handles. */
export const EXPORTABLE_LAYERS: readonly string[] = Object.freeze(Object.keys(EMITTERS));

/**
 * Adds the nodes of one (non-loss) layer reading `xs` (one value; several for Add and Concatenate); returns its
 * output value.
 * @throws {RangeError} a layer type with no ONNX form (naming the node and the layer)
 */
export function emitLayer(b: OnnxBuilder, layer: Layer, xs: readonly Value[], names: TensorNames, nodeName: string): Value {
  const emit = EMITTERS[layer.type];
  if (!emit) {
    throw new RangeError(`ONNX export: node '${nodeName}' (${layer.type}) has no ONNX form; exportable layers: ${EXPORTABLE_LAYERS.join(', ')}`);
  }
  const shape = layer instanceof MergeLayer ? layer.outputShapeMany(xs.map((v) => v.shape)) : layer.outputShape(xs[0].shape);
  return { name: emit(b, layer, xs[0], names, nodeName, xs), shape };
}
