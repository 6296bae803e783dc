/**
 * `importOnnx`: an ONNX model (e.g. PyTorch's torch.onnx.export) as a simdnet network, ready for predict,
 * fine-tuning and saveModel.
 *
 * The graph is checked before anything is built: one float input with a static shape apart from the batch, one
 * output, every value produced once, no cycle (Kahn's order), every node on the path from the input to the
 * output, constants (initializers, Constant nodes, Cast of a constant) folded. The path must be a chain — one
 * data input per node — which becomes a `Sequential`; each node goes through its converter (lib/onnx/convert.ts),
 * which refuses any op or attribute simdnet would compute differently.
 */
import * as fs from 'fs';
import * as path from 'path';
import { getBackend } from '../backend';
import type { Backend } from '../backend/types';
import { invalidRange, invalidType } from '../errors';
import type { Layer } from '../layers/layer';
import { MeanSquaredError, SigmoidWithLoss, SoftmaxWithLoss } from '../layers/losses';
import { Sequential } from '../nets/sequential';
import type { Network } from '../nets/network';
import { withAllocationBudget } from '../tensor';
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
  const ready = waiting.map((w, i) => (w === 0 ? i : -1)).filter((i) => i >= 0);
  const order: NodeProto[] = [];
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(nodes[i]);
    for (const j of consumers.get(i) ?? []) if (--waiting[j] === 0) ready.push(j);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.map((n, i) => (waiting[i] > 0 ? nodeLabel(n, i) : '')).filter(Boolean);
    throw new RangeError(`${label}: the graph has a cycle through ${stuck.slice(0, 6).join(', ')}${stuck.length > 6 ? ', …' : ''}`);
  }
  return order;
}

/** Folds Constant nodes and Cast/Identity of constants; returns the remaining (data) nodes. */
function foldConstants(order: NodeProto[], consts: Map<string, () => Const>, label: string, backend: Backend, ext: ExternalDataContext): NodeProto[] {
  const rest: NodeProto[] = [];
  order.forEach((n, i) => {
    const lab = `${label}: ${nodeLabel(n, i)}`;
    const out = (n.output ?? [])[0];
    if (n.opType === 'Constant') {
      const a = n.attribute ?? [];
      if (a.length !== 1 || a[0].name !== 'value' || !a[0].t) throw new RangeError(`${lab}: only Constant with a 'value' tensor is supported`);
      const t = a[0].t;
      consts.set(out, () => readTensor(t, `${lab} value`, backend, ext));
      return;
    }
    const ins = (n.input ?? []).filter((x) => x !== '');
    if (ins.length > 0 && ins.every((x) => consts.has(x))) {
      const src = consts.get(ins[0])!;
      if (n.opType === 'Identity') {
        consts.set(out, src);
        return;
      }
      if (n.opType === 'Cast' && ins.length === 1) {
        const to = (n.attribute ?? []).find((a) => a.name === 'to');
        if (!to || toInt(to.i, `${lab} 'to'`) !== DataType.FLOAT) throw new RangeError(`${lab}: only Cast to FLOAT of a constant is supported`);
        consts.set(out, () => {
          const c = src();
          if (!c.data) throw new RangeError(`${lab}: only float constants can be cast to FLOAT`);
          return c;
        });
        return;
      }
      throw new RangeError(`${lab}: an op computing on constants only; supported: Constant, and Cast to FLOAT or Identity of a constant`);
    }
    rest.push(n);
  });
  return rest;
}

function makeLoss(loss: string): Layer {
  return loss === 'sigmoid' ? new SigmoidWithLoss() : loss === 'mse' ? new MeanSquaredError() : new SoftmaxWithLoss();
}

