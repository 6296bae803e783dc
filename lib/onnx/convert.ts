/**
 * ONNX nodes as simdnet layers: one converter per supported op. Each reads only the attributes it knows, refuses
 * every other attribute and every value simdnet's layer would compute differently (naming the node, the op and
 * what is supported), and tracks two shapes (batch as 1): the ONNX value's `shape`, and `actual`, the simdnet
 * tensor's shape — they differ after a Flatten, which simdnet needs no layer for (Affine and feature-axis
 * BatchNormalization read a 4-D input as [N, C·H·W]).
 */
import { LeakyReLU, Relu, Sigmoid, Tanh } from '../layers/activations';
import { Affine } from '../layers/affine';
import { BatchNormalization } from '../layers/batchnorm';
import { Convolution } from '../layers/conv';
import { Dropout } from '../layers/dropout';
import type { Layer } from '../layers/layer';
import { ChannelPad } from '../layers/pad';
import { GlobalAvgPool, GlobalMaxPool, Pooling } from '../layers/pool';
import { LAYER_MARK } from './builder';
import { IMPLICIT } from './emit';
import { Flatten } from '../layers/flatten';
import { toInt, type AttributeProto, type NodeProto } from './proto';

/** A constant (initializer or folded Constant/Cast) as the converters see it. */
export interface Const {
  dims: number[];
  data: Float32Array | null;
  ints: number[] | null;
  /** Per entry of `ints`: true where it is the batch size, folded from a Shape node (lib/onnx/constfold.ts). */
  batch?: boolean[];
}

/** The value flowing along the chain: its ONNX shape and the simdnet tensor's shape (batch as 1). */
export interface Flow {
  shape: number[];
  actual: number[];
  /** Zero padding of H and W from a Pad node, for the next Conv or AveragePool to take as its own. */
  pad?: number;
  /** Strides of a subsampling Slice of H alone or W alone, waiting for the Slice of the other axis. */
  sub?: { h: number; w: number };
}

export interface ConvertContext {
  node: NodeProto;
  /** The node's label for messages: `node 'conv1' (Conv)`. */
  label: string;
  /** The constant an input names (null when it is the data input or absent). */
  constant(name: string | undefined): Const | null;
  /** The simdnet layers made so far (MatMul + Add fold the bias into the last Affine). */
  layers: Layer[];
  flow: Flow;
}

export type Converter = (c: ConvertContext) => { layers: Layer[]; flow: Flow };

const ATTR_TYPES: Record<number, string> = { 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 5: 'GRAPH', 6: 'FLOATS', 7: 'INTS', 8: 'STRINGS' };

/** The node's attributes, each checked against `allowed` (name → type: 'f' | 'i' | 's' | 'ints' | 't'). */
function attrs(c: ConvertContext, allowed: Record<string, 'f' | 'i' | 's' | 'ints' | 't'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of c.node.attribute ?? []) {
    const name = a.name ?? '';
    const kind = allowed[name];
    if (kind === undefined) {
      const known = Object.keys(allowed);
      throw unsupported(c, `attribute '${name}' is not supported (supported: ${known.length ? known.join(', ') : 'none'})`);
    }
    if (a.refAttrName) throw unsupported(c, `attribute '${name}' refers to a function attribute`);
    out[name] = attrValue(c, a, kind);
  }
  return out;
}

function attrValue(c: ConvertContext, a: AttributeProto, kind: string): unknown {
  const t = a.type ?? 0;
  const want = { f: 1, i: 2, s: 3, t: 4, ints: 7 }[kind];
  if (t !== want) throw unsupported(c, `attribute '${a.name}' has type ${ATTR_TYPES[t] ?? t}, expected ${ATTR_TYPES[want!]}`);
  if (kind === 'f') return shortestDecimal(a.f ?? 0);
  if (kind === 'i') return toInt(a.i, `${c.label} attribute '${a.name}'`);
  if (kind === 's') return Buffer.from(a.s ?? new Uint8Array(0)).toString('utf8');
  if (kind === 't') return a.t;
  return (a.ints ?? []).map((v, i) => toInt(v, `${c.label} attribute '${a.name}'[${i}]`));
}

