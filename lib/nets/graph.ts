/**
 * Graph networks: layers joined as a directed acyclic graph (residual sums, concatenated branches), written with
 * symbolic tensors (lib/layers/symbolic.ts) — Keras's functional API:
 *
 *   const x = Input([3, 32, 32]);
 *   const h = new Relu().apply(new Convolution(3, 16, 3, { pad: 1 }).apply(x, 'conv1'), 'relu1');
 *   const y = new Add().apply([h, x0], 'add1');  …
 *   const net = new Graph({ input: x, output: logits, loss: new SoftmaxWithLoss() });
 *
 * Its config (what saveModel stores and the fit() worker rebuilds from) lists the nodes in topological order:
 *
 *   { type: 'Graph', inputShape: [3, 32, 32],
 *     nodes: [ { name: 'conv1', layer: { type: 'Convolution', … }, inputs: ['input'] },
 *              { name: 'add1', layer: { type: 'Add' }, inputs: ['relu2', 'relu1'] }, … ],
 *     output: 'fc', loss: { type: 'SoftmaxWithLoss' }, weightDecayLambda: 0, seed: 0 }
 *
 * 'input' names the network's input. `Graph.fromConfig` accepts the nodes in any order and sorts them; a cycle,
 * an unknown input, a node the output does not use, or shapes that do not fit (Add of different shapes …) are
 * refused with a RangeError naming the node. Parameters are named `<node>.<local>`: conv1.W, conv1.b, bn1.gamma.
 */
import { invalidRange, invalidType } from '../validate';
import { layerFromConfig, type LayerConfig } from '../layers';
import { Layer, LossLayer } from '../layers/layer';
import { checkNodeName, Input, SymbolicTensor } from '../layers/symbolic';
import { Network, NETWORK_INPUT, type NetworkConfig, type NetworkNode, type NetworkOptions } from './network';
import { readOptions } from '../validate';

export interface GraphOptions extends NetworkOptions {
  /** The graph's input: `Input(shape)`. */
  input: SymbolicTensor;
  /** The logits: the output of the last node (`layer.apply(…)`). */
  output: SymbolicTensor;
  /** The loss layer applied to the output (SoftmaxWithLoss, SigmoidWithLoss, MeanSquaredError). */
  loss: LossLayer;
  /** As Sequential's: true (default) initializes every parameter from the seed; false keeps the layers' values. */
  initialize?: boolean;
}

/** One node as the config stores it. */
export interface GraphNodeConfig {
  name: string;
  layer: LayerConfig;
  /** Node names, or 'input'. */
  inputs: string[];
}

const OPTION_KEYS = new Set(['input', 'output', 'loss', 'initialize', 'backend', 'seed', 'weightDecayLambda', 'fuse']);

/**
 * A network whose layers form a directed acyclic graph, from one input to one output, then a loss layer. Forward
 * runs the nodes in topological order; backward sums the gradients of outputs read by several nodes.
 * Nodes not given a name in `apply` are named after their layer type and order (convolution1, add2, …).
 * (Several inputs or outputs: planned as `input: [a, b]` / `output: [y1, y2]` with one loss per output.)
 *
 * @example
 * const x = Input([1, 28, 28]);
 * const a = new Relu().apply(new Convolution(1, 8, 3, { pad: 1 }).apply(x, 'conv1'), 'relu1');
 * const b = new Convolution(8, 8, 3, { pad: 1 }).apply(a, 'conv2');
 * const s = new Relu().apply(new Add().apply([a, b], 'add'), 'relu2');
 * const y = new Affine(10).apply(new GlobalAvgPool().apply(s, 'gap'), 'fc');
 * const net = new Graph({ input: x, output: y, loss: new SoftmaxWithLoss(), seed: 1 });
 * net.namedParams();   // conv1.W, conv1.b, conv2.W, conv2.b, fc.W, fc.b
 * console.log(net.summary());
 * @throws {TypeError|RangeError} a missing or bad option (unknown keys included), an output that does not depend
 *   on the input, or another Input on the way
 */
export class Graph extends Network {
  readonly type: string = 'Graph';

