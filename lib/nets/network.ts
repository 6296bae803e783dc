/**
 * The base of every network: a directed acyclic graph of layer nodes in topological order, ending in a loss layer,
 * with the book's methods (predict, loss, accuracy, gradient, numerical_gradient). A chain of layers (Sequential,
 * the book's networks) is the graph whose node i reads node i − 1: one code path runs both.
 * Parameter names are found by walking the nodes: the book's (W1, b1, W2, …; gamma1, beta1, …; running_mean1, …)
 * for chains, `<node>.<local>` (conv1.W, bn1.running_mean) for graphs written with names (lib/nets/graph.ts).
 */
import { getBackend } from '../backend';
import { checkBackend } from '../backend/check';
import type { Backend } from '../backend/types';
import { checkInt, checkNumber, checkShape, invalidRange, invalidType } from '../validate';
import { Relu } from '../layers/activations';
import { BatchNormalization } from '../layers/batchnorm';
import { Convolution } from '../layers/conv';
import { Layer, LossLayer, type Param, type Target } from '../layers/layer';
import { Add, MergeLayer } from '../layers/merge';
import { PoolBase } from '../layers/pool';
import { reuse, sameShape, shapeStr } from '../layers/util';
import { accuracyKind, binaryTargets, checkLabels, countCorrect, targetClasses, type AccuracyKind } from '../metrics/accuracy';
import { evaluate as evaluateNetwork, type EvaluateOptions, type EvaluateResult } from '../metrics/evaluate';
import { Rng } from '../rng';
import { foldConvBatchNorm, inferencePlan, type ConvInference } from './inference';
import { numericalGradientOf } from './numerical';
import { predictClasses as predictClassesOf, predictProba as predictProbaOf } from './predict';
import { formatSummary } from './summary';
import { Tensor } from '../tensor';

export type { Target } from '../layers/layer';
export { targetLabels } from '../metrics/accuracy';

/** Options every network takes. */
export interface NetworkOptions {
  /** Backend the layers run on (default: getBackend()). */
  backend?: Backend;
  /** Seed of the network's Rng, used for weight init and dropout masks (default 0). */
  seed?: number;
  /** λ of the book's L2 weight decay: loss += 0.5·λ·Σ‖W‖², dW += λ·W (default 0). */
  weightDecayLambda?: number;
  /**
   * Fuse each Convolution or BatchNormalization immediately followed by a Relu: the layer applies the ReLU in
   * its own pass (and masks the gradient in its backward) and the Relu layer passes through. Same results bit for bit,
   * fewer passes over memory. At inference (training false), a Convolution (with its fused Relu) read only by a
   * max Pooling runs with it as one op (Backend.convMaxPoolForward), and two such Convolutions in a row before it
   * (a VGG block) as one op too (Backend.convConvMaxPoolForward): the same bits, the convolutions' outputs never
   * written — except that on the native backend those inference ops take Winograd F(4x4, 3x3) for 3x3 convolutions
   * with 8 or more channels and filters, C·F >= 128 (convPlan's `inference`; SIMDNET_WINOGRAD=0 turns it off), within its rounding
   * (relative error ~1e-5 of the largest output); those nodes' outputs are then absent from nodeOutputs(). In training
   * the Convolution (+ Relu) + max Pooling runs as one op too (keeping the pool's argmax; always the direct forward,
   * bit-identical), and the pool's backward inside the Convolution's (Backend.convMaxPoolBackward: neither the
   * convolution's output nor the pool's input gradient is written). Also at inference, a Convolution read only by a
   * per-channel BatchNormalization runs with the BN folded into its weights (W·γ/σ and (b − μ)·γ/σ + β, from the
   * current weights and running statistics at every call; the same outputs up to float32 rounding, not bit for
   * bit), with the ReLU after the BN in its epilogue; and a Convolution (after its folded BN) read only by an Add of
   * two inputs computes the sum, and the Relu after it, in its epilogue (Backend.convInferenceForward: the same bits
   * as the Add and Relu; these inference convolutions take Winograd where the pool-chain ops do). The nodes fused
   * away have no output in nodeOutputs() after an inference forward, and `backward` needs a training forward first.
   * Default true, unless the environment sets SIMDNET_FUSE=0; false runs every node as written (layer-by-layer
   * inference, input gradients of a network in inference mode). Not part of config().
   */
  fuse?: boolean;
}

/** JSON description of a network; `networkFromConfig` (lib/nets/index.ts) rebuilds it. */
export type NetworkConfig = { type: string } & Record<string, unknown>;

/** The network's input, as a node index in `NetworkNode.inputs`. */
export const NETWORK_INPUT = -1;

/** One node of a network: a layer, the nodes it reads (indices of earlier nodes, or NETWORK_INPUT), a name. */
export interface NetworkNode {
  readonly name: string;
  readonly layer: Layer;
  /** Indices of earlier nodes (or NETWORK_INPUT = −1); several for a MergeLayer (Add, Concatenate). */
  readonly inputs: readonly number[];
}

