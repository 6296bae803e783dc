import { checkInt, checkObject, checkOneOf, checkUnit, invalidType } from '../validate';
import { checkWeightInit, type WeightInit } from '../init';
import { Relu, Sigmoid, Tanh } from '../layers/activations';
import { Affine } from '../layers/affine';
import { BatchNormalization } from '../layers/batchnorm';
import { Dropout } from '../layers/dropout';
import type { Layer } from '../layers/layer';
import { SoftmaxWithLoss } from '../layers/losses';
import { Network, type NetworkConfig, type NetworkOptions } from './network';
import { checkWeightSizes } from './options';
import { readOptions } from '../validate';
import { NETWORK_OPTION_KEYS } from './options';

export type HiddenActivation = 'relu' | 'sigmoid' | 'tanh';

export interface MultiLayerNetOptions extends NetworkOptions {
  inputSize: number;
  hiddenSizeList: readonly number[];
  outputSize: number;
  /** 'relu' (default) or 'sigmoid' (the book's); 'tanh' also accepted. */
  activation?: HiddenActivation;
  /** 'relu'/'he' (default 'relu': sqrt(2/n_prev)), 'sigmoid'/'xavier' (sqrt(1/n_prev)) or a standard deviation. */
  weightInitStd?: WeightInit;
}

export interface MultiLayerNetExtendOptions extends MultiLayerNetOptions {
  useDropout?: boolean;
  /** Dropout ratio (default 0.5). */
  dropoutRatio?: number;
  /** The book's (misspelled) name of dropoutRatio, accepted as an alias. */
  dropoutRation?: number;
  useBatchnorm?: boolean;
}

interface Resolved {
  inputSize: number;
  hiddenSizeList: number[];
  outputSize: number;
  activation: HiddenActivation;
  weightInitStd: WeightInit;
}

function resolve(who: string, opts: unknown): Resolved & Record<string, unknown> {
  const o = readOptions<Record<string, unknown>>(who, opts, [
    'inputSize', 'hiddenSizeList', 'outputSize', 'activation', 'weightInitStd', ...NETWORK_OPTION_KEYS,
    ...(who === 'MultiLayerNetExtend' ? ['useDropout', 'dropoutRatio', 'dropoutRation', 'useBatchnorm'] : []),
  ]);
  if (o.inputSize === undefined) throw invalidType(`${who} inputSize`, 'an integer', undefined);
  if (o.outputSize === undefined) throw invalidType(`${who} outputSize`, 'an integer', undefined);
  if (!Array.isArray(o.hiddenSizeList)) throw invalidType(`${who} hiddenSizeList`, 'an array of layer sizes', o.hiddenSizeList);
  const r = {
    ...o,
    inputSize: checkInt(`${who} inputSize`, o.inputSize, 1),
    hiddenSizeList: o.hiddenSizeList.map((h: unknown, i: number) => checkInt(`${who} hiddenSizeList[${i}]`, h, 1)),
    outputSize: checkInt(`${who} outputSize`, o.outputSize, 1),
    activation: checkOneOf(`${who} activation`, o.activation ?? 'relu', ['relu', 'sigmoid', 'tanh'] as const),
    weightInitStd: checkWeightInit(`${who} weightInitStd`, o.weightInitStd ?? 'relu'),
  };
  // W<i> is [sizes[i-1], sizes[i]]: a too-large one names the larger of the two sizes' options
  const names = [`${who} inputSize`, ...r.hiddenSizeList.map((_, i) => `${who} hiddenSizeList[${i}]`), `${who} outputSize`];
  const sizes = [r.inputSize, ...r.hiddenSizeList, r.outputSize];
  checkWeightSizes(sizes.slice(1).map((n, i) => {
    const k = sizes[i] > n ? i : i + 1;
    return [names[k], sizes[k], `W${i + 1}`, [sizes[i], n]] as [string, unknown, string, number[]];
  }));
  return r;
}

function activationLayer(kind: HiddenActivation): Layer {
  return kind === 'relu' ? new Relu() : kind === 'sigmoid' ? new Sigmoid() : new Tanh();
}