/**
 * The shortest decimal that rounds to the same float32 (ONNX float attributes are float32: an epsilon of 1e-6 is
 * stored as 9.99999997e-7 and comes back as 1e-6, so an exported network re-imports with the same options).
 */
function shortestDecimal(f: number): number {
  for (let p = 1; p <= 9; p++) {
    const v = Number(f.toPrecision(p));
    if (Math.fround(v) === Math.fround(f)) return v;
  }
  return f;
}

export function unsupported(c: { label: string }, what: string): RangeError {
  return new RangeError(`ONNX import: ${c.label}: ${what}`);
}

function allEqual(c: ConvertContext, name: string, v: number[] | undefined, count: number, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (v.length !== count) throw unsupported(c, `'${name}' has ${v.length} values, expected ${count}`);
  if (!v.every((d) => d === v[0])) throw unsupported(c, `'${name}' [${v.join(', ')}]: simdnet supports ${what} only`);
  return v[0];
}

function onlyOutput(c: ConvertContext): void {
  if ((c.node.output ?? []).filter((o) => o !== '').length > 1) {
    throw unsupported(c, `only its first output is supported (it has ${c.node.output!.length}: ${c.node.output!.join(', ')})`);
  }
}

function weight(c: ConvertContext, index: number, what: string, rank?: number): Const & { data: Float32Array } {
  const name = (c.node.input ?? [])[index];
  const k = c.constant(name);
  if (!k || !k.data) throw unsupported(c, `input ${index} (${what}) must be a float constant (an initializer), got ${name ? `'${name}'` : 'none'}`);
  if (rank !== undefined && k.dims.length !== rank) throw unsupported(c, `${what} has dims [${k.dims.join(', ')}], expected rank ${rank}`);
  return k as Const & { data: Float32Array };
}

function optionalWeight(c: ConvertContext, index: number, what: string, size: number): Float32Array | null {
  const name = (c.node.input ?? [])[index];
  if (!name) return null;
  const k = weight(c, index, what);
  const n = k.dims.reduce((a, d) => a * d, 1);
  if (n !== size || k.dims.filter((d) => d !== 1).length > 1) throw unsupported(c, `${what} has dims [${k.dims.join(', ')}], expected [${size}]`);
  return k.data;
}

function requireRank(c: ConvertContext, rank: number, what: string): void {
  if (c.flow.shape.length !== rank) throw unsupported(c, `its input has shape [N, ${c.flow.shape.slice(1).join(', ')}]; expected ${what}`);
  if (c.flow.actual.length !== rank) throw unsupported(c, `its input is a flattened value; expected ${what}`);
}

function next(layer: Layer | null, c: ConvertContext, shape?: number[]): { layers: Layer[]; flow: Flow } {
  if (!layer) return { layers: [], flow: { shape: shape ?? c.flow.shape, actual: c.flow.actual } };
  const actual = layer.outputShape(c.flow.actual);
  return { layers: [layer], flow: { shape: shape ?? actual, actual } }; // any pending Pad was taken by this layer
}

/** A Pad node's zero padding taken over by this node (whose own pads must then be 0). */
function withPendingPad(c: ConvertContext, own: number): number {
  if (!c.flow.pad) return own;
  if (own !== 0) throw unsupported(c, 'padding of its own after a Pad node is not supported');
  return c.flow.pad;
}