/** A network written as a graph: its nodes in topological order; the last node's output feeds `loss`. */
export interface GraphSpec {
  nodes: readonly NetworkNode[];
  loss: LossLayer;
}

/** How parameters are named: 'book' (W1, b1, gamma1, … numbered in node order) or 'node' (conv1.W, bn1.gamma). */
export type ParamNaming = 'book' | 'node';

/**
 * A network: `nodes` in topological order (a chain for the book's networks and Sequential), then a LossLayer (the
 * book's `last_layer`); `layers` lists the nodes' layers and the loss layer last.
 *
 * Parameters are named as the book names them, by walking the layers: every layer with a weight `W`
 * (Convolution, Affine) is numbered 1, 2, … in order and contributes `W<i>`, `b<i>`; every
 * BatchNormalization is numbered separately and contributes `gamma<j>`, `beta<j>` (params) and
 * `running_mean<j>`, `running_var<j>` (buffers).
 *
 * Buffers: layers reuse their outputs between calls while the batch shape repeats; `predict` returns a copy,
 * `gradient` returns the live gradient tensors (overwritten by the next call).
 *
 * @example
 * const net = new SimpleConvNet({ seed: 1 });
 * const grads = net.gradient(x, labels);     // { W1, b1, W2, b2, W3, b3 }
 * const p = net.namedParams();
 * for (const k in grads) backend.axpy(-0.01, grads[k].data, p[k].value.data);
 * @throws {TypeError|RangeError} on bad constructor options or inputs of the wrong shape
 */
export abstract class Network {
  abstract readonly type: string;
  /** The nodes' layers in node order, then the loss layer. */
  readonly layers: Layer[];
  /** The graph: every node's layer, inputs and name, in topological order; the last node is the output. */
  readonly nodes: readonly NetworkNode[];
  readonly seed: number;
  /** The network's random stream (init, then dropout masks). */
  readonly rng: Rng;
  weightDecayLambda: number;
  /** The loss of the last `gradient` call (with weight decay). */
  lastLoss = NaN;
  /** Whether Convolution→Relu pairs run fused (NetworkOptions.fuse). */
  readonly fused: boolean;
  /** How parameters are named (see ParamNaming). */
  readonly paramNaming: ParamNaming;
  private backendRef: Backend;
  private inShape?: readonly number[];
  private readonly initializeOnBuild: boolean;
  /** How many node inputs read each node's output (edges: Add(x, x) counts 2). */
  private readonly consumers: number[];
  /**
   * Per Convolution node feeding a max pool through nothing but its fused Relu: [relu node or -1, pool node]. The
   * three run as one op (Convolution.forwardMaxPool; in training with the pool's argmax kept, and their backward as
   * one op, Convolution.backwardMaxPool); the convolution's and Relu's outputs are then not kept.
   */
  private readonly poolChains: ([number, number] | undefined)[] = [];
  /**
   * Per Convolution node feeding (through nothing but its fused Relu) a Convolution that starts a pool chain:
   * [relu node or -1, that convolution's node]. At inference the five run as one op (Convolution.forwardConvMaxPool).
   */
  private readonly convPoolChains: ([number, number] | undefined)[] = [];
  /** Per max-pool node ending a pool chain: [its convolution's node, the fused Relu's node or -1] (training backward). */
  private readonly poolHeads: ([number, number] | undefined)[] = [];
  /**
   * Per node, at inference: the convolution (with a folded BatchNormalization and/or a residual sum) that runs at
   * this node, or 'skip' for the nodes it covers (lib/nets/inference.ts).
   */
  private readonly inference: (ConvInference | 'skip' | undefined)[];
  /** Per Convolution node with a folded BatchNormalization: the folded weights, rewritten at each inference. */
  private readonly foldedWeights: ({ w: Float32Array; b: Float32Array } | undefined)[] = [];
  /** Whether the last forward was an inference forward that ran fused or folded nodes (backward refuses it). */
  private fusedInference = false;
  /** Per node: its latest forward output, and the summed gradient of that output (several consumers). */
  private outs: Tensor[] = [];
  private gradAcc: (Tensor | undefined)[] = [];