  constructor(opts: GraphOptions) {
    if (opts === null || typeof opts !== 'object') throw invalidType('Graph options', 'an object { input, output, loss }', opts);
    readOptions('Graph', opts, [...OPTION_KEYS]);
    const { input, output, loss } = opts;
    if (!(input instanceof SymbolicTensor) || input.layer !== null) throw invalidType('Graph input', 'the SymbolicTensor Input(shape) returned', input);
    if (!(output instanceof SymbolicTensor)) throw invalidType('Graph output', 'a SymbolicTensor (layer.apply(…))', output);
    if (output.layer === null) throw invalidRange('Graph output', 'the output of a layer', 'the input itself');
    if (!(loss instanceof LossLayer)) throw invalidType('Graph loss', 'a loss layer (SoftmaxWithLoss, SigmoidWithLoss, MeanSquaredError)', loss);
    super({ nodes: collectNodes(input, output), loss }, input.shape, opts, opts.initialize ?? true, 'node');
  }

  config(): NetworkConfig {
    return {
      type: this.type,
      inputShape: [...this.inputShape],
      nodes: graphNodeConfigs(this.nodes),
      output: this.nodes[this.nodes.length - 1].name,
      loss: this.lossLayer.config(),
      weightDecayLambda: this.weightDecayLambda,
      seed: this.seed,
    };
  }

  /**
   * Rebuilds a graph from `config()` (nodes in any order).
   * @throws {TypeError|RangeError} a malformed config; a cycle, an unknown input, a node the output does not
   *   read, a shape mismatch (at Add, Concatenate or any layer) — each naming the node
   */
  static fromConfig(cfg: NetworkConfig, opts: NetworkOptions = {}): Graph {
    const { input, output, loss } = symbolicFromConfig(cfg, opts);
    return new Graph({
      input, output, loss,
      weightDecayLambda: (cfg.weightDecayLambda as number | undefined) ?? 0,
      seed: opts.seed ?? (cfg.seed as number | undefined) ?? 0,
      backend: opts.backend,
      ...(opts.fuse === undefined ? {} : { fuse: opts.fuse }),
    });
  }
}

/** The config of every node: its name, its layer's config, its inputs by name ('input' for the network's). */
export function graphNodeConfigs(nodes: readonly NetworkNode[]): GraphNodeConfig[] {
  return nodes.map((n) => ({
    name: n.name,
    layer: n.layer.config() as LayerConfig,
    inputs: n.inputs.map((j) => (j === NETWORK_INPUT ? 'input' : nodes[j].name)),
  }));
}

/** The nodes `output` depends on, in creation order (a topological order), named; checks they reach `input`. */
function collectNodes(input: SymbolicTensor, output: SymbolicTensor): NetworkNode[] {
  const seen = new Map<number, SymbolicTensor>();
  const stack = [output];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t === input || seen.has(t.id)) continue;
    if (t.layer === null) throw invalidRange('Graph output', 'a value computed from the Graph input only', `one that also reads another Input(${t.shape.join(', ')})`);
    seen.set(t.id, t);
    for (const s of t.inputs) stack.push(s);
  }
  const order = [...seen.values()].sort((a, b) => a.id - b.id);
  const names = new Set<string>();
  for (const t of order) {
    if (t.name === undefined) continue;
    if (names.has(t.name)) throw invalidRange('Graph', 'distinct node names', `two nodes named '${t.name}'`);
    names.add(t.name);
  }
  const counts = new Map<string, number>();
  const nameOf = new Map<number, string>();
  const index = new Map<number, number>();
  for (const t of order) {
    let name = t.name;
    while (name === undefined || (t.name === undefined && names.has(name))) {
      const base = t.layer!.type.toLowerCase();
      const k = (counts.get(base) ?? 0) + 1;
      counts.set(base, k);
      name = `${base}${k}`;
    }
    names.add(name);
    nameOf.set(t.id, name);
    index.set(t.id, index.size);
  }
  return order.map((t) => ({
    name: nameOf.get(t.id)!,
    layer: t.layer as Layer,
    inputs: t.inputs.map((s) => (s === input ? NETWORK_INPUT : index.get(s.id)!)),
  }));
}