function window(c: ConvertContext, a: Record<string, unknown>): { kh: number; kw: number; stride: number; pad: number } {
  const k = a.kernel_shape as number[] | undefined;
  if (!k || k.length !== 2) throw unsupported(c, `'kernel_shape' must give 2 sizes (2-D pooling), got ${k ? `[${k.join(', ')}]` : 'none'}`);
  if (a.auto_pad !== undefined && a.auto_pad !== 'NOTSET' && a.auto_pad !== 'VALID') throw unsupported(c, `auto_pad '${a.auto_pad}' is not supported (NOTSET or VALID)`);
  if ((a.ceil_mode ?? 0) !== 0) throw unsupported(c, 'ceil_mode 1 is not supported (simdnet rounds output sizes down)');
  allEqual(c, 'dilations', a.dilations as number[] | undefined, 2, 1, 'dilation 1');
  if (a.dilations !== undefined && (a.dilations as number[])[0] !== 1) throw unsupported(c, 'dilations other than 1 are not supported');
  const stride = allEqual(c, 'strides', a.strides as number[] | undefined, 2, 1, 'equal strides');
  const pad = allEqual(c, 'pads', a.pads as number[] | undefined, 4, 0, 'equal padding on all sides');
  if (a.auto_pad === 'VALID' && pad !== 0) throw unsupported(c, 'auto_pad VALID with pads is contradictory');
  return { kh: k[0], kw: k[1], stride, pad };
}

const elementwise = (make: () => Layer, allowed: Record<string, 'f'> = {}): Converter => (c) => {
  attrs(c, allowed);
  return next(make(), c, c.flow.shape);
};

