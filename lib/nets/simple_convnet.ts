import { outSize } from '../backend/types';
import { checkInt, checkObject, checkShape, invalidRange } from '../validate';
import { checkWeightInit, type WeightInit } from '../init';
import { Relu } from '../layers/activations';
import { Affine } from '../layers/affine';
import { Convolution } from '../layers/conv';
import { SoftmaxWithLoss } from '../layers/losses';
import { Pooling } from '../layers/pool';
import { Network, type NetworkConfig, type NetworkOptions } from './network';
import { camelConvParam, checkConvParam, checkWeightSizes, type ConvParam } from './options';
import { readOptions } from '../validate';
import { NETWORK_OPTION_KEYS } from './options';

export interface SimpleConvNetOptions extends NetworkOptions {
  /** [C, H, W] of one sample (default [1, 28, 28]). */
  inputDim?: readonly number[];
  /** Default {filterNum: 30, filterSize: 5, pad: 0, stride: 1}; missing keys take the defaults. */
  convParam?: Partial<ConvParam>;
  hiddenSize?: number;
  outputSize?: number;
  /** Standard deviation of the initial weights (default 0.01), or 'he'/'relu'/'xavier'/'sigmoid'. */
  weightInitStd?: WeightInit;
}

/**
 * The book's SimpleConvNet (ch07): conv - relu - pool(2×2, stride 2) - affine - relu - affine - softmax.
 * Parameters W1[F, C, fs, fs], b1[F], W2[F·PH·PW, hidden], b2, W3[hidden, output], b3; defaults give
 * W1[30, 1, 5, 5], W2[4320, 100], W3[100, 10].
 *
 * @example
 * const net = new SimpleConvNet({ seed: 42 });
 * const grads = net.gradient(x, labels);      // x [N, 1, 28, 28], labels Int32Array[N]
 * @throws {TypeError|RangeError} a bad option (filterSize 0, negative hiddenSize, an input too small for the filter …)
 */
export class SimpleConvNet extends Network {
  readonly type = 'SimpleConvNet';
  readonly options: { inputDim: number[]; convParam: ConvParam; hiddenSize: number; outputSize: number; weightInitStd: WeightInit };

  constructor(opts: SimpleConvNetOptions = {}) {
    const o = readOptions<SimpleConvNetOptions>('SimpleConvNet', opts, ['inputDim', 'convParam', 'hiddenSize', 'outputSize', 'weightInitStd', ...NETWORK_OPTION_KEYS]);
    const inputDim = checkShape('SimpleConvNet inputDim', o.inputDim ?? [1, 28, 28], 3);
    const cp = checkConvParam('SimpleConvNet convParam', camelConvParam(o.convParam), { filterNum: 30, filterSize: 5, pad: 0, stride: 1 });
    const hiddenSize = checkInt('SimpleConvNet hiddenSize', o.hiddenSize ?? 100, 1);
    const outputSize = checkInt('SimpleConvNet outputSize', o.outputSize ?? 10, 1);
    const weightInitStd = checkWeightInit('SimpleConvNet weightInitStd', o.weightInitStd ?? 0.01);
    const [C, H, W] = inputDim;
    const OH = outSize(H, cp.filterSize, cp.stride, cp.pad);
    const OW = outSize(W, cp.filterSize, cp.stride, cp.pad);
    if (OH < 2 || OW < 2) {
      throw invalidRange('SimpleConvNet inputDim', `an input giving a convolution output of at least 2×2 for the 2×2 pooling (filter ${cp.filterSize}, pad ${cp.pad}, stride ${cp.stride})`, `[${inputDim.join(', ')}]`);
    }
    const poolOut = cp.filterNum * Math.floor(OH / 2) * Math.floor(OW / 2);
    checkWeightSizes([
      ['SimpleConvNet convParam.filterNum', cp.filterNum, 'W1', [cp.filterNum, C, cp.filterSize, cp.filterSize]],
      [poolOut >= hiddenSize ? 'SimpleConvNet inputDim' : 'SimpleConvNet hiddenSize', poolOut >= hiddenSize ? inputDim : hiddenSize, 'W2', [poolOut, hiddenSize]],
      [hiddenSize >= outputSize ? 'SimpleConvNet hiddenSize' : 'SimpleConvNet outputSize', hiddenSize >= outputSize ? hiddenSize : outputSize, 'W3', [hiddenSize, outputSize]],
    ]);
    const init = { weightInit: weightInitStd, initialize: false };
    super(
      [
        new Convolution(C, cp.filterNum, cp.filterSize, { stride: cp.stride, pad: cp.pad, ...init }),
        new Relu(),
        new Pooling(2, 2, { stride: 2 }),
        new Affine(poolOut, hiddenSize, init),
        new Relu(),
        new Affine(hiddenSize, outputSize, init),
        new SoftmaxWithLoss(),
      ],
      inputDim,
      o,
    );
    this.options = { inputDim, convParam: cp, hiddenSize, outputSize, weightInitStd };
  }

  config(): NetworkConfig {
    return { type: this.type, ...this.options, convParam: { ...this.options.convParam }, inputDim: [...this.options.inputDim], weightDecayLambda: this.weightDecayLambda, seed: this.seed };
  }
}
