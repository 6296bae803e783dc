import { Relu } from '../layers/activations';
import { Affine } from '../layers/affine';
import { Convolution } from '../layers/conv';
import { Dropout } from '../layers/dropout';
import type { Layer } from '../layers/layer';
import { SoftmaxWithLoss } from '../layers/losses';
import { Pooling } from '../layers/pool';
import { Network, type NetworkConfig, type NetworkOptions } from './network';
import { outSize } from '../backend/types';
import { checkInt, checkObject, checkShape, checkUnit, invalidRange } from '../validate';
import { camelConvParam, checkConvParam, checkWeightSizes, type ConvParam } from './options';
import { readOptions } from '../validate';
import { NETWORK_OPTION_KEYS } from './options';

export interface DeepConvNetOptions extends NetworkOptions {
  /** [C, H, W] of one sample (default [1, 28, 28]). */
  inputDim?: readonly number[];
  convParam1?: Partial<ConvParam>;
  convParam2?: Partial<ConvParam>;
  convParam3?: Partial<ConvParam>;
  convParam4?: Partial<ConvParam>;
  convParam5?: Partial<ConvParam>;
  convParam6?: Partial<ConvParam>;
  hiddenSize?: number;
  outputSize?: number;
  /** Ratio of both Dropout layers (default 0.5, the book's). */
  dropoutRatio?: number;
}

const DEFAULTS: ConvParam[] = [
  { filterNum: 16, filterSize: 3, pad: 1, stride: 1 },
  { filterNum: 16, filterSize: 3, pad: 1, stride: 1 },
  { filterNum: 32, filterSize: 3, pad: 1, stride: 1 },
  { filterNum: 32, filterSize: 3, pad: 2, stride: 1 },
  { filterNum: 64, filterSize: 3, pad: 1, stride: 1 },
  { filterNum: 64, filterSize: 3, pad: 1, stride: 1 },
];

/**
 * The book's DeepConvNet (ch08): conv-relu-conv-relu-pool-conv-relu-conv-relu-pool-conv-relu-conv-relu-pool-
 * affine-relu-dropout-affine-dropout-softmax, pools 2×2 stride 2, He initialization (std = sqrt(2/fanIn) with the
 * book's pre_node_nums: C·3·3 per convolution, the flattened size for W7, hiddenSize for W8). Parameters W1..W8,
 * b1..b8; defaults give W1[16, 1, 3, 3] … W6[64, 64, 3, 3], W7[1024, 50], W8[50, 10].
 *
 * @example
 * const net = new DeepConvNet({ seed: 1 });
 * const loss = net.loss(x, labels);                     // training: dropout on
 * const acc = net.accuracy(xTest, tTest);               // inference: dropout scales by 1 − ratio
 * @throws {TypeError|RangeError} a bad option, or an inputDim too small for the three poolings
 */
/**
 * The smallest input side (H or W) the six convolutions and three 2×2 poolings of `convParams` take (every
 * output side >= 1), or null when none up to 65536 does.
 */
function smallestSide(convParams: readonly ConvParam[]): number | null {
  for (let side = 1; side <= 65536; side++) {
    let s = side;
    let ok = true;
    for (let i = 0; i < convParams.length && ok; i++) {
      const cp = convParams[i];
      s = outSize(s, cp.filterSize, cp.stride, cp.pad);
      if (s < 1) ok = false;
      else if (i % 2 === 1) {
        s = outSize(s, 2, 2, 0);
        if (s < 1) ok = false;
      }
    }
    if (ok) return side;
  }
  return null;
}

export class DeepConvNet extends Network {
  readonly type = 'DeepConvNet';
  readonly options: { inputDim: number[]; convParams: ConvParam[]; hiddenSize: number; outputSize: number; dropoutRatio: number };