export const CONVERTERS: Record<string, Converter> = {
  Conv(c) {
    const a = attrs(c, { kernel_shape: 'ints', strides: 'ints', pads: 'ints', dilations: 'ints', group: 'i', auto_pad: 's' });
    requireRank(c, 4, '[N, C, H, W]');
    const W = weight(c, 1, 'W', 4);
    const [F, C, KH, KW] = W.dims;
    if ((a.group ?? 1) !== 1) throw unsupported(c, `group ${a.group} is not supported (group 1 only)`);
    if (a.auto_pad !== undefined && a.auto_pad !== 'NOTSET' && a.auto_pad !== 'VALID') throw unsupported(c, `auto_pad '${a.auto_pad}' is not supported (NOTSET or VALID)`);
    const ks = a.kernel_shape as number[] | undefined;
    if (ks && (ks.length !== 2 || ks[0] !== KH || ks[1] !== KW)) throw unsupported(c, `kernel_shape [${ks.join(', ')}] differs from W's [${KH}, ${KW}]`);
    const dil = a.dilations as number[] | undefined;
    if (dil && !dil.every((d) => d === 1)) throw unsupported(c, `dilations [${dil.join(', ')}] are not supported (1 only)`);
    const stride = allEqual(c, 'strides', a.strides as number[] | undefined, 2, 1, 'equal strides');
    const pad = withPendingPad(c, allEqual(c, 'pads', a.pads as number[] | undefined, 4, 0, 'equal padding on all sides'));
    if (C !== c.flow.shape[1]) throw unsupported(c, `W has ${C} input channels, its input has ${c.flow.shape[1]}`);
    const bias = optionalWeight(c, 2, 'B', F);
    const layer = new Convolution(C, F, KH === KW ? KH : [KH, KW], { stride, pad, initialize: false, bias: bias !== null });
    layer.W.value.data.set(W.data);
    if (bias) layer.b.value.data.set(bias);
    return next(layer, c);
  },
  MaxPool(c) {
    const a = attrs(c, { kernel_shape: 'ints', strides: 'ints', pads: 'ints', dilations: 'ints', ceil_mode: 'i', auto_pad: 's', storage_order: 'i' });
    onlyOutput(c);
    requireRank(c, 4, '[N, C, H, W]');
    const w = window(c, a);
    return next(new Pooling(w.kh, w.kw, { stride: w.stride, pad: w.pad, mode: 'max' }), c);
  },
  AveragePool(c) {
    const a = attrs(c, { kernel_shape: 'ints', strides: 'ints', pads: 'ints', dilations: 'ints', ceil_mode: 'i', auto_pad: 's', count_include_pad: 'i' });
    requireRank(c, 4, '[N, C, H, W]');
    const w = window(c, a);
    if (c.flow.pad) {
      // Pad (zeros) + AveragePool, as PyTorch exports count_include_pad=True: the zeros count in every window
      w.pad = withPendingPad(c, w.pad);
    } else if (w.pad > 0 && (a.count_include_pad ?? 0) !== 1) {
      throw unsupported(c, 'count_include_pad 0 with padding is not supported (simdnet divides every window by its full size: count_include_pad 1)');
    }
    return next(new Pooling(w.kh, w.kw, { stride: w.stride, pad: w.pad, mode: 'avg' }), c);
  },
  GlobalAveragePool(c) {
    attrs(c, {});
    requireRank(c, 4, '[N, C, H, W]');
    return next(new GlobalAvgPool(), c);
  },
  GlobalMaxPool(c) {
    attrs(c, {});
    requireRank(c, 4, '[N, C, H, W]');
    return next(new GlobalMaxPool(), c);
  },
  Gemm(c) {
    const a = attrs(c, { alpha: 'f', beta: 'f', transA: 'i', transB: 'i' });
    if ((a.alpha ?? 1) !== 1) throw unsupported(c, `alpha ${a.alpha} is not supported (1 only)`);
    if ((a.transA ?? 0) !== 0) throw unsupported(c, 'transA 1 is not supported');
    if (c.flow.shape.length !== 2) throw unsupported(c, `its input has shape [N, ${c.flow.shape.slice(1).join(', ')}]; Gemm takes [N, K]`);
    const B = weight(c, 1, 'B', 2);
    const transB = a.transB ?? 0;
    const [K, M] = transB ? [B.dims[1], B.dims[0]] : B.dims;
    const bias = optionalWeight(c, 2, 'C', M);
    if (bias && (a.beta ?? 1) !== 1) throw unsupported(c, `beta ${a.beta} is not supported (1 only)`);
    return affine(c, K, M, B.data, transB === 1, bias);
  },
  MatMul(c) {
    attrs(c, {});
    if (c.flow.shape.length !== 2) throw unsupported(c, `its input has shape [N, ${c.flow.shape.slice(1).join(', ')}]; simdnet supports MatMul of [N, K] by a constant [K, M]`);
    const B = weight(c, 1, 'B', 2);
    return affine(c, B.dims[0], B.dims[1], B.data, false, null);
  },
  Add(c) {
    // only as MatMul's bias: Add(MatMul output, constant [M]) right after a MatMul
    attrs(c, {});
    const last = c.layers[c.layers.length - 1];
    const fromMatMul = last instanceof Affine && (last as Affine & { fromMatMul?: boolean }).fromMatMul === true;
    const M = c.flow.shape[1];
    const inputs = c.node.input ?? [];
    const ci = c.constant(inputs[0]) ? 0 : 1;
    if (!fromMatMul || c.flow.shape.length !== 2 || !c.constant(inputs[ci])) {
      throw unsupported(c, 'Add is supported only as the bias of a MatMul (a constant [M] added right after it); residual Add needs graph networks');
    }
    const bias = optionalWeight(c, ci, 'bias', M)!;
    const b = (last as Affine).b.value.data;
    for (let i = 0; i < M; i++) b[i] += bias[i];
    (last as Affine & { fromMatMul?: boolean }).fromMatMul = false;
    return { layers: [], flow: c.flow };
  },
  BatchNormalization(c) {
    const a = attrs(c, { epsilon: 'f', momentum: 'f', training_mode: 'i' });
    onlyOutput(c);
    if ((a.training_mode ?? 0) !== 0) throw unsupported(c, 'training_mode 1 is not supported (an inference graph uses the running statistics)');
    const rank = c.flow.shape.length;
    if (rank !== 2 && rank !== 4) throw unsupported(c, `its input has rank ${rank}; expected [N, C] or [N, C, H, W]`);
    const C = c.flow.shape[1];
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => weight(c, i, ['scale', 'B', 'input_mean', 'input_var'][i - 1], 1));
    for (const [k, t] of [['scale', scale], ['B', bias], ['input_mean', mean], ['input_var', variance]] as const) {
      if (t.dims[0] !== C) throw unsupported(c, `${k} has ${t.dims[0]} values, its input has ${C} channels`);
    }
    if (rank === 4 && c.flow.actual.length !== 4) throw unsupported(c, 'its input is a flattened value');
    const eps = a.epsilon ?? 1e-5;
    const momentum = a.momentum ?? 0.9;
    if (!((eps as number) > 0)) throw unsupported(c, `epsilon ${eps} is not supported (> 0)`);
    if (!((momentum as number) >= 0 && (momentum as number) <= 1)) throw unsupported(c, `momentum ${momentum} is not supported (in [0, 1])`);
    const layer = new BatchNormalization(C, { eps: eps as number, momentum: momentum as number, axis: rank === 4 ? 'channel' : 'feature' });
    layer.gamma.value.data.set(scale.data);
    layer.beta.value.data.set(bias.data);
    layer.runningMean.data.set(mean.data);
    layer.runningVar.data.set(variance.data);
    return next(layer, c, c.flow.shape);
  },
  Relu: elementwise(() => new Relu()),
  Sigmoid: elementwise(() => new Sigmoid()),
  Tanh: elementwise(() => new Tanh()),
  LeakyRelu(c) {
    const a = attrs(c, { alpha: 'f' });
    const alpha = (a.alpha as number | undefined) ?? 0.01;
    if (!(alpha >= 0 && alpha <= 1)) throw unsupported(c, `alpha ${alpha} is not supported (in [0, 1])`);
    return next(new LeakyReLU(alpha), c, c.flow.shape);
  },
  Dropout(c) {
    // an inference graph's Dropout passes its input through; as a layer: inverted dropout (ONNX's training form)
    attrs(c, { seed: 'i' });
    onlyOutput(c);
    const inputs = c.node.input ?? [];
    const ratio = inputs[1] ? c.constant(inputs[1]) : null;
    if (inputs[1] && (!ratio || !ratio.data || ratio.data.length !== 1)) throw unsupported(c, 'ratio must be a constant scalar');
    const training = inputs[2] ? c.constant(inputs[2]) : null;
    if (inputs[2] && (!training || (training.data ?? training.ints ?? [1])[0] !== 0)) throw unsupported(c, 'training_mode must be a constant false');
    const r = ratio ? ratio.data![0] : 0.5;
    if (!(r >= 0 && r < 1)) throw unsupported(c, `ratio ${r} is not supported (in [0, 1))`);
    return next(new Dropout(r, { mode: 'inverted' }), c, c.flow.shape);
  },
  Mul(c) {
    // only simdnet's own book Dropout (a multiply by 1 − ratio, marked in the node's doc_string)
    attrs(c, {});
    const mark = dropoutMark(c.node);
    const k = c.constant((c.node.input ?? [])[1]);
    if (!mark || mark.mode !== 'book' || !k || !k.data || k.data.length !== 1 || Math.fround(1 - mark.ratio) !== k.data[0]) {
      throw unsupported(c, "Mul is supported only as simdnet's exported Dropout (a multiply by 1 − ratio marked 'simdnet:Dropout')");
    }
    return next(new Dropout(mark.ratio, { mode: 'book' }), c, c.flow.shape);
  },
  Identity(c) {
    attrs(c, {});
    const mark = dropoutMark(c.node);
    if (mark && mark.mode === 'inverted') return next(new Dropout(mark.ratio, { mode: 'inverted' }), c, c.flow.shape);
    return next(null, c);
  },
  Flatten(c) {
    const a = attrs(c, { axis: 'i' });
    if ((a.axis ?? 1) !== 1) throw unsupported(c, `axis ${a.axis} is not supported (1 only: [N, …] -> [N, rest])`);
    return flatten(c);
  },
  Pad(c) {
    // zeros around the channels: ChannelPad; zeros around H and W: taken over by the Conv or AveragePool that
    // follows (checked by importOnnx)
    const a = attrs(c, { mode: 's' });
    if ((a.mode ?? 'constant') !== 'constant') throw unsupported(c, `mode '${a.mode}' is not supported (constant zeros only)`);
    requireRank(c, 4, '[N, C, H, W]');
    const inputs = c.node.input ?? [];
    const pads = c.constant(inputs[1]);
    if (!pads || !pads.ints || pads.ints.length !== 8) throw unsupported(c, 'pads must be a constant INT64 tensor of 8 values');
    const value = inputs[2] ? c.constant(inputs[2]) : null;
    if (inputs[2] && (!value || (value.data ?? value.ints ?? [1])[0] !== 0)) throw unsupported(c, 'constant_value must be a constant 0');
    if (inputs[3]) throw unsupported(c, "the 'axes' input is not supported");
    const [nb, cb, hb, wb, ne, ce, he, we] = pads.ints;
    if (nb || ne || [cb, hb, wb, ce, he, we].some((p) => p < 0)) throw unsupported(c, `pads [${pads.ints.join(', ')}]: only padding of the channels, or of H and W, is supported`);
    if (!hb && !wb && !he && !we) {
      if (c.flow.pad) throw unsupported(c, 'a channel Pad after a spatial Pad is not supported');
      return next(new ChannelPad(cb, ce), c); // zero channels before and after (ResNet's option-A shortcut)
    }
    if (cb || ce || !(hb === wb && wb === he && he === we)) {
      throw unsupported(c, `pads [${pads.ints.join(', ')}]: only equal padding of H and W on all sides (or of the channels alone) is supported`);
    }
    return { layers: [], flow: { ...c.flow, pad: (c.flow.pad ?? 0) + hb } };
  },
  Slice(c) {
    // x[:, :, ::s, ::s] (PyTorch's strided indexing, e.g. ResNet's option-A shortcut): a 1×1 pooling of stride s
    attrs(c, {});
    requireRank(c, 4, '[N, C, H, W]');
    const inputs = c.node.input ?? [];
    const [starts, ends, axesC, stepsC] = [1, 2, 3, 4].map((i) => (inputs[i] ? c.constant(inputs[i]) : null));
    if (!starts?.ints || !ends?.ints || (inputs[3] && !axesC?.ints) || (inputs[4] && !stepsC?.ints)) throw unsupported(c, 'starts, ends, axes and steps must be INT64 constants');
    const axes = (axesC?.ints ?? starts.ints.map((_, i) => i)).map((a) => (a < 0 ? a + 4 : a));
    const steps = stepsC?.ints ?? starts.ints.map(() => 1);
    const sub = { ...(c.flow.sub ?? { h: 1, w: 1 }) };
    const shape = [...c.flow.shape];
    axes.forEach((a, i) => {
      const d = c.flow.shape[a];
      const start = starts.ints![i] < 0 ? starts.ints![i] + d : starts.ints![i];
      const end = ends.ints![i] < 0 ? ends.ints![i] + d : ends.ints![i];
      if (a < 0 || a > 3 || start !== 0 || end < d || !(steps[i] >= 1) || (a < 2 && steps[i] !== 1)) {
        throw unsupported(c, `only whole-axis strided slices of H and W (x[:, :, ::s, ::s]) are supported; got axis ${axes[i]} start ${starts.ints![i]} end ${ends.ints![i]} step ${steps[i]}`);
      }
      if (a >= 2) {
        shape[a] = Math.ceil(d / steps[i]);
        if (a === 2) sub.h *= steps[i];
        else sub.w *= steps[i];
      }
    });
    if (sub.h !== sub.w) return { layers: [], flow: { ...c.flow, shape, sub } };
    const flow = { shape: c.flow.shape, actual: c.flow.actual };
    if (sub.h === 1) return { layers: [], flow };
    return next(new Pooling(1, 1, { stride: sub.h }), { ...c, flow });
  },
  Reshape(c) {
    const a = attrs(c, { allowzero: 'i' });
    if ((a.allowzero ?? 0) !== 0) throw unsupported(c, 'allowzero 1 is not supported');
    const k = c.constant((c.node.input ?? [])[1]);
    if (!k || !k.ints) throw unsupported(c, 'its shape must be a constant INT64 tensor');
    // the batch size from a Shape node (x.view(x.size(0), -1)) means "the batch" in the first entry, as 0 does
    const marked = (k.batch ?? []).flatMap((b, i) => (b ? [i] : []));
    if (marked.some((i) => i !== 0)) throw unsupported(c, `its target has the batch size (from a Shape node) at entry ${marked.find((i) => i !== 0)}; only the first entry may be the batch`);
    const target = resolveReshape(c, marked.length > 0 ? [0, ...k.ints.slice(1)] : k.ints);
    const f = flat(c.flow.shape);
    if (target.length === 2 && target[1] === f[1]) return flatten(c);
    const virtual = c.flow.shape.length !== c.flow.actual.length;
    if (virtual && target.length === c.flow.actual.length && target.every((d, i) => i === 0 || d === c.flow.actual[i])) return next(null, c, [...c.flow.actual]);
    throw unsupported(c, `reshape to [${k.ints.map((d, i) => (k.batch?.[i] ? 'N' : d)).join(', ')}] is not supported (only [N, -1]-style flattening, or back to the unflattened shape)`);
  },
};

