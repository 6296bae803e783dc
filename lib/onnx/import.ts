/**
 * `importOnnx`: an ONNX model (e.g. PyTorch's torch.onnx.export) as a simdnet network, ready for predict,
 * fine-tuning and saveModel.
 *
 * The graph is checked before anything is built: one float input with a static shape apart from the batch, one
 * output, every value produced once, no cycle (Kahn's order), every node on the path from the input to the
 * output, constants (initializers, Constant nodes, computations on constants) folded. Each node goes through its
 * converter (lib/onnx/convert.ts), which refuses any op or attribute simdnet would compute differently; a chain
 * becomes a `Sequential`, a branching graph a `Graph` (lib/nets/graph.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { getBackend } from '../backend';
import type { Backend } from '../backend/types';
import { invalidRange, invalidType } from '../validate';
import { Flatten } from '../layers/flatten';
import type { Layer, LossLayer } from '../layers/layer';
import { MeanSquaredError, SigmoidWithLoss, SoftmaxWithLoss } from '../layers/losses';
import { Add, Concatenate, type MergeLayer } from '../layers/merge';
import { Input, type SymbolicTensor } from '../layers/symbolic';
import { Graph } from '../nets/graph';
import { Sequential } from '../nets/sequential';
import type { Network } from '../nets/network';
import { withAllocationBudget } from '../tensor';
import { FOLDABLE_OPS, foldNode, foldShapeOfValue, hasBatch } from './constfold';
import { CONVERTERS, IMPORTABLE_OPS, unsupported, type Const, type Flow } from './convert';
import { DataType, decodeModelProto, toInt, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from './proto';
import { checkedDims, MAX_TENSOR_ELEMENTS, readTensor, typeName, type ExternalDataContext } from './tensor';

export interface ImportOnnxOptions {
  /** The loss layer appended for training: 'softmax' (default: SoftmaxWithLoss), 'sigmoid' or 'mse'. */
  loss?: 'softmax' | 'sigmoid' | 'mse';
  /** Backend of the network (default: getBackend()). */
  backend?: Backend;
  /** Seed of the network's Rng (dropout masks during fine-tuning; default 0). */
  seed?: number;
}

/** The default-domain opsets import reads: the converters' attribute checks hold for these op versions. */
export const IMPORT_OPSETS = { min: 11, max: 23 } as const;
const OPTION_KEYS = ['loss', 'backend', 'seed'];

function nodeLabel(n: NodeProto, i: number): string {
  return `node ${n.name ? `'${n.name}'` : `#${i}`} (${n.opType ?? '?'})`;
}

/** Decoded model + where its external data may live. */
function readModel(src: string | Uint8Array): { model: ModelProto; label: string; ext: ExternalDataContext } {
  if (typeof src === 'string') {
    if (src.length === 0) throw invalidType('importOnnx file', 'a file path or model bytes', src);
    const st = fs.statSync(src);
    if (!st.isFile()) throw invalidRange('importOnnx file', 'a regular file', src);
    const label = `ONNX model ${src}`;
    return { model: decodeModelProto(fs.readFileSync(src), label), label, ext: { baseDir: path.dirname(path.resolve(src)) } };
  }
  if (!(src instanceof Uint8Array) && !Buffer.isBuffer(src)) throw invalidType('importOnnx file', 'a file path or model bytes (Uint8Array)', src);
  return { model: decodeModelProto(src, 'ONNX model <bytes>'), label: 'ONNX model <bytes>', ext: { baseDir: null } };
}

function checkOpsets(model: ModelProto, label: string): void {
  let found = false;
  for (const o of model.opsetImport ?? []) {
    if ((o.domain ?? '') !== '' && o.domain !== 'ai.onnx') continue;
    const v = toInt(o.version, `${label}: opset version`);
    if (v < IMPORT_OPSETS.min || v > IMPORT_OPSETS.max) {
      throw new RangeError(`${label}: opset ${v} is not supported (ONNX opsets ${IMPORT_OPSETS.min} to ${IMPORT_OPSETS.max})`);
    }
    found = true;
  }
  if (!found) throw new RangeError(`${label}: no opset of the default ONNX domain is imported`);
}