  constructor(opts: DeepConvNetOptions = {}) {
    const o = readOptions<DeepConvNetOptions & Record<string, unknown>>('DeepConvNet', opts, [
      'inputDim', ...DEFAULTS.map((_, i) => `convParam${i + 1}`), 'hiddenSize', 'outputSize', 'dropoutRatio', ...NETWORK_OPTION_KEYS,
    ]);
    const inputDim = checkShape('DeepConvNet inputDim', o.inputDim ?? [1, 28, 28], 3);
    const convParams = DEFAULTS.map((d, i) => checkConvParam(`DeepConvNet convParam${i + 1}`, camelConvParam(o[`convParam${i + 1}`]), d));
    const hiddenSize = checkInt('DeepConvNet hiddenSize', o.hiddenSize ?? 50, 1);
    const outputSize = checkInt('DeepConvNet outputSize', o.outputSize ?? 10, 1);
    const dropoutRatio = checkUnit('DeepConvNet dropoutRatio', o.dropoutRatio ?? 0.5);
    const minSide = smallestSide(convParams);
    if (minSide === null || inputDim[1] < minSide || inputDim[2] < minSide) {
      throw invalidRange('DeepConvNet inputDim', minSide === null
        ? 'convolution parameters that leave some input size for the three 2×2 poolings'
        : `[C, H, W] with H >= ${minSide} and W >= ${minSide} (the smallest input its six convolutions and three 2×2 poolings take)`,
      `[${inputDim.join(', ')}]`);
    }
    let chans = inputDim[0];
    checkWeightSizes(convParams.map((cp, i) => {
      const e: [string, unknown, string, number[]] = [`DeepConvNet convParam${i + 1}.filterNum`, cp.filterNum, `W${i + 1}`, [cp.filterNum, chans, cp.filterSize, cp.filterSize]];
      chans = cp.filterNum;
      return e;
    }));
    const layers: Layer[] = [];
    let shape = [1, ...inputDim];
    const add = (l: Layer): void => {
      shape = l.outputShape(shape); // RangeError naming the layer when the input gets too small
      layers.push(l);
    };
    let channels = inputDim[0];
    convParams.forEach((cp, i) => {
      add(new Convolution(channels, cp.filterNum, cp.filterSize, { stride: cp.stride, pad: cp.pad, weightInit: 'he', initialize: false }));
      add(new Relu());
      if (i % 2 === 1) add(new Pooling(2, 2, { stride: 2 }));
      channels = cp.filterNum;
    });
    const flat = shape[1] * shape[2] * shape[3];
    checkWeightSizes([
      [flat >= hiddenSize ? 'DeepConvNet inputDim' : 'DeepConvNet hiddenSize', flat >= hiddenSize ? inputDim : hiddenSize, 'W7', [flat, hiddenSize]],
      [hiddenSize >= outputSize ? 'DeepConvNet hiddenSize' : 'DeepConvNet outputSize', Math.max(hiddenSize, outputSize), 'W8', [hiddenSize, outputSize]],
    ]);
    add(new Affine(flat, hiddenSize, { weightInit: 'he', initialize: false }));
    add(new Relu());
    add(new Dropout(dropoutRatio));
    add(new Affine(hiddenSize, outputSize, { weightInit: 'he', initialize: false }));
    add(new Dropout(dropoutRatio));
    layers.push(new SoftmaxWithLoss());
    super(layers, inputDim, o);
    this.options = { inputDim, convParams, hiddenSize, outputSize, dropoutRatio };
  }

  config(): NetworkConfig {
    const cfg: NetworkConfig = {
      type: this.type,
      inputDim: [...this.options.inputDim],
      hiddenSize: this.options.hiddenSize,
      outputSize: this.options.outputSize,
      dropoutRatio: this.options.dropoutRatio,
      weightDecayLambda: this.weightDecayLambda,
      seed: this.seed,
    };
    this.options.convParams.forEach((cp, i) => (cfg[`convParam${i + 1}`] = { ...cp }));
    return cfg;
  }
}