  /**
   * `layers`: a chain (each layer reads the previous one; the last one a loss layer), or a GraphSpec.
   * `inputShape` undefined: the network is built on the first `build(inputShape)` or forward (Sequential only).
   */
  protected constructor(
    layers: Layer[] | GraphSpec,
    inputShape: readonly number[] | undefined,
    opts: NetworkOptions = {},
    initialize = true,
    paramNaming: ParamNaming = 'book',
  ) {
    const spec = Array.isArray(layers) ? chainSpec(layers) : checkSpec(layers);
    const seed = checkInt('seed', opts.seed ?? 0, 0, 0xffffffff);
    this.weightDecayLambda = checkNumber('weightDecayLambda', opts.weightDecayLambda ?? 0, { min: 0 });
    const fuse = opts.fuse ?? process.env.SIMDNET_FUSE !== '0';
    if (typeof fuse !== 'boolean') throw invalidType('fuse', 'a boolean', fuse);
    this.fused = fuse;
    this.paramNaming = paramNaming;
    this.nodes = Object.freeze(spec.nodes.map((n) => Object.freeze({ name: n.name, layer: n.layer, inputs: Object.freeze([...n.inputs]) })));
    this.layers = [...spec.nodes.map((n) => n.layer), spec.loss];
    this.seed = seed;
    this.rng = new Rng(seed);
    this.backendRef = opts.backend === undefined ? getBackend() : checkBackend('backend', opts.backend);
    for (const l of this.layers) {
      l.backend = this.backendRef;
      l.useRng(this.rng);
    }
    this.consumers = new Array<number>(this.nodes.length).fill(0);
    this.nodes.forEach((n) => n.inputs.forEach((j) => j >= 0 && this.consumers[j]++));
    this.consumers[this.nodes.length - 1]++; // the loss layer
    this.nodes.forEach((n, i) => {
      if (this.consumers[i] === 0) throw invalidRange(`node '${n.name}'`, 'a node the output depends on', 'a node no other node reads (a dead branch)');
    });
    this.nodes.forEach((n, i) => {
      // Nobody needs the gradient of the network input: layers reading only it skip dx.
      n.layer.needInputGrad = n.inputs.some((j) => j !== NETWORK_INPUT);
      // A Convolution whose only reader is a Relu applies it in its epilogue (the Relu passes through).
      const a = n.layer;
      // So does a BatchNormalization (BN + ReLU in one pass, forward and backward).
      // And an Add (the residual sum + ReLU in one pass).
      if ((a instanceof Convolution || a instanceof BatchNormalization || a instanceof Add) && this.consumers[i] === 1) {
        const reader = this.nodes.find((m) => m.inputs.includes(i));
        if (reader && reader.layer instanceof Relu && reader.inputs.length === 1) {
          a.fusedRelu = fuse;
          reader.layer.passThrough = fuse;
        }
      }
    });
    // Convolution (-> its fused Relu) -> max pool, each read only by the next, run as one op (backward too in training).
    const onlyReader = (i: number): number => {
      if (this.consumers[i] !== 1) return -1;
      const j = this.nodes.findIndex((m) => m.inputs.includes(i));
      return j >= 0 && this.nodes[j].inputs.length === 1 ? j : -1;
    };
    // A convolution's only reader, skipping its fused Relu: [the Relu's index or -1, the next node's or -1].
    const afterConv = (i: number): [number, number] => {
      const n = this.nodes[i];
      if (!fuse || !(n.layer instanceof Convolution)) return [-1, -1];
      const j = onlyReader(i);
      if (j >= 0 && this.nodes[j].layer instanceof Relu && n.layer.fusedRelu) return [j, onlyReader(j)];
      return [-1, j];
    };
    this.nodes.forEach((_, i) => {
      const [relu, j] = afterConv(i);
      if (j >= 0 && this.nodes[j].layer instanceof PoolBase && (this.nodes[j].layer as PoolBase).mode === 'max') {
        this.poolChains[i] = [relu, j];
        this.poolHeads[j] = [i, relu];
      }
    });
    this.nodes.forEach((_, i) => {
      const [relu, j] = afterConv(i);
      if (j >= 0 && this.poolChains[j]) this.convPoolChains[i] = [relu, j];
    });
    this.inference = inferencePlan(this.nodes, this.consumers, fuse);
    this.initializeOnBuild = initialize;
    if (inputShape !== undefined) this.build(inputShape);
  }

  /** Whether the input shape (and so every inferred size) is fixed. */
  get built(): boolean {
    return this.inShape !== undefined;
  }

  /** Shape of one sample (without the batch dimension), e.g. [1, 28, 28] or [784]. */
  get inputShape(): readonly number[] {
    if (this.inShape === undefined) throw new Error(`${this.type}: not built yet: call build(inputShape) or run a forward first (the input shape fixes the inferred sizes)`);
    return this.inShape;
  }

  /**
   * Fixes the input shape (one sample, no batch dimension): the layers infer their sizes (Affine(outputSize)),
   * every node's shape is checked, and the parameters are initialized from the seed. A network built with an
   * inputShape is built already; building again with the same shape does nothing.
   * @throws {TypeError|RangeError} a bad shape, another shape than the network's, or nodes whose shapes do not
   *   fit (naming the node)
   */
  build(inputShape: readonly number[]): void {
    checkShape('inputShape', inputShape);
    if (this.inShape !== undefined) {
      if (!sameShape(this.inShape, inputShape)) throw invalidRange(`${this.type} build inputShape`, `the shape it was built with, ${shapeStr(this.inShape)}`, shapeStr(inputShape));
      return;
    }
    this.nodeShapes([1, ...inputShape], true); // validates every node (RangeError naming the node that does not fit)
    this.inShape = Object.freeze([...inputShape]);
    if (this.initializeOnBuild) for (const l of this.layers) l.initialize(this.rng);
  }