function build(r: Resolved, bn: boolean, dropout: number | null): Layer[] {
  const layers: Layer[] = [];
  const sizes = [r.inputSize, ...r.hiddenSizeList, r.outputSize];
  for (let i = 1; i < sizes.length - 1; i++) {
    layers.push(new Affine(sizes[i - 1], sizes[i], { weightInit: r.weightInitStd, initialize: false }));
    if (bn) layers.push(new BatchNormalization(sizes[i]));
    layers.push(activationLayer(r.activation));
    if (dropout !== null) layers.push(new Dropout(dropout));
  }
  layers.push(new Affine(sizes[sizes.length - 2], sizes[sizes.length - 1], { weightInit: r.weightInitStd, initialize: false }));
  layers.push(new SoftmaxWithLoss());
  return layers;
}

/**
 * The book's MultiLayerNet: (affine - activation) × hidden - affine - softmax, with L2 weight decay
 * (loss += 0.5·λ·Σ‖W‖²). Parameters W1, b1, …, W<hidden+1>, b<hidden+1>.
 *
 * @example
 * const net = new MultiLayerNet({ inputSize: 784, hiddenSizeList: [100, 100], outputSize: 10, weightDecayLambda: 0.1 });
 * const grads = net.gradient(x, t);            // x [N, 784]
 * @throws {TypeError|RangeError} missing or non-positive sizes, an unknown activation or weightInitStd
 */
export class MultiLayerNet extends Network {
  readonly type: string = 'MultiLayerNet';
  readonly options: Resolved;

  constructor(opts: MultiLayerNetOptions) {
    const r = resolve('MultiLayerNet', opts);
    super(build(r, false, null), [r.inputSize], r as NetworkOptions);
    this.options = pick(r);
  }

  config(): NetworkConfig {
    return { type: this.type, ...pick(this.options), weightDecayLambda: this.weightDecayLambda, seed: this.seed };
  }
}

/**
 * The book's MultiLayerNetExtend: (affine - [batchnorm] - activation - [dropout]) × hidden - affine - softmax.
 * Parameters W1, b1, …; with useBatchnorm gamma<i>, beta<i> (buffers running_mean<i>, running_var<i>) belong to
 * hidden layer i. Dropout is the book's (inference multiplies by 1 − ratio).
 *
 * @example
 * const net = new MultiLayerNetExtend({ inputSize: 784, hiddenSizeList: [100], outputSize: 10,
 *   useBatchnorm: true, useDropout: true, dropoutRatio: 0.2 });
 * @throws {TypeError|RangeError} as MultiLayerNet, and a dropout ratio outside [0, 1)
 */
export class MultiLayerNetExtend extends Network {
  readonly type: string = 'MultiLayerNetExtend';
  readonly options: Resolved & { useDropout: boolean; dropoutRatio: number; useBatchnorm: boolean };

  constructor(opts: MultiLayerNetExtendOptions) {
    const r = resolve('MultiLayerNetExtend', opts);
    const useDropout = optBool('MultiLayerNetExtend useDropout', r.useDropout);
    const useBatchnorm = optBool('MultiLayerNetExtend useBatchnorm', r.useBatchnorm);
    const ratio = checkUnit('MultiLayerNetExtend dropoutRatio', r.dropoutRatio ?? r.dropoutRation ?? 0.5);
    super(build(r, useBatchnorm, useDropout ? ratio : null), [r.inputSize], r as NetworkOptions);
    this.options = { ...pick(r), useDropout, dropoutRatio: ratio, useBatchnorm };
  }

  config(): NetworkConfig {
    return { type: this.type, ...this.options, hiddenSizeList: [...this.options.hiddenSizeList], weightDecayLambda: this.weightDecayLambda, seed: this.seed };
  }
}

function pick(r: Resolved): Resolved {
  return { inputSize: r.inputSize, hiddenSizeList: [...r.hiddenSizeList], outputSize: r.outputSize, activation: r.activation, weightInitStd: r.weightInitStd };
}

/** An optional boolean option: undefined is false; anything but a boolean is refused. */
function optBool(name: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidType(name, 'a boolean', v);
  return v;
}