/** The one data input: float32 with dims known apart from the first (the batch). */
function inputShape(g: GraphProto, initializers: Map<string, TensorProto>, label: string): { name: string; shape: number[] } {
  const inputs = (g.input ?? []).filter((v) => !initializers.has(v.name ?? ''));
  if (inputs.length !== 1) {
    throw new RangeError(`${label}: the graph has ${inputs.length} inputs (${inputs.map((v) => `'${v.name}'`).join(', ')}); simdnet networks take exactly one`);
  }
  const v = inputs[0];
  const tt = v.type?.tensorType;
  if (!tt || tt.elemType !== DataType.FLOAT) throw new RangeError(`${label}: input '${v.name}' must be a float32 tensor, got ${tt ? typeName(tt.elemType) : 'no tensor type'}`);
  const dims = tt.shape?.dim;
  if (!dims || dims.length < 2) throw new RangeError(`${label}: input '${v.name}' needs a declared shape [N, …] of rank >= 2`);
  const shape = [1];
  let per = 1;
  dims.slice(1).forEach((d, i) => {
    const n = d.dimValue === undefined || d.dimValue === null ? 0 : toInt(d.dimValue, `${label}: input dim ${i + 1}`);
    if (n < 1) throw new RangeError(`${label}: input '${v.name}' dim ${i + 1} is ${d.dimParam ? `'${d.dimParam}'` : n}; simdnet needs every dim but the batch fixed and >= 1`);
    per *= n;
    if (per > MAX_TENSOR_ELEMENTS) throw new RangeError(`${label}: input '${v.name}' declares more than ${MAX_TENSOR_ELEMENTS} values per sample`);
    shape.push(n);
  });
  return { name: v.name ?? '', shape };
}

/**
 * Nodes in an order where every input is produced before use; RangeError naming the nodes of a cycle, a value
 * produced twice, or an input nothing produces.
 */
function topoOrder(nodes: NodeProto[], available: Set<string>, label: string): NodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) {
      if (o === '') continue;
      if (producer.has(o) || available.has(o)) throw new RangeError(`${label}: value '${o}' is produced twice (${nodeLabel(n, i)})`);
      producer.set(o, i);
    }
  });
  const waiting = nodes.map((n, i) => {
    let k = 0;
    for (const x of n.input ?? []) {
      if (x === '' || available.has(x)) continue;
      if (!producer.has(x)) throw new RangeError(`${label}: ${nodeLabel(n, i)} reads '${x}', which no node, input or initializer provides`);
      k++;
    }
    return k;
  });
  const consumers = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    for (const x of n.input ?? []) {
      const p = producer.get(x);
      if (p !== undefined) consumers.set(p, [...(consumers.get(p) ?? []), i]);
    }
  });
  // ready nodes are taken in file order (the smallest index first), so a file already sorted keeps its order
  const ready = waiting.map((w, i) => (w === 0 ? i : -1)).filter((i) => i >= 0);
  const order: NodeProto[] = [];
  while (ready.length > 0) {
    let m = 0;
    for (let k = 1; k < ready.length; k++) if (ready[k] < ready[m]) m = k;
    const i = ready.splice(m, 1)[0];
    order.push(nodes[i]);
    for (const j of consumers.get(i) ?? []) if (--waiting[j] === 0) ready.push(j);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.map((n, i) => (waiting[i] > 0 ? nodeLabel(n, i) : '')).filter(Boolean);
    throw new RangeError(`${label}: the graph has a cycle through ${stuck.slice(0, 6).join(', ')}${stuck.length > 6 ? ', …' : ''}`);
  }
  return order;
}

/**
 * Folds Constant nodes and the ops of lib/onnx/constfold.ts on constants, and Shape nodes of computed values (their
 * dims, known by the time a reader asks: `flowOf`); returns the remaining (data) nodes.
 */