  /** Every node's output shape for a batched input shape; `build` lets layers fix inferred sizes first. */
  protected nodeShapes(inputShape: readonly number[], build = false): number[][] {
    const shapes: number[][] = [];
    const at = (j: number) => (j === NETWORK_INPUT ? [...inputShape] : shapes[j]);
    this.nodes.forEach((n, i) => {
      try {
        if (n.layer instanceof MergeLayer) {
          shapes.push(n.layer.outputShapeMany(n.inputs.map(at)));
        } else {
          if (build) n.layer.build(at(n.inputs[0]));
          shapes.push(n.layer.outputShape(at(n.inputs[0])));
        }
      } catch (err) {
        if (this.paramNaming === 'book') throw err; // chains: the layers' own messages, as they always were
        const e = err as Error;
        const Ctor = e instanceof TypeError ? TypeError : RangeError;
        throw new Ctor(`node '${n.name}' (${n.layer.type}): ${e.message}`);
      }
    });
    return shapes;
  }

  get backend(): Backend {
    return this.backendRef;
  }

  /** Moves every layer to another backend (the weights stay where they are: plain Float32Arrays). */
  setBackend(backend: Backend): void {
    this.backendRef = checkBackend('backend', backend);
    for (const l of this.layers) l.backend = backend;
  }

  /** The loss layer (the book's last_layer). */
  get lossLayer(): LossLayer {
    return this.layers[this.layers.length - 1] as LossLayer;
  }

  /** The logits' shape for an input of `inputShape` (default: one sample). */
  outputShape(inputShape: readonly number[] = [1, ...this.inputShape]): number[] {
    const shapes = this.nodeShapes(inputShape);
    return shapes[shapes.length - 1];
  }

  /** The logits (no softmax, like the book's predict), as a new tensor. */
  predict(x: Tensor, training = false): Tensor {
    return this.forward(x, training).clone();
  }

  /** The logits in the last node's own (reused) buffer. Nodes run in topological order. */
  forward(x: Tensor, training: boolean): Tensor {
    if (!this.built && x instanceof Tensor && x.rank >= 2) this.build(x.shape.slice(1));
    this.checkInput(x);
    const outs = this.outs;
    const nodes = this.nodes;
    let skip: Set<number> | undefined;
    this.fusedInference = false;
    for (let i = 0; i < nodes.length; i++) {
      if (skip?.has(i)) continue;
      const n = nodes[i];
      const ins = n.inputs;
      const step = training ? undefined : this.inference[i];
      if (step !== undefined) {
        this.fusedInference = true;
        if (step !== 'skip') this.runConvInference(step, x);
        continue;
      }
      const pair = training ? undefined : this.convPoolChains[i];
      if (pair) {
        const [relu1, conv2] = pair;
        const [relu2, pool] = this.poolChains[conv2]!;
        const z = (n.layer as Convolution).forwardConvMaxPool(ins[0] === NETWORK_INPUT ? x : outs[ins[0]], nodes[conv2].layer as Convolution, nodes[pool].layer as PoolBase);
        if (z) {
          skip ??= new Set();
          for (const j of [relu1, conv2, relu2]) {
            if (j < 0) continue;
            skip.add(j);
            outs[j] = undefined as unknown as Tensor;
          }
          skip.add(pool);
          outs[i] = undefined as unknown as Tensor;
          outs[pool] = z;
          this.fusedInference = true;
          continue;
        }
      }
      const chain = this.poolChains[i];
      if (chain) {
        const [relu, pool] = chain;
        const z = (n.layer as Convolution).forwardMaxPool(ins[0] === NETWORK_INPUT ? x : outs[ins[0]], nodes[pool].layer as PoolBase, training);
        if (z) {
          (skip ??= new Set()).add(pool);
          if (relu >= 0) skip.add(relu);
          outs[i] = undefined as unknown as Tensor;
          if (relu >= 0) outs[relu] = undefined as unknown as Tensor;
          outs[pool] = z;
          if (!training) this.fusedInference = true; // training keeps the argmax: backward runs fused
          continue;
        }
      }
      if (n.layer instanceof MergeLayer) {
        outs[i] = n.layer.forwardMany(ins.map((j) => (j === NETWORK_INPUT ? x : outs[j])), training);
      } else {
        outs[i] = n.layer.forward(ins[0] === NETWORK_INPUT ? x : outs[ins[0]], training);
      }
    }
    return outs[nodes.length - 1];
  }

