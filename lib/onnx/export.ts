/**
 * `exportOnnx`: a simdnet network as an ONNX model (inference graph), for onnxruntime (Node, web, mobile) and any
 * other ONNX runtime.
 */
import { invalidRange, invalidType } from '../validate';
import { writeFileAtomic } from '../io/atomic';
import type { Layer } from '../layers/layer';
import { Network, NETWORK_INPUT } from '../nets/network';
import { DEFAULT_OPSET, OnnxBuilder, OPSET_IR_VERSION, type Value } from './builder';
import { emitLayer, type TensorNames } from './emit';
import { encodeModelProto } from './proto';

export interface ExportOnnxOptions {
  /** ONNX opset, 17 (default) to 21. */
  opset?: number;
  /**
   * 'float32' (default), or 'float16': learned weights (W, b, gamma, beta) stored as IEEE half, widened by Cast
   * nodes, so the model computes in float32 on half-rounded weights (as `toFloat16(net)` does); about half the size.
   */
  dtype?: 'float32' | 'float16';
  /** Name of the graph input (default 'input'): float32 [batch, ...net.inputShape]. */
  inputName?: string;
  /** Name of the graph output (default 'logits', or 'probabilities' with output 'probabilities'). */
  outputName?: string;
  /**
   * 'logits' (default): what `net.predict` returns; 'probabilities': the loss layer's inference output appended
   * (SoftmaxWithLoss: Softmax, SigmoidWithLoss: Sigmoid, MeanSquaredError: the values themselves).
   */
  output?: 'logits' | 'probabilities';
  /** Class names, stored as JSON in the model's metadata under 'class_names' (one per output; 2 for one sigmoid output). */
  classNames?: readonly string[];
  /** Extra metadata entries (string → string). */
  metadata?: Record<string, string>;
}

const OPTION_KEYS = ['opset', 'dtype', 'inputName', 'outputName', 'output', 'classNames', 'metadata'];

function producerVersion(): string {
  for (const p of ['../../../package.json', '../../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      /* next */
    }
  }
  return '';
}

function checkName(what: string, v: unknown, dflt: string): string {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || v.length === 0) throw invalidType(what, 'a non-empty string', v);
  return v;
}

function checkOptions(o: ExportOnnxOptions): Required<Omit<ExportOnnxOptions, 'classNames' | 'metadata'>> & Pick<ExportOnnxOptions, 'classNames' | 'metadata'> {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw invalidType('exportOnnx options', 'an options object', o);
  for (const k of Object.keys(o)) {
    if (!OPTION_KEYS.includes(k)) throw invalidRange('exportOnnx options', `only ${OPTION_KEYS.join(', ')}`, `unknown option '${k}'`);
  }
  const opset = o.opset ?? DEFAULT_OPSET;
  if (typeof opset !== 'number' || OPSET_IR_VERSION[opset] === undefined) {
    throw invalidRange('exportOnnx opset', `one of ${Object.keys(OPSET_IR_VERSION).join(', ')}`, opset);
  }
  const dtype = o.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') throw invalidRange('exportOnnx dtype', "'float32' or 'float16'", dtype);
  const output = o.output ?? 'logits';
  if (output !== 'logits' && output !== 'probabilities') throw invalidRange('exportOnnx output', "'logits' or 'probabilities'", output);
  if (o.classNames !== undefined && (!Array.isArray(o.classNames) || !o.classNames.every((c) => typeof c === 'string'))) {
    throw invalidType('exportOnnx classNames', 'an array of strings', o.classNames);
  }
  if (o.metadata !== undefined) {
    if (o.metadata === null || typeof o.metadata !== 'object' || Array.isArray(o.metadata)) throw invalidType('exportOnnx metadata', 'an object of strings', o.metadata);
    for (const [k, v] of Object.entries(o.metadata)) if (typeof v !== 'string') throw invalidType(`exportOnnx metadata.${k}`, 'a string', v);
  }
  return {
    opset,
    dtype,
    output,
    inputName: checkName('exportOnnx inputName', o.inputName, 'input'),
    outputName: checkName('exportOnnx outputName', o.outputName, output),
    classNames: o.classNames,
    metadata: o.metadata,
  };
}

/** Book names of every layer's params and buffers, from the network's own walk (W1, b1, gamma1, running_mean1, …). */
function tensorNames(net: Network): TensorNames {
  const byTensor = new Map<unknown, string>();
  for (const [k, p] of Object.entries(net.namedParams())) byTensor.set(p.value, k);
  for (const [k, t] of Object.entries(net.namedBuffers())) byTensor.set(t, k);
  return (layer: Layer, local: string) => {
    const t = layer.params()[local]?.value ?? layer.buffers()[local];
    return byTensor.get(t) ?? local;
  };
}