function foldConstants(
  order: NodeProto[], consts: Map<string, () => Const>, label: string, backend: Backend, ext: ExternalDataContext, flowOf: (name: string) => Flow | undefined,
): NodeProto[] {
  const rest: NodeProto[] = [];
  order.forEach((n, i) => {
    const lab = `${label}: ${nodeLabel(n, i)}`;
    const out = (n.output ?? [])[0];
    const first = (n.input ?? [])[0];
    if (n.opType === 'Shape' && first && !consts.has(first)) {
      let value: Const | null = null;
      consts.set(out, () => {
        if (value) return value;
        const flow = flowOf(first);
        if (!flow) throw new RangeError(`${lab}: the shape of '${first}' is not known where it is read`);
        if (flow.pad || flow.sub) throw unsupported({ label: lab }, 'the shape of a value between a Pad or Slice node and the node that takes it over is not supported');
        return (value = foldShapeOfValue(n, flow.shape, lab));
      });
      return;
    }
    if (n.opType === 'Constant') {
      const a = n.attribute ?? [];
      if (a.length !== 1 || a[0].name !== 'value' || !a[0].t) throw new RangeError(`${lab}: only Constant with a 'value' tensor is supported`);
      const t = a[0].t;
      consts.set(out, () => readTensor(t, `${lab} value`, backend, ext));
      return;
    }
    const ins = (n.input ?? []).filter((x) => x !== '');
    if (ins.length > 0 && ins.every((x) => consts.has(x))) {
      // evaluated when first read (lib/onnx/constfold.ts)
      let value: Const | null = null;
      const args = (n.input ?? []).map((x) => (x === '' ? null : consts.get(x)!));
      consts.set(out, () => (value ??= foldNode(n, args.map((f) => (f === null ? (null as unknown as Const) : f())), lab)));
      if (!FOLDABLE_OPS.includes(n.opType ?? '')) foldNode(n, [], lab); // refuse now, naming the node
      return;
    }
    rest.push(n);
  });
  return rest;
}

function makeLoss(loss: string): Layer {
  return loss === 'sigmoid' ? new SigmoidWithLoss() : loss === 'mse' ? new MeanSquaredError() : new SoftmaxWithLoss();
}

/**
 * Builds a simdnet network from an ONNX model (a path, or the bytes), weights included: a `Sequential` when the
 * model is a chain, a `Graph` when it branches (residual Add, Concat), with a loss layer appended (`opts.loss`; a
 * final Softmax in the model is taken as that loss layer's, so `predict` returns the logits before it, like every
 * simdnet network). Supported ops: Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Gemm, MatMul
 * (+ Add of a bias), Relu, Sigmoid, Tanh, LeakyRelu, BatchNormalization, Dropout, Flatten, Reshape (flattening),
 * Pad (zeros: of the channels, or of H and W before a Conv/AveragePool), Slice (x[:, :, ::s, ::s]), Identity,
 * Add/Sum/Concat of computed values, and constant computations (lib/onnx/constfold.ts), Shape chains included
 * (`x.view(x.size(0), -1)`: the batch size only as a Reshape target's first entry). External tensor data is
 * read only from files inside the model's folder.
 *
 * @example
 * const net = importOnnx('resnet20.onnx');          // e.g. from torch.onnx.export
 * const logits = net.predict(x);
 * saveModel(net, 'resnet20.safetensors');
 * @throws {TypeError} a bad argument or option type
 * @throws {RangeError} not an ONNX model (truncated, corrupted), an unsupported opset, op or attribute (naming the
 *   node, the op and what is supported), a cycle, tensor data shorter than its shape, dims out of range, external
 *   data outside the model's folder
 * @throws {Error} file-system errors
 */