  /**
   * One step of the inference plan: the convolution with its BatchNormalization folded in (weights folded now, from
   * the current values) and/or the residual sum and ReLU in its epilogue; its output becomes the output of `p.out`.
   */
  private runConvInference(p: ConvInference, x: Tensor): void {
    const nodes = this.nodes;
    const outs = this.outs;
    const at = (j: number): Tensor => (j === NETWORK_INPUT ? x : outs[j]);
    const conv = nodes[p.conv].layer as Convolution;
    let w = conv.W.value.data;
    let b = conv.b.value.data;
    if (p.bn >= 0) {
      const f = (this.foldedWeights[p.conv] ??= { w: new Float32Array(w.length), b: new Float32Array(conv.filterNum) });
      foldConvBatchNorm(conv, nodes[p.bn].layer as BatchNormalization, f.w, f.b);
      w = f.w;
      b = f.b;
    }
    const y = conv.forwardInference(at(nodes[p.conv].inputs[0]), w, b, p.relu, p.add >= 0 ? at(p.residual) : null);
    for (const j of [p.conv, p.bn, p.add, p.addRelu]) if (j >= 0) outs[j] = j === p.out ? y : (undefined as unknown as Tensor);
  }

  /**
   * The book's loss: last_layer.forward(predict(x), t) + 0.5·λ·Σ‖W‖². `sampleWeights` (Float32Array[N]) weights
   * each sample's loss (class weighting); the mean still divides by N.
   */
  loss(x: Tensor, t: Target, training = true, sampleWeights?: Float32Array | null): number {
    const y = this.forward(x, training);
    return this.lossLayer.forwardLoss(y, t, training, sampleWeights) + this.weightDecayLoss();
  }

  /**
   * Probabilities in inference mode, in batches: softmax rows (SoftmaxWithLoss), σ of each output
   * (SigmoidWithLoss), the outputs themselves (MeanSquaredError).
   * @throws {RangeError} x of another shape than [N, ...inputShape]
   */
  predictProba(x: Tensor, batchSize = 100): Tensor {
    this.checkInput(x);
    return predictProbaOf(this, x, batchSize);
  }

  /**
   * Predicted classes by `accuracyKind`: argmax per sample, logit > 0 (probability > 0.5) for one sigmoid output,
   * one 0/1 per output (N·K values) for several sigmoid outputs; -1 where the outputs hold a NaN.
   * @throws {RangeError} x of another shape than [N, ...inputShape]
   */
  predictClasses(x: Tensor, batchSize = 100): Int32Array {
    this.checkInput(x);
    return predictClassesOf(this, x, batchSize);
  }

  /**
   * Loss, accuracy, per-class precision/recall/F1, confusion matrix and (binary problems) ROC AUC on (x, t), in
   * inference mode (lib/metrics/evaluate.ts; scikit-learn's definitions).
   * @throws {TypeError|RangeError} x of another shape than [N, ...inputShape], targets that do not fit
   */
  evaluate(x: Tensor, t: Target, opts: EvaluateOptions = {}): EvaluateResult {
    this.checkInput(x);
    return evaluateNetwork(this, x, t, opts);
  }

  /**
   * The accuracy definition of this network (lib/metrics/accuracy.ts): 'categorical' (argmax; SoftmaxWithLoss,
   * MeanSquaredError), 'binary' (one sigmoid output, logit > 0 i.e. probability > 0.5) or 'multi-label' (several
   * sigmoid outputs, each thresholded; accuracy is per label).
   */
  get accuracyKind(): AccuracyKind {
    const out = this.outputShape();
    return accuracyKind(this.lossLayer.type, out.slice(1).reduce((a, b) => a * b, 1));
  }

  /**
   * Accuracy in inference mode, by `accuracyKind`: the share of samples whose argmax equals the label
   * (categorical; t: labels or one-hot [N, C]), whose logit > 0 equals the 0/1 label (one sigmoid output), or the
   * share of correct labels over all N·K outputs (several sigmoid outputs; t: N·K 0/1 labels or a Tensor).
   * A sample whose outputs hold a NaN counts as wrong.
   * @throws {RangeError} x of another shape; a label outside [0, K) (or not 0/1 for sigmoid outputs), naming t[i]
   */
  accuracy(x: Tensor, t: Target, batchSize = 100): number {
    this.checkInput(x);
    const N = x.shape[0];
    checkInt('batchSize', batchSize, 1);
    const kind = this.accuracyKind;
    const K = N === 0 ? 1 : this.outputShape().slice(1).reduce((a, b) => a * b, 1);
    const tRows = kind === 'multi-label' ? binaryTargets(t, N * K) : targetClasses(kind, t, N);
    checkLabels(kind, tRows, K);
    const per = x.size / N;
    let correct = 0;
    let total = 0;
    for (let s = 0; s < N; s += batchSize) {
      const n = Math.min(batchSize, N - s);
      const xb = new Tensor(x.data.subarray(s * per, (s + n) * per), [n, ...x.shape.slice(1)]);
      const y = this.forward(xb, false);
      const per_t = kind === 'multi-label' ? K : 1;
      const r = countCorrect(kind, y.data, n, tRows.subarray(s * per_t, (s + n) * per_t));
      correct += r.correct;
      total += r.total;
    }
    return total === 0 ? 0 : correct / total;
  }

