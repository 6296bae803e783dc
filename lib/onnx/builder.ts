/**
 * Builds an ONNX graph: nodes in topological order, initializers, unique value names, and the ModelProto around
 * them. Exporters (lib/onnx/emit.ts) add one group of nodes per simdnet layer; a graph network adds its merge
 * nodes (Add, Concat) the same way, from any earlier value names.
 */
import type { Backend } from '../backend/types';
import { DataType, type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto';
import { float16Tensor, float32Tensor, int64Tensor } from './tensor';

/** The opsets simdnet writes, and the IR version each needs (the lowest that carries that opset). */
export const OPSET_IR_VERSION: Readonly<Record<number, number>> = Object.freeze({ 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 });
export const DEFAULT_OPSET = 17;

/** Marks nodes that stand for a simdnet layer with no ONNX equivalent (Dropout), so import restores the layer. */
export const LAYER_MARK = 'simdnet:';

export type AttrValue = number | readonly number[] | string | { float: number };

function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'string') return { name, type: 3, s: Buffer.from(v, 'utf8') };
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (Array.isArray(v)) return { name, type: 7, ints: [...v] };
  return { name, type: 1, f: (v as { float: number }).float };
}

/** A value in the graph being built: its name and its shape with the batch as 1. */
export interface Value {
  name: string;
  shape: readonly number[];
}

export class OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();

  constructor(
    readonly dtype: 'float32' | 'float16',
    private readonly backend: Backend,
  ) {}

  /** A name not used yet: `base`, else base_2, base_3, … */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Reserves a name the caller chose (graph input); throws if taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new RangeError(`ONNX export: the name '${name}' is used twice`);
    this.used.add(name);
    return name;
  }

  /**
   * A learned tensor (W, b, gamma, beta): float32, or with dtype 'float16' stored as IEEE half and widened by a
   * Cast node (the model computes in float32 on the rounded weights, as simdnet's toFloat16 networks do).
   */
  param(name: string, shape: readonly number[], data: Float32Array): string {
    if (this.dtype === 'float32') return this.constant(name, shape, data);
    const out = this.fresh(name);
    const stored = this.fresh(`${name}_float16`);
    this.initializers.push(float16Tensor(stored, shape, data, this.backend));
    this.nodes.push({ name: this.fresh(`Cast_${name}`), opType: 'Cast', input: [stored], output: [out], attribute: [attribute('to', DataType.FLOAT)] });
    return out;
  }

  /** A float32 initializer (running statistics, scales: kept in float32 in both variants). */
  constant(name: string, shape: readonly number[], data: Float32Array): string {
    const n = this.fresh(name);
    this.initializers.push(float32Tensor(n, shape, data));
    return n;
  }

  /** An int64 initializer (Reshape shapes). */
  ints(name: string, values: readonly number[]): string {
    const n = this.fresh(name);
    this.initializers.push(int64Tensor(n, values));
    return n;
  }

  /** Adds a node; returns its (single) output's name. */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, opts: { name?: string; output?: string; doc?: string } = {}): string {
    const output = opts.output !== undefined ? this.reserve(opts.output) : this.fresh(`${opts.name ?? opType}_out`);
    const node: NodeProto = {
      name: this.fresh(opts.name ?? opType),
      opType,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    };
    if (opts.doc !== undefined) node.docString = opts.doc;
    this.nodes.push(node);
    return output;
  }

  /** The model: one float32 input and output with a symbolic batch dimension 'batch'. */
  model(opts: {
    opset: number;
    graphName: string;
    input: Value;
    output: Value;
    metadata: Record<string, string>;
    producerVersion: string;
    doc: string;
  }): ModelProto {
    const info = (v: Value): ValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: DataType.FLOAT,
          shape: { dim: v.shape.map((d, i) => (i === 0 ? { dimParam: 'batch' } : { dimValue: d })) },
        },
      },
    });
    return {
      irVersion: OPSET_IR_VERSION[opts.opset],
      opsetImport: [{ domain: '', version: opts.opset }],
      producerName: 'simdnet',
      producerVersion: opts.producerVersion,
      docString: opts.doc,
      graph: {
        name: opts.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: [info(opts.input)],
        output: [info(opts.output)],
      },
      metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
    };
  }
}