/**
 * Builds a simdnet network from an ONNX model (a path, or the bytes), weights included: a `Sequential` whose
 * layers are the model's chain of supported ops, with a loss layer appended (`opts.loss`; a final Softmax in the
 * model is taken as that loss layer's, so `predict` returns the logits before it, like every simdnet network).
 * Supported ops: Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Gemm, MatMul (+ Add of a bias), Pad (zeros, into the next Conv/AveragePool),
 * Relu, Sigmoid, Tanh, LeakyRelu, BatchNormalization, Dropout, Flatten, Reshape (flattening), Identity, and
 * constants (Constant, Cast). External tensor data is read only from files inside the model's folder.
 *
 * @example
 * const net = importOnnx('deep_convnet.onnx');      // e.g. from torch.onnx.export
 * const logits = net.predict(x);
 * saveModel(net, 'deep_convnet.safetensors');
 * @throws {TypeError} a bad argument or option type
 * @throws {RangeError} not an ONNX model (truncated, corrupted), an unsupported opset, op or attribute (naming the
 *   node, the op and what is supported), a branching graph, a cycle, tensor data shorter than its shape, dims
 *   out of range, external data outside the model's folder
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
  const data = foldConstants(order, consts, label, backend, ext);
  const cache = new Map<string, Const>();
  const constant = (name: string | undefined): Const | null => {
    if (!name || !consts.has(name)) return null;
    if (!cache.has(name)) cache.set(name, consts.get(name)!());
    return cache.get(name)!;
  };

  // walk the chain from the input
  const layers: Layer[] = [];
  let flow: Flow = { shape: input.shape, actual: input.shape };
  let value = input.name;
  const done = new Set<NodeProto>();
  let softmaxLast = false;
  // a budget on what the layers allocate: params + grads are at most twice what the file holds, plus slack
  let stored = 0;
  for (const t of initializers.values()) stored += checkedDims(label, t.dims).count;
  withAllocationBudget(2 * stored + (1 << 20), `${label}: the network it describes`, () => {
    while (value !== outputName) {
      const users = data.filter((n) => (n.input ?? []).includes(value));
      if (users.length === 0) throw new RangeError(`${label}: value '${value}' leads nowhere: the output '${outputName}' is not reached from the input by a chain of nodes`);
      if (users.length > 1) {
        throw new RangeError(`${label}: the graph branches at '${value}' (read by ${users.map((n) => nodeLabel(n, nodes.indexOf(n))).join(', ')}); a Sequential holds a chain only (residual and concatenating graphs need graph networks)`);
      }
      const n = users[0];
      const lab = `${label}: ${nodeLabel(n, nodes.indexOf(n))}`;
      const dataInputs = (n.input ?? []).filter((x) => x !== '' && !consts.has(x));
      if (dataInputs.length !== 1) throw unsupported({ label: lab }, `it reads ${dataInputs.length} computed values; a Sequential node reads exactly one`);
      if ((n.input ?? [])[0] !== value && n.opType !== 'Add' && n.opType !== 'Mul') throw unsupported({ label: lab }, `its computed value '${value}' must be its first input`);
      if (n.opType === 'Softmax') {
        softmaxLast = softmax(n, flow, outputName, lab, loss);
      } else {
        const convert = CONVERTERS[n.opType ?? ''];
        if (!convert) throw unsupported({ label: lab }, `op ${n.opType} is not supported; supported ops: ${IMPORTABLE_OPS.join(', ')}, Softmax (last), Constant, Cast`);
        if (flow.pad && n.opType !== 'Conv' && n.opType !== 'AveragePool') {
          throw unsupported({ label: lab }, 'a Pad node must be followed by the Conv or AveragePool that takes its zeros as padding');
        }
        const r = convert({ node: n, label: lab, constant, layers, flow });
        layers.push(...r.layers);
        flow = r.flow;
      }
      done.add(n);
      const outs = (n.output ?? []).filter((o) => o !== '');
      value = outs[0];
    }
  });
  const unused = data.filter((n) => !done.has(n));
  if (unused.length > 0) {
    throw new RangeError(`${label}: ${unused.map((n) => nodeLabel(n, nodes.indexOf(n))).join(', ')} ${unused.length === 1 ? 'is' : 'are'} not on the path from the input to the output`);
  }
  if (flow.pad) throw new RangeError(`${label}: the graph ends in a Pad node`);
  if (flow.shape.length !== flow.actual.length) {
    throw new RangeError(`${label}: the output is a flattened [N, ${flow.shape[1]}] of a [N, ${flow.actual.slice(1).join(', ')}] value with no layer after it; simdnet networks end in a layer that produces their output shape`);
  }
  void softmaxLast;
  return withAllocationBudget(2 * stored + (1 << 20), `${label}: the network it describes`, () =>
    new Sequential([...layers, makeLoss(loss)], { inputShape: input.shape.slice(1), initialize: false, backend, seed: opts.seed ?? 0 }),
  );
}

/** A Softmax is accepted only as the last node over the class axis of [N, C] logits, with loss 'softmax'. */
function softmax(n: NodeProto, flow: Flow, outputName: string, lab: string, loss: string): boolean {
  const a = n.attribute ?? [];
  const axis = a.find((x) => x.name === 'axis');
  const ax = axis ? toInt(axis.i, `${lab} axis`) : -1;
  if (a.some((x) => x.name !== 'axis')) throw unsupported({ label: lab }, 'only the attribute axis is supported');
  if ((n.output ?? [])[0] !== outputName || flow.shape.length !== 2 || (ax !== -1 && ax !== 1) || loss !== 'softmax') {
    throw unsupported({ label: lab }, "Softmax is supported only as the last node, over the classes of [N, C] logits, with loss 'softmax' (it becomes the SoftmaxWithLoss layer)");
  }
  return true;
}