/** The loss layer's inference output (output: 'probabilities'). */
function emitProbabilities(b: OnnxBuilder, net: Network, x: Value): Value {
  const type = net.lossLayer.type;
  if (type === 'SoftmaxWithLoss') return { name: b.node('Softmax', [x.name], { axis: -1 }, { name: 'Softmax' }), shape: x.shape };
  if (type === 'SigmoidWithLoss') return { name: b.node('Sigmoid', [x.name], {}, { name: 'Sigmoid' }), shape: x.shape };
  return x;
}

/**
 * The network as ONNX model bytes (inference graph, `opts` as for exportOnnx).
 * @throws {TypeError|RangeError} see exportOnnx
 */
export function encodeOnnx(net: Network, opts: ExportOnnxOptions = {}): Uint8Array {
  if (!(net instanceof Network)) throw invalidType('net', 'a Network', net);
  const o = checkOptions(opts);
  if (o.classNames !== undefined) {
    const classes = net.outputShape().slice(1).reduce((a, d) => a * d, 1);
    const binary = classes === 1 && net.lossLayer.type === 'SigmoidWithLoss' && o.classNames.length === 2; // [negative, positive]
    if (o.classNames.length !== classes && !binary) {
      throw invalidRange('exportOnnx classNames', `${classes} names (one per output of the ${net.type})`, `${o.classNames.length} names`);
    }
  }
  const b = new OnnxBuilder(o.dtype, net.backend);
  const input: Value = { name: b.reserve(o.inputName), shape: [1, ...net.inputShape] };
  const names = tensorNames(net);
  // one group of ONNX nodes per network node, in the network's topological order (a chain, or a graph)
  const values: Value[] = [];
  for (const n of net.nodes) {
    const xs = n.inputs.map((j) => (j === NETWORK_INPUT ? input : values[j]));
    values.push(emitLayer(b, n.layer, xs, names, n.name));
  }
  let x = values[values.length - 1];
  if (o.output === 'probabilities') x = emitProbabilities(b, net, x);
  // the last value takes the output's name (an Identity when it is the input itself)
  const last = b.nodes.length > 0 ? b.nodes[b.nodes.length - 1] : null;
  if (last && last.output![0] === x.name) last.output![0] = b.reserve(o.outputName);
  else b.node('Identity', [x.name], {}, { output: o.outputName });
  const metadata: Record<string, string> = { ...(o.metadata ?? {}), 'simdnet.network': net.type, 'simdnet.config': JSON.stringify(net.config()) };
  if (o.classNames) metadata.class_names = JSON.stringify(o.classNames);
  const model = b.model({
    opset: o.opset,
    graphName: net.type,
    input,
    output: { name: o.outputName, shape: x.shape },
    metadata,
    producerVersion: producerVersion(),
    doc: `${net.type} exported by simdnet (${o.dtype} weights, inference: BatchNormalization uses running statistics, Dropout scales)`,
  });
  return encodeModelProto(model);
}

/**
 * Exports a network as an ONNX model: the inference graph of `net.predict` (logits), with a named float32 input
 * [batch, ...net.inputShape] whose batch dimension is symbolic ('batch'), a named output, and the network's type,
 * config and class names (when given) in the metadata. With a `file`, writes it atomically; returns the bytes.
 * Supported layers: Convolution, Affine, Pooling (max/avg), GlobalAvgPool, GlobalMaxPool, Relu, Sigmoid, Tanh,
 * LeakyReLU, BatchNormalization, Dropout, Flatten, Add, Concatenate, ChannelPad — every layer of the book's
 * networks, Sequential, Graph and ResNet. ONNX nodes are named after the network's nodes.
 *
 * @example
 * const net = new DeepConvNet({ seed: 1 });
 * exportOnnx(net, 'deep_convnet.onnx');                          // opset 17, float32
 * const bytes = exportOnnx(net, { dtype: 'float16', classNames: [...'0123456789'] });
 * @throws {TypeError} net is not a Network, a bad option type
 * @throws {RangeError} an unknown option, an unsupported opset, a layer with no ONNX form, classNames of the
 *   wrong length
 * @throws {Error} file-system errors (the file is written atomically: nothing is left on failure)
 */
export function exportOnnx(net: Network, opts?: ExportOnnxOptions): Uint8Array;
export function exportOnnx(net: Network, file: string, opts?: ExportOnnxOptions): Uint8Array;
export function exportOnnx(net: Network, fileOrOpts?: string | ExportOnnxOptions, maybeOpts?: ExportOnnxOptions): Uint8Array {
  if (typeof fileOrOpts === 'string') {
    if (fileOrOpts.length === 0) throw invalidType('file', 'a file path', fileOrOpts);
    const bytes = encodeOnnx(net, maybeOpts ?? {});
    writeFileAtomic(fileOrOpts, bytes);
    return bytes;
  }
  if (maybeOpts !== undefined) throw invalidType('exportOnnx second argument', 'a file path when options follow', fileOrOpts);
  return encodeOnnx(net, fileOrOpts ?? {});
}