function affine(c: ConvertContext, K: number, M: number, data: Float32Array, transposed: boolean, bias: Float32Array | null): { layers: Layer[]; flow: Flow } {
  if (K !== c.flow.shape[1]) throw unsupported(c, `its weight takes ${K} inputs, its input has ${c.flow.shape[1]}`);
  const layer = new Affine(K, M, { initialize: false });
  const W = layer.W.value.data;
  if (!transposed) W.set(data);
  else for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) W[k * M + m] = data[m * K + k];
  if (bias) layer.b.value.data.set(bias);
  if (c.node.opType === 'MatMul') (layer as Affine & { fromMatMul?: boolean }).fromMatMul = true;
  return next(layer, c, [1, M]);
}

/**
 * [N, …] -> [N, rest]: a Flatten layer, or none when simdnet's export marked it as a layer's own (Affine and
 * feature-axis BatchNormalization read a 4-D input flat), so a round trip gives back the same layers.
 */
function flatten(c: ConvertContext): { layers: Layer[]; flow: Flow } {
  if (c.flow.shape.length === 2) return next(null, c);
  if (c.node.docString === IMPLICIT) return next(null, c, flat(c.flow.shape));
  if (c.flow.shape.length !== c.flow.actual.length) throw unsupported(c, 'flattening a value flattened already is not supported');
  return next(new Flatten(), c);
}

