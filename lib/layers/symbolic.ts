/**
 * Symbolic tensors: the values a graph network is written with (Keras's functional API). `Input(shape)` starts a
 * graph; `layer.apply(x)` (or `layer.apply([a, b])` for Add / Concatenate) records one node and returns its output,
 * whose shape is checked and known at once; `new Graph({ input, output })` (lib/nets/graph.ts) collects the nodes
 * the output depends on. Shapes here are per sample: no batch dimension.
 */
import { invalidRange, invalidType } from '../validate';
import type { Layer } from './layer';
import { shapeStr } from './util';

let nextId = 0;
/** Layers already recorded in a graph: a layer instance is one node (weight sharing is not supported). */
const applied = new WeakSet<Layer>();

/** A node name: letters, digits, '_', '-', '/', starting with a letter ("conv1", "stage2/block1/conv1"). */
export const NODE_NAME = /^[A-Za-z][A-Za-z0-9_\-/]{0,127}$/;

export function checkNodeName(who: string, name: unknown): string {
  if (typeof name !== 'string') throw invalidType(who, 'a node name (string)', name);
  if (!NODE_NAME.test(name) || name === 'input') {
    throw invalidRange(who, "a name of letters, digits, '_', '-' or '/', starting with a letter, at most 128 characters, not 'input'", JSON.stringify(name));
  }
  return name;
}

/**
 * The output of a node of a graph being written: its per-sample shape, the layer that makes it and that layer's
 * inputs (none for the graph's input).
 */
export class SymbolicTensor {
  /** Creation order: every input of a node was created before it, so sorting by id is a topological order. */
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly layer: Layer | null;
  readonly inputs: readonly SymbolicTensor[];
  /** The node's name (given to `apply`), or undefined: the Graph names it after its layer type. */
  readonly name: string | undefined;

  constructor(shape: readonly number[], layer: Layer | null, inputs: readonly SymbolicTensor[], name: string | undefined) {
    this.shape = Object.freeze([...shape]);
    this.layer = layer;
    this.inputs = Object.freeze([...inputs]);
    this.name = name;
  }

  toString(): string {
    return `SymbolicTensor(${this.name ?? this.layer?.type ?? 'input'}, ${shapeStr(this.shape)})`;
  }
}

/**
 * The input of a graph network: one sample's shape, e.g. [3, 32, 32] or [784].
 *
 * @example
 * const x = Input([1, 28, 28]);
 * @throws {TypeError|RangeError} shape is not a non-empty array of positive integers
 */
export function Input(shape: readonly number[]): SymbolicTensor {
  if (!Array.isArray(shape) || shape.length === 0) throw invalidType('Input shape', 'a non-empty array of dimensions, e.g. [1, 28, 28]', shape);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) throw invalidRange(`Input shape[${i}]`, 'a positive integer', d);
  });
  return new SymbolicTensor(shape, null, [], undefined);
}

/** Layer.apply: checks the inputs, fixes the layer's inferred sizes, computes the output shape. */
export function applyLayer(layer: Layer, x: SymbolicTensor | readonly SymbolicTensor[], name?: string): SymbolicTensor {
  const many = Array.isArray(x);
  const merge = typeof (layer as unknown as { outputShapeMany?: unknown }).outputShapeMany === 'function';
  const who = name === undefined ? `${layer.type}.apply` : `node '${name}' (${layer.type})`;
  if (name !== undefined) checkNodeName(`${layer.type}.apply name`, name);
  const xs: SymbolicTensor[] = many ? [...(x as SymbolicTensor[])] : [x as SymbolicTensor];
  xs.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) throw invalidType(many ? `${who} input ${i}` : `${who} input`, 'a SymbolicTensor (from Input() or layer.apply())', t);
  });
  if (merge && !many) throw invalidType(`${who} input`, `an array of inputs ([a, b, …]): ${layer.type} joins branches`, x);
  if (!merge && many) throw invalidType(`${who} input`, `one SymbolicTensor (${layer.type} takes one input)`, x);
  if ((layer as unknown as { isLoss?: boolean }).isLoss) {
    throw invalidType(`${who}`, 'a non-loss layer (a graph takes its loss layer as the Graph option `loss`)', layer);
  }
  if (applied.has(layer)) {
    throw invalidRange(who, 'a layer instance not yet in a graph (each node has its own layer: weights are not shared)', `a ${layer.type} already applied`);
  }
  let shape: number[];
  try {
    const batched = xs.map((t) => [1, ...t.shape]);
    if (merge) {
      shape = (layer as unknown as { outputShapeMany(s: number[][]): number[] }).outputShapeMany(batched);
    } else {
      layer.build(batched[0]);
      shape = layer.outputShape(batched[0]);
    }
  } catch (err) {
    const e = err as Error;
    const Ctor = e instanceof TypeError ? TypeError : RangeError;
    throw new Ctor(`${who}: ${e.message}`);
  }
  applied.add(layer);
  return new SymbolicTensor(shape.slice(1), layer, xs, name);
}
