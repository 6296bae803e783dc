/**
 * The layers, and `layerFromConfig`, which rebuilds any layer from its `config()` JSON (fresh parameters: load
 * the values separately).
 */
import type { Backend } from '../backend/types';
import { invalidRange, invalidType } from '../validate';
import type { WeightInit } from '../init';
import { LeakyReLU, Relu, Sigmoid, Tanh } from './activations';
import { Affine } from './affine';
import { BatchNormalization, type BatchNormAxis } from './batchnorm';
import { Convolution } from './conv';
import { Dropout, type DropoutMode } from './dropout';
import { Flatten } from './flatten';
import { ChannelPad } from './pad';
import type { Layer } from './layer';
import { Add, Concatenate } from './merge';
import { MeanSquaredError, SigmoidWithLoss, SoftmaxWithLoss } from './losses';
import { GlobalAvgPool, GlobalMaxPool, Pooling, type PoolMode } from './pool';

export { Layer, LossLayer } from './layer';
export type { Param, Target } from './layer';
export { LeakyReLU, Relu, Sigmoid, Tanh } from './activations';
export { Affine, type AffineOptions } from './affine';
export { BatchNormalization, type BatchNormAxis, type BatchNormOptions } from './batchnorm';
export { Convolution, type ConvolutionOptions } from './conv';
export { Dropout, type DropoutMode, type DropoutOptions } from './dropout';
export { MeanSquaredError, SigmoidWithLoss, SoftmaxWithLoss, type SoftmaxWithLossOptions } from './losses';
export { GlobalAvgPool, GlobalMaxPool, Pooling, type PoolMode, type PoolingOptions } from './pool';
export { Flatten } from './flatten';
export { ChannelPad } from './pad';
export { Add, Concatenate, MergeLayer } from './merge';
export { Input, SymbolicTensor } from './symbolic';
/** Short alias of MeanSquaredError. */
export { MeanSquaredError as MSE } from './losses';

export type LayerConfig = { type: string } & Record<string, unknown>;

export const LAYER_TYPES = [
  'Affine', 'Convolution', 'Pooling', 'GlobalAvgPool', 'GlobalMaxPool', 'Relu', 'Sigmoid', 'Tanh', 'LeakyReLU',
  'Dropout', 'BatchNormalization', 'SoftmaxWithLoss', 'SigmoidWithLoss', 'MeanSquaredError', 'Flatten', 'Add',
  'Concatenate', 'ChannelPad',
] as const;

/**
 * Rebuilds a layer from `layer.config()`. Parameters are freshly initialized (seed 0): load weights afterwards.
 *
 * @example
 * const copy = layerFromConfig(new Convolution(1, 8, 3, { pad: 1 }).config());
 * @throws {TypeError} cfg is not an object with a string `type`; {RangeError} an unknown type or bad options
 */
export function layerFromConfig(cfg: LayerConfig, opts: { backend?: Backend } = {}): Layer {
  if (cfg === null || typeof cfg !== 'object' || typeof cfg.type !== 'string') {
    throw invalidType('layer config', 'an object with a string `type`', cfg);
  }
  const c = cfg as Record<string, any>;
  const backend = opts.backend;
  switch (c.type) {
    case 'Affine':
      // inputSize null or absent: inferred from the first input (Affine(outputSize))
      return c.inputSize === null || c.inputSize === undefined
        ? new Affine(c.outputSize, { weightInit: c.weightInit as WeightInit | undefined, backend })
        : new Affine(c.inputSize, c.outputSize, { weightInit: c.weightInit as WeightInit | undefined, backend });
    case 'Convolution':
      return new Convolution(c.inChannels, c.filterNum, c.filterSize, { stride: c.stride, pad: c.pad, weightInit: c.weightInit, bias: c.bias, backend });
    case 'Pooling':
      return new Pooling(c.poolH, c.poolW, { stride: c.stride, pad: c.pad, mode: c.mode as PoolMode | undefined, backend });
    case 'GlobalAvgPool':
      return new GlobalAvgPool({ backend });
    case 'GlobalMaxPool':
      return new GlobalMaxPool({ backend });
    case 'Relu':
      return new Relu({ backend });
    case 'Sigmoid':
      return new Sigmoid({ backend });
    case 'Tanh':
      return new Tanh({ backend });
    case 'LeakyReLU':
      return new LeakyReLU(c.alpha, { backend });
    case 'Dropout':
      return new Dropout(c.ratio, { mode: c.mode as DropoutMode | undefined, backend });
    case 'BatchNormalization':
      return new BatchNormalization(c.numFeatures, { momentum: c.momentum, eps: c.eps, axis: c.axis as BatchNormAxis | undefined, initialRunningVar: c.initialRunningVar, backend });
    case 'SoftmaxWithLoss':
      return new SoftmaxWithLoss({ classWeights: c.classWeights, backend });
    case 'SigmoidWithLoss':
      return new SigmoidWithLoss({ backend });
    case 'MeanSquaredError':
      return new MeanSquaredError({ backend });
    case 'Flatten':
      return new Flatten({ backend });
    case 'ChannelPad':
      return new ChannelPad(c.before, c.after, { backend });
    case 'Add':
      return new Add({ backend });
    case 'Concatenate':
      return new Concatenate({ backend });
    default:
      throw invalidRange('layer config type', `one of ${LAYER_TYPES.join(', ')}`, `'${c.type}'`);
  }
}