export function importOnnx(file: string | Uint8Array, opts: ImportOnnxOptions = {}): Network {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw invalidType('importOnnx options', 'an options object', opts);
  for (const k of Object.keys(opts)) if (!OPTION_KEYS.includes(k)) throw invalidRange('importOnnx options', `only ${OPTION_KEYS.join(', ')}`, `unknown option '${k}'`);
  const loss = opts.loss ?? 'softmax';
  if (loss !== 'softmax' && loss !== 'sigmoid' && loss !== 'mse') throw invalidRange('importOnnx loss', "'softmax', 'sigmoid' or 'mse'", loss);
  const backend = opts.backend ?? getBackend();
  const { model, label, ext } = readModel(file);
  const g = model.graph;
  if (!g) throw new RangeError(`${label}: the model has no graph`);
  checkOpsets(model, label);
  if ((g.sparseInitializer ?? []).length > 0) throw new RangeError(`${label}: sparse initializers are not supported`);

  const initializers = new Map<string, TensorProto>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    if (initializers.has(name)) throw new RangeError(`${label}: initializer '${name}' is given twice`);
    checkedDims(`${label}: initializer '${name}'`, t.dims);
    initializers.set(name, t);
  }
  const input = inputShape(g, initializers, label);
  const outputs = g.output ?? [];
  if (outputs.length !== 1) throw new RangeError(`${label}: the graph has ${outputs.length} outputs; simdnet networks have exactly one`);
  const outputName = outputs[0].name ?? '';

  const consts = new Map<string, () => Const>();
  for (const [name, t] of initializers) consts.set(name, () => readTensor(t, `${label}: initializer '${name}'`, backend, ext));
  const nodes = g.node ?? [];
  nodes.forEach((n, i) => {
    if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') throw unsupported({ label: `${label}: ${nodeLabel(n, i)}` }, `domain '${n.domain}' is not supported (the default ONNX domain only)`);
  });
  const order = topoOrder(nodes, new Set([input.name, ...initializers.keys()]), label);
  const values = new Map<string, Val>([[input.name, { flow: { shape: input.shape, actual: input.shape }, last: null }]]);
  const data = foldConstants(order, consts, label, backend, ext, (name) => values.get(name)?.flow);
  const cache = new Map<string, Const>();
  const constant = (name: string | undefined): Const | null => {
    if (!name || !consts.has(name)) return null;
    if (!cache.has(name)) cache.set(name, consts.get(name)!());
    return cache.get(name)!;
  };

  // every value the data nodes compute, in topological order: its shapes, what reads it, the layers that made it
  const readers = new Map<string, NodeProto[]>();
  for (const n of data) for (const x of new Set(n.input ?? [])) if (x !== '' && !consts.has(x)) readers.set(x, [...(readers.get(x) ?? []), n]);
  checkReachesOutput(data, readers, outputName, label, nodes);
  const steps: Step[] = [];
  const names = new NodeNames();
  let stored = 0; // a budget on what the layers allocate: params + grads are at most twice what the file holds
  for (const t of initializers.values()) stored += checkedDims(label, t.dims).count;
  withAllocationBudget(2 * stored + (1 << 20), `${label}: the network it describes`, () => {
    for (const n of data) {
      const lab = `${label}: ${nodeLabel(n, nodes.indexOf(n))}`;
      const dataInputs = (n.input ?? []).filter((x) => x !== '' && !consts.has(x));
      const ins = dataInputs.map((x) => values.get(x)!);
      const out = (n.output ?? [])[0];
      const name = names.take(n.name || n.opType || 'node');
      if ((n.opType === 'Add' || n.opType === 'Sum') && dataInputs.length >= 2 && dataInputs.length === (n.input ?? []).filter((x) => x !== '').length) {
        values.set(out, mergeStep(steps, n, lab, name, dataInputs, ins, 'Add'));
        continue;
      }
      if (n.opType === 'Concat') {
        values.set(out, mergeStep(steps, n, lab, name, dataInputs, ins, 'Concatenate'));
        continue;
      }
      if (dataInputs.length !== 1) throw unsupported({ label: lab }, `it reads ${dataInputs.length} computed values; only Add, Sum and Concat join several`);
      const x = ins[0];
      if ((n.input ?? [])[0] !== dataInputs[0] && n.opType !== 'Add' && n.opType !== 'Mul') throw unsupported({ label: lab }, `its computed value '${dataInputs[0]}' must be its first input`);
      if (n.opType === 'Softmax') {
        softmax(n, x.flow, outputName, lab, loss);
        steps.push({ name, input: dataInputs[0], output: out, layers: [], merge: null });
        values.set(out, x);
        continue;
      }
      const convert = CONVERTERS[n.opType ?? ''];
      if (!convert) throw unsupported({ label: lab }, `op ${n.opType} is not supported; supported ops: ${IMPORTABLE_OPS.join(', ')}, Add/Sum/Concat of computed values, Softmax (last), Constant, Cast, Shape (folded)`);
      if (x.flow.sub && n.opType !== 'Slice') throw unsupported({ label: lab }, 'a Slice of H alone or W alone must be followed by the Slice of the other axis with the same step');
      if (x.flow.pad && n.opType !== 'Conv' && n.opType !== 'AveragePool') {
        throw unsupported({ label: lab }, 'a Pad node must be followed by the Conv or AveragePool that takes its zeros as padding');
      }
      // MatMul's bias Add may fold into the Affine only when nothing else reads the MatMul's output
      const exclusive = (readers.get(dataInputs[0]) ?? []).length === 1 && dataInputs[0] !== outputName;
      // the batch size folded from a Shape node may only be a Reshape target's first entry (checked there)
      const guarded = (name: string | undefined): Const | null => {
        const k = constant(name);
        if (hasBatch(k) && n.opType !== 'Reshape') throw unsupported({ label: lab }, `its input '${name}' holds the batch size (from a Shape node); only a Reshape target may`);
        return k;
      };
      const r = convert({ node: n, label: lab, constant: guarded, layers: x.last && exclusive ? [x.last] : [], flow: x.flow });
      steps.push({ name, input: dataInputs[0], output: out, layers: r.layers, merge: null });
      values.set(out, { flow: r.flow, last: r.layers.length > 0 ? r.layers[r.layers.length - 1] : x.last });
    }
  });
  const final = values.get(outputName);
  if (!final) throw new RangeError(`${label}: the output '${outputName}' is not computed from the input`);
  if (final.flow.pad || final.flow.sub) throw new RangeError(`${label}: the graph ends in a Pad or Slice node`);
  return withAllocationBudget(2 * stored + (1 << 20), `${label}: the network it describes`, () =>
    buildNetwork(steps, readers, input, outputName, final.flow, makeLoss(loss), { backend, seed: opts.seed ?? 0 }, names),
  );
}