/** Parses a Graph config into symbolic tensors: checks names and inputs, sorts topologically, applies layers. */
function symbolicFromConfig(cfg: NetworkConfig, opts: NetworkOptions): { input: SymbolicTensor; output: SymbolicTensor; loss: LossLayer } {
  const nodes = cfg.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) throw invalidType('Graph config nodes', 'a non-empty array of { name, layer, inputs }', nodes);
  if (!Array.isArray(cfg.inputShape)) throw invalidType('Graph config inputShape', 'an array of dimensions', cfg.inputShape);
  const byName = new Map<string, { i: number; inputs: string[]; layer: LayerConfig }>();
  nodes.forEach((n: unknown, i: number) => {
    const o = n as Record<string, unknown>;
    if (o === null || typeof o !== 'object') throw invalidType(`Graph config nodes[${i}]`, 'an object { name, layer, inputs }', n);
    const name = checkNodeName(`Graph config nodes[${i}].name`, o.name);
    if (byName.has(name)) throw invalidRange(`Graph config node '${name}'`, 'a unique name', `a second node named '${name}'`);
    if (!Array.isArray(o.inputs) || o.inputs.length === 0 || o.inputs.some((s) => typeof s !== 'string')) {
      throw invalidType(`Graph config node '${name}' inputs`, "a non-empty array of node names (or 'input')", o.inputs);
    }
    if (o.layer === null || typeof o.layer !== 'object') throw invalidType(`Graph config node '${name}' layer`, 'a layer config { type, … }', o.layer);
    byName.set(name, { i, inputs: o.inputs as string[], layer: o.layer as LayerConfig });
  });
  for (const [name, n] of byName) {
    for (const s of n.inputs) {
      if (s !== 'input' && !byName.has(s)) throw invalidRange(`Graph config node '${name}' input`, "the name of a node of the graph or 'input'", `'${s}', which no node is named`);
    }
  }
  const outName = cfg.output;
  if (typeof outName !== 'string' || !byName.has(outName)) throw invalidRange('Graph config output', 'the name of a node of the graph', JSON.stringify(outName));
  // Kahn's algorithm, taking ready nodes in the order the config lists them.
  const pending = new Map<string, number>();
  for (const [name, n] of byName) pending.set(name, n.inputs.filter((s) => s !== 'input').length);
  const readers = new Map<string, string[]>();
  for (const [name, n] of byName) for (const s of n.inputs) if (s !== 'input') (readers.get(s) ?? readers.set(s, []).get(s)!).push(name);
  const order: string[] = [];
  const ready = [...byName.keys()].filter((k) => pending.get(k) === 0);
  while (ready.length > 0) {
    ready.sort((a, b) => byName.get(a)!.i - byName.get(b)!.i);
    const k = ready.shift()!;
    order.push(k);
    for (const r of readers.get(k) ?? []) {
      const left = pending.get(r)! - 1;
      pending.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  if (order.length < byName.size) {
    // Walk back from a node left over through inputs also left over: the walk must close a cycle.
    const done = new Set(order);
    const path: string[] = [];
    let k = [...byName.keys()].find((n) => !done.has(n))!;
    while (!path.includes(k)) {
      path.push(k);
      k = byName.get(k)!.inputs.find((s) => s !== 'input' && !done.has(s))!;
    }
    const loop = path.slice(path.indexOf(k)).reverse();
    const first = loop.reduce((m, n, i) => (byName.get(n)!.i < byName.get(loop[m])!.i ? i : m), 0); // start where the config lists first
    const cycle = [...loop.slice(first), ...loop.slice(0, first)];
    throw invalidRange('Graph config', 'an acyclic graph', `a cycle: ${[...cycle, cycle[0]].map((s) => `'${s}'`).join(' -> ')}`);
  }
  // Every node must lead to the output.
  const live = new Set<string>([outName]);
  for (let i = order.length - 1; i >= 0; i--) if (live.has(order[i])) for (const s of byName.get(order[i])!.inputs) live.add(s);
  for (const k of order) if (!live.has(k)) throw invalidRange(`Graph config node '${k}'`, 'a node the output depends on', 'a node the output does not read');
  const input = Input(cfg.inputShape as number[]);
  const made = new Map<string, SymbolicTensor>([['input', input]]);
  for (const k of order) {
    const n = byName.get(k)!;
    let layer: Layer;
    try {
      layer = layerFromConfig(n.layer, { backend: opts.backend });
    } catch (err) {
      const e = err as Error;
      throw new (e instanceof TypeError ? TypeError : RangeError)(`Graph config node '${k}': ${e.message}`);
    }
    const ins = n.inputs.map((s) => made.get(s)!);
    made.set(k, layer.apply(ins.length === 1 && !('outputShapeMany' in layer) ? ins[0] : ins, k));
  }
  const lossCfg = cfg.loss as LayerConfig;
  let loss: Layer;
  try {
    loss = layerFromConfig(lossCfg, { backend: opts.backend });
  } catch (err) {
    const e = err as Error;
    throw new (e instanceof TypeError ? TypeError : RangeError)(`Graph config loss: ${e.message}`);
  }
  if (!(loss instanceof LossLayer)) throw invalidType('Graph config loss', 'a loss layer config (SoftmaxWithLoss, …)', lossCfg);
  return { input, output: made.get(outName)!, loss };
}