  /**
   * Backpropagation (the book's gradient): one training forward, then backward through every layer; the
   * gradients land in each Param's `grad` (overwritten), weight decay λ·W is added to the W gradients.
   * Returns name -> gradient tensor (the live Param.grad tensors). The loss is kept in `lastLoss`.
   * `sampleWeights` as for `loss`.
   */
  gradient(x: Tensor, t: Target, sampleWeights?: Float32Array | null): Record<string, Tensor> {
    this.lastLoss = this.loss(x, t, true, sampleWeights);
    this.backward();
    const out: Record<string, Tensor> = {};
    for (const [k, p] of Object.entries(this.namedParams())) out[k] = p.grad;
    return out;
  }

  /**
   * Backpropagates the last training forward (`loss(x, t, true)` or `forward` + `lossLayer.forwardLoss`): the
   * gradients land in each Param's `grad` (overwritten) and weight decay λ·W is added to the W gradients.
   * `gradient` is `loss` + `backward`; a training loop that wants the logits too calls the pieces itself.
   * `onLayerDone(layer)` is called as soon as a layer's gradients are final (weight decay included), last layer
   * first: data-parallel training starts sending them while the earlier layers' backward runs (lib/dist).
   */
  backward(onLayerDone?: (layer: Layer) => void): void {
    if (this.fusedInference) {
      throw new Error(`${this.type}.backward: call forward first (a training forward): the last forward was an inference forward that ran fused or `
        + 'folded nodes (NetworkOptions.fuse), which keep no state for backward; build the network with fuse: false for gradients in inference mode');
    }
    const nodes = this.nodes;
    const be = this.backendRef;
    // The gradients of node j's output, one per reader, in the order they arrive (later readers first). They are
    // the layers' reused buffers, or — Add — the gradient of their output: never written into. A node read once
    // takes its one gradient as it is; several are summed in one pass into the node's own buffer (gradOf), or —
    // an Add, also through its fused Relu — handed over as they are and summed in the Add's own pass.
    const pend: (Tensor[] | undefined)[] = new Array(nodes.length);
    const decayed = this.weightDecayLambda > 0 ? new Set(this.decayedParams()) : null;
    const give = (j: number, g: Tensor): void => {
      if (j !== NETWORK_INPUT) (pend[j] ??= []).push(g);
    };
    const gradOf = (j: number): Tensor => {
      const gs = pend[j]!;
      if (gs.length === 1) return gs[0];
      const acc = (this.gradAcc[j] = reuse(this.gradAcc[j], gs[0].shape));
      be.addForward(gs[0].data, gs[1].data, false, acc.data); // the same bits as copy + axpy
      for (let k = 2; k < gs.length; k++) be.axpy(1, gs[k].data, acc.data);
      return acc;
    };
    give(nodes.length - 1, this.lossLayer.backwardLoss(1));
    // Nodes whose backward ran inside a later node's: a Convolution (and its fused Relu) read only by a max pool
    // takes the pool's output gradient (Convolution.backwardMaxPool: the pool's input gradient is never written).
    let folded: Set<number> | undefined;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i];
      const head = this.fused ? this.poolHeads[i] : undefined;
      const dz = head && (nodes[head[0]].layer as Convolution).backwardMaxPool(gradOf(i), n.layer as PoolBase);
      if (head && dz) {
        folded ??= new Set();
        folded.add(head[0]);
        if (head[1] >= 0) folded.add(head[1]);
        give(nodes[head[0]].inputs[0], dz);
      } else if (folded?.has(i)) {
        // done by its pool's node
      } else if (n.layer instanceof Relu && n.layer.passThrough && pend[i]!.length > 1 && nodes[n.inputs[0]]?.layer instanceof Add) {
        // a fused Add + ReLU read twice (a residual block's output): its gradients go to the Add unsummed
        pend[n.inputs[0]] = pend[i];
      } else if (n.layer instanceof Add) {
        const gs = n.layer.backwardManySum(pend[i]!);
        n.inputs.forEach((j, k) => give(j, gs[k]));
      } else if (n.layer instanceof MergeLayer) {
        const gs = n.layer.backwardMany(gradOf(i));
        n.inputs.forEach((j, k) => give(j, gs[k]));
      } else {
        const dx = n.layer.backward(gradOf(i));
        give(n.inputs[0], dx);
      }
      pend[i] = undefined;
      if (decayed) {
        for (const p of Object.values(n.layer.params())) {
          if (decayed.has(p)) be.axpy(this.weightDecayLambda, p.value.data, p.grad.data);
        }
      }
      onLayerDone?.(n.layer);
    }
  }

  /**
   * The book's numerical_gradient: central differences (L(w + h) − L(w − h)) / (2h) of `loss(x, t, true)` for
   * every element of every parameter. The forward runs in float32, so the default h is 1e-3 (the book's 1e-4
   * assumes float64); the loss differences are taken in float64 and divided by the step actually stored in
   * float32 (fl(w + h) − fl(w − h)). The Rng state is restored before each evaluation, so dropout draws the same
   * masks as a `gradient` call started from the same state; BatchNorm running statistics are restored at the end.
   * Costs 2 forwards per parameter element: for small networks and tests.
   */
  numericalGradient(x: Tensor, t: Target, h = 1e-3): Record<string, Tensor> {
    checkNumber('h', h, { min: 0, exclusiveMin: true });
    const out: Record<string, Tensor> = {};
    for (const [k, p] of Object.entries(this.namedParams())) {
      const idx = Array.from({ length: p.value.size }, (_, i) => i);
      const g = this.numericalGradientAt(x, t, p.value.data, idx, h);
      out[k] = new Tensor(Float32Array.from(g), p.value.shape);
    }
    return out;
  }

  /** Central differences of the loss for the given elements of `data` (a parameter's value); float64 results. */
  numericalGradientAt(x: Tensor, t: Target, data: Float32Array, indices: readonly number[], h = 1e-3): Float64Array {
    const state = this.rng.getState();
    const saved = Object.values(this.namedBuffers()).map((b) => b.data.slice());
    try {
      return numericalGradientOf(() => {
        this.rng.setState(state);
        return this.loss(x, t, true);
      }, data, indices, h);
    } finally {
      this.rng.setState(state);
      Object.values(this.namedBuffers()).forEach((b, i) => b.data.set(saved[i]));
    }
  }

  /**
   * Parameters by name, in node order: the book's names for chains (W1, b1, …, gamma1, beta1, …), `<node>.<local>`
   * for graphs (conv1.W, conv1.b, bn1.gamma, …).
   */
  namedParams(): Record<string, Param> {
    this.inputShape; // throws when not built
    const out: Record<string, Param> = {};
    this.walk((layer, name) => {
      for (const [local, p] of Object.entries(layer.params())) out[name(local)] = p;
    }, kind0);
    return out;
  }

  /** Non-trained state by name: running_mean1, running_var1, … (chains) or bn1.running_mean, … (graphs). */
  namedBuffers(): Record<string, Tensor> {
    this.inputShape; // throws when not built
    const out: Record<string, Tensor> = {};
    this.walk((layer, name) => {
      for (const [local, b] of Object.entries(layer.buffers())) out[name(local)] = b;
    }, kindBuffers);
    return out;
  }

  /**
   * A table of the nodes — name and layer, output shape, parameter count, the nodes each reads — then the loss
   * layer and the totals (Keras's model.summary()). `summaryRows` (lib/nets/summary.ts) gives the same as data.
   *
   * @example
   * console.log(net.summary());
   * @throws {Error} the network is not built yet (Sequential without inputShape before build / forward)
   */
  summary(): string {
    return formatSummary(this);
  }

  /** Each node's output shape for one sample (batch 1), in node order. */
  outputShapesPerNode(): number[][] {
    return this.nodeShapes([1, ...this.inputShape]);
  }

  /**
   * The output of every node in the last forward, by node name (the live, reused buffers: copy to keep). Nodes
   * fused into a following max pool (NetworkOptions.fuse) have none; after an inference forward neither do a folded
   * convolution nor an Add computed in a convolution's epilogue (a folded BatchNormalization's output is the folded
   * convolution's).
   */
  nodeOutputs(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.nodes.forEach((n, i) => {
      if (this.outs[i] !== undefined) out[n.name] = this.outs[i];
    });
    return out;
  }

  /** Number of trainable scalars. */
  paramCount(): number {
    return Object.values(this.namedParams()).reduce((s, p) => s + p.value.size, 0);
  }

  /** JSON that rebuilds this network (same type, options, names and shapes) with networkFromConfig. */
  abstract config(): NetworkConfig;

  /** 0.5·λ·Σ‖W‖² over the weights of Convolution/Affine layers (not biases, gamma, beta). */
  weightDecayLoss(): number {
    if (this.weightDecayLambda === 0) return 0;
    let s = 0;
    for (const p of this.decayedParams()) s += sumSquares(this.backendRef, p.value.data);
    return 0.5 * this.weightDecayLambda * s;
  }

  /** The parameters weight decay applies to: every `W`. */
  protected decayedParams(): Param[] {
    return this.nodes.map((n) => n.layer.params().W).filter((p): p is Param => p !== undefined);
  }

  /**
   * Calls fn(layer, name) for each layer with params/buffers (nodes, then the loss layer), `name(local)` giving
   * the full name: book naming numbers per group, 1-based (W3, gamma2); node naming prefixes the node name.
   */
  private walk(fn: (layer: Layer, name: (local: string) => string) => void, kindOf: (l: Layer) => string | null): void {
    const counters = new Map<string, number>();
    const named = [...this.nodes.map((n) => [n.layer, n.name] as const), [this.lossLayer, 'loss'] as const];
    for (const [layer, node] of named) {
      const kind = kindOf(layer);
      if (kind === null) continue;
      if (this.paramNaming === 'node') {
        fn(layer, (local) => `${node}.${local}`);
        continue;
      }
      const idx = (counters.get(kind) ?? 0) + 1;
      counters.set(kind, idx);
      fn(layer, (local) => `${local}${idx}`);
    }
  }

  protected checkInput(x: Tensor): void {
    this.inputShape; // throws when not built
    if (!(x instanceof Tensor)) throw invalidType(`${this.type} input`, 'a Tensor', x);
    if (x.rank !== this.inputShape.length + 1 || !sameShape(x.shape.slice(1), this.inputShape)) {
      throw invalidRange(`${this.type} input`, `a tensor of shape [N, ${this.inputShape.join(', ')}]`, shapeStr(x.shape));
    }
  }
}