/** A value the graph computes: its shapes and the last simdnet layer on the way to it (MatMul's bias Add). */
interface Val {
  flow: Flow;
  last: Layer | null;
}

/** One data node as simdnet sees it: the layers it became (maybe none) or a merge layer, between two values. */
interface Step {
  name: string;
  input: string;
  output: string;
  layers: Layer[];
  merge: { layer: MergeLayer; inputs: string[] } | null;
}

/** Node names as simdnet graphs take them (letters, digits, _ - /; a letter first), unique. */
class NodeNames {
  private readonly used = new Set<string>(['input']);
  take(raw: string): string {
    let base = raw.replace(/[^A-Za-z0-9_/-]/g, '_').replace(/^[^A-Za-z]+/, '').slice(0, 120) || 'node';
    if (!/^[A-Za-z]/.test(base)) base = `n${base}`;
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

/** Add/Sum (equal shapes) or Concat (along channels) of computed values. */
function mergeStep(steps: Step[], n: NodeProto, lab: string, name: string, inputs: string[], ins: Val[], kind: 'Add' | 'Concatenate'): Val {
  for (const v of ins) {
    if (v.flow.pad) throw unsupported({ label: lab }, 'a Pad node must be followed by the Conv or AveragePool that takes its zeros as padding');
    if (v.flow.sub) throw unsupported({ label: lab }, 'a Slice of H alone or W alone must be followed by the Slice of the other axis with the same step');
    if (v.flow.shape.length !== v.flow.actual.length) throw unsupported({ label: lab }, 'joining flattened values is not supported');
  }
  const shapes = ins.map((v) => v.flow.shape);
  let shape: number[];
  if (kind === 'Add') {
    if ((n.attribute ?? []).length > 0) throw unsupported({ label: lab }, 'attributes are not supported');
    if (!shapes.every((s) => s.length === shapes[0].length && s.every((d, i) => d === shapes[0][i]))) {
      throw unsupported({ label: lab }, `its inputs have shapes ${shapes.map((s) => `[N, ${s.slice(1).join(', ')}]`).join(', ')}; simdnet adds equal shapes only (no broadcasting)`);
    }
    shape = [...shapes[0]];
  } else {
    const a = n.attribute ?? [];
    if (a.length !== 1 || a[0].name !== 'axis') throw unsupported({ label: lab }, "only the attribute 'axis' is supported");
    const rank = shapes[0].length;
    const axis = toInt(a[0].i, `${lab} axis`);
    if (axis !== 1 && axis !== 1 - rank) throw unsupported({ label: lab }, `axis ${axis} is not supported (1: the channels)`);
    if (!shapes.every((s) => s.length === rank && s.every((d, i) => i === 1 || d === shapes[0][i]))) {
      throw unsupported({ label: lab }, `its inputs have shapes ${shapes.map((s) => `[N, ${s.slice(1).join(', ')}]`).join(', ')}; they must agree except along the channels`);
    }
    shape = [...shapes[0]];
    shape[1] = shapes.reduce((t, s) => t + s[1], 0);
  }
  const layer = kind === 'Add' ? new Add() : new Concatenate();
  steps.push({ name, input: inputs[0], output: (n.output ?? [])[0], layers: [], merge: { layer, inputs } });
  return { flow: { shape, actual: shape }, last: null };
}

/** Every data node must lead to the output. */
function checkReachesOutput(data: NodeProto[], readers: Map<string, NodeProto[]>, outputName: string, label: string, nodes: NodeProto[]): void {
  const useful = new Set<NodeProto>();
  for (let i = data.length - 1; i >= 0; i--) {
    const n = data[i];
    const outs = (n.output ?? []).filter((o) => o !== '');
    if (outs.includes(outputName) || outs.some((o) => (readers.get(o) ?? []).some((r) => useful.has(r)))) useful.add(n);
  }
  const unused = data.filter((n) => !useful.has(n));
  if (unused.length > 0) {
    throw new RangeError(`${label}: ${unused.map((n) => nodeLabel(n, nodes.indexOf(n))).join(', ')} ${unused.length === 1 ? 'is' : 'are'} not on the path from the input to the output`);
  }
}

/**
 * A Sequential when the steps form a chain (each reads the one before, nothing is read twice), else a Graph of the
 * same layers. A flattened output gets a Flatten layer.
 */
function buildNetwork(
  steps: Step[], readers: Map<string, NodeProto[]>, input: { name: string; shape: number[] }, outputName: string, flow: Flow,
  loss: Layer, opts: { backend: Backend; seed: number }, names: NodeNames,
): Network {
  const flatten = flow.shape.length !== flow.actual.length ? new Flatten() : null;
  const chain = steps.every((s, i) => s.merge === null && s.input === (i === 0 ? input.name : steps[i - 1].output) && (readers.get(s.input) ?? []).length === 1);
  if (chain) {
    const layers = [...steps.flatMap((s) => s.layers), ...(flatten ? [flatten] : [])];
    if (layers.length === 0) throw new RangeError('ONNX import: the model computes nothing simdnet has a layer for (its output is its input)');
    return new Sequential([...layers, loss], { inputShape: input.shape.slice(1), initialize: false, backend: opts.backend, seed: opts.seed });
  }
  const sym = new Map<string, SymbolicTensor>([[input.name, Input(input.shape.slice(1))]]);
  for (const s of steps) {
    if (s.merge) {
      sym.set(s.output, s.merge.layer.apply(s.merge.inputs.map((x) => sym.get(x)!), s.name));
      continue;
    }
    let t = sym.get(s.input)!;
    s.layers.forEach((l, k) => {
      t = l.apply(t, k === 0 ? s.name : names.take(`${s.name}/${l.type.toLowerCase()}`));
    });
    sym.set(s.output, t);
  }
  let out = sym.get(outputName)!;
  if (flatten) out = flatten.apply(out, names.take('flatten'));
  return new Graph({ input: sym.get(input.name)!, output: out, loss: loss as LossLayer, initialize: false, backend: opts.backend, seed: opts.seed });
}

/** A Softmax is accepted only as the last node over the class axis of [N, C] logits, with loss 'softmax'. */
function softmax(n: NodeProto, flow: Flow, outputName: string, lab: string, loss: string): void {
  const a = n.attribute ?? [];
  const axis = a.find((x) => x.name === 'axis');
  const ax = axis ? toInt(axis.i, `${lab} axis`) : -1;
  if (a.some((x) => x.name !== 'axis')) throw unsupported({ label: lab }, 'only the attribute axis is supported');
  if ((n.output ?? [])[0] !== outputName || flow.shape.length !== 2 || (ax !== -1 && ax !== 1) || loss !== 'softmax') {
    throw unsupported({ label: lab }, "Softmax is supported only as the last node, over the classes of [N, C] logits, with loss 'softmax' (it becomes the SoftmaxWithLoss layer)");
  }
}