function flat(shape: number[]): number[] {
  return [shape[0], shape.slice(1).reduce((a, d) => a * d, 1)];
}

/** A Reshape target with 0 (copy) and −1 (infer) resolved against the current shape. */
function resolveReshape(c: ConvertContext, t: number[]): number[] {
  const total = c.flow.shape.reduce((a, d) => a * d, 1);
  const out = t.map((d, i) => (d === 0 ? c.flow.shape[i] : d));
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1 || out.some((d) => d < -1 || d === undefined)) throw unsupported(c, `shape [${t.join(', ')}] is not a valid Reshape target`);
  if (unknown === 1) {
    const known = out.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    if (known === 0 || total % known !== 0) throw unsupported(c, `shape [${t.join(', ')}] does not fit an input of shape [${c.flow.shape.join(', ')}]`);
    // the batch may be the inferred dimension: with N = 1 here, −1 first means "the batch"
    out[out.indexOf(-1)] = total / known;
  }
  if (out.reduce((a, d) => a * d, 1) !== total) throw unsupported(c, `shape [${t.join(', ')}] does not fit an input of shape [${c.flow.shape.join(', ')}]`);
  return out;
}

/** The Dropout a simdnet export marked in a node's doc_string, if any. */
function dropoutMark(node: NodeProto): { ratio: number; mode: 'book' | 'inverted' } | null {
  const doc = node.docString ?? '';
  const prefix = `${LAYER_MARK}Dropout `;
  if (!doc.startsWith(prefix)) return null;
  try {
    const o = JSON.parse(doc.slice(prefix.length)) as { ratio?: unknown; mode?: unknown };
    if (typeof o.ratio === 'number' && o.ratio >= 0 && o.ratio < 1 && (o.mode === 'book' || o.mode === 'inverted')) return { ratio: o.ratio, mode: o.mode };
  } catch {
    /* not ours */
  }
  return null;
}

export const IMPORTABLE_OPS: readonly string[] = Object.freeze(Object.keys(CONVERTERS));