/** The chain of `layers` (the last one a loss layer) as a graph: node i reads node i − 1. */
function chainSpec(layers: Layer[]): GraphSpec {
  if (!Array.isArray(layers) || layers.length < 2) throw invalidType('layers', 'an array of layers, a loss layer last', layers);
  layers.forEach((l, i) => {
    if (!(l instanceof Layer)) throw invalidType(`layers[${i}]`, 'a Layer', l);
  });
  if (!(layers[layers.length - 1] instanceof LossLayer)) {
    throw invalidType(`layers[${layers.length - 1}]`, 'a loss layer (SoftmaxWithLoss, SigmoidWithLoss, MeanSquaredError) last', layers[layers.length - 1]);
  }
  layers.slice(0, -1).forEach((l, i) => {
    if (l instanceof LossLayer) throw invalidType(`layers[${i}]`, 'a non-loss layer (only the last layer may be a loss layer)', l);
    if (l instanceof MergeLayer) throw invalidType(`layers[${i}]`, `a one-input layer (${l.type} joins branches: write the network as a Graph)`, l);
  });
  if (new Set(layers).size !== layers.length) throw invalidRange('layers', 'distinct layer instances (a layer holds its own weights)', 'a layer listed twice');
  const counts = new Map<string, number>();
  const nodes = layers.slice(0, -1).map((layer, i) => {
    const base = layer.type.toLowerCase();
    const k = (counts.get(base) ?? 0) + 1;
    counts.set(base, k);
    return { name: `${base}${k}`, layer, inputs: [i - 1] };
  });
  return { nodes, loss: layers[layers.length - 1] as LossLayer };
}

/** Checks a GraphSpec: layers, distinct names, inputs that point backwards (topological order), arity. */
function checkSpec(spec: GraphSpec): GraphSpec {
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.nodes) || spec.nodes.length < 1) {
    throw invalidType('graph', 'a GraphSpec { nodes: [at least one node], loss }', spec);
  }
  if (!(spec.loss instanceof LossLayer)) throw invalidType('graph loss', 'a loss layer (SoftmaxWithLoss, SigmoidWithLoss, MeanSquaredError)', spec.loss);
  const names = new Set<string>();
  const layers = new Set<Layer>([spec.loss]);
  spec.nodes.forEach((n, i) => {
    if (!(n.layer instanceof Layer) || n.layer instanceof LossLayer) throw invalidType(`node '${n.name}' layer`, 'a non-loss Layer', n.layer);
    if (typeof n.name !== 'string' || n.name.length === 0 || names.has(n.name)) throw invalidRange(`node ${i} name`, 'a unique non-empty name', JSON.stringify(n.name));
    if (layers.has(n.layer)) throw invalidRange(`node '${n.name}' layer`, 'a layer instance of its own (weights are not shared)', 'a layer used by another node');
    names.add(n.name);
    layers.add(n.layer);
    const arity = n.layer instanceof MergeLayer ? 'at least 2 inputs' : '1 input';
    if (!Array.isArray(n.inputs) || (n.layer instanceof MergeLayer ? n.inputs.length < 2 : n.inputs.length !== 1)) {
      throw invalidRange(`node '${n.name}' (${n.layer.type}) inputs`, arity, Array.isArray(n.inputs) ? `${n.inputs.length}` : n.inputs);
    }
    n.inputs.forEach((j: number) => {
      if (!Number.isInteger(j) || j < NETWORK_INPUT || j >= i) throw invalidRange(`node '${n.name}' inputs`, `earlier nodes (indices -1 … ${i - 1})`, j);
    });
  });
  return spec;
}

/** The numbering group of a layer's params: 'W' (Convolution/Affine), 'gamma' (BatchNorm), else its first key. */
function kind0(l: Layer): string | null {
  const keys = Object.keys(l.params());
  if (keys.length === 0) return null;
  return keys.includes('W') ? 'W' : keys[0];
}

/** Buffers are numbered like the params of the same layer (BatchNormalization j: running_mean<j>). */
function kindBuffers(l: Layer): string | null {
  return Object.keys(l.buffers()).length === 0 ? null : kind0(l);
}

/** Σ x² with one backend op (a 1×1 GEMM: x·xᵀ). */
export function sumSquares(backend: Backend, x: Float32Array): number {
  const out = new Float32Array(1);
  backend.sgemm(false, true, 1, 1, x.length, 1, x, 0, x.length, x, 0, x.length, 0, out, 0, 1);
  return out[0];
}
