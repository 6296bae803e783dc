/**
 * The CLI's models: the book's networks by name, sized for the data (input shape and number of classes), or a
 * JSON architecture file in the config format `saveModel` writes (`net.config()`, e.g. a Sequential's
 * { type: 'Sequential', inputShape, layers: [...] }).
 */
import * as fs from 'fs';
import { DeepConvNet, MultiLayerNet, networkFromConfig, ResNet, SimpleConvNet } from '../nets';
import type { Network, NetworkConfig } from '../nets/network';
import { UsageError } from './args';

export const MODEL_NAMES = ['deep-convnet', 'simple-convnet', 'mlp', 'resnet20', 'resnet32', 'resnet56'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelOptions {
  seed: number;
  /** MLP hidden layer sizes. */
  hidden: number[];
  weightDecay: number;
  /** Shape of one sample as the data gives it, e.g. [3, 32, 32]. */
  inputShape: number[];
  /** Number of classes. */
  classes: number;
}

/** True when `model` names a built-in network (else it is a JSON architecture file). */
export function isBuiltin(model: string): model is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(model);
}

/**
 * The book's networks sized for the data: DeepConvNet (ch08 layers), SimpleConvNet (ch07: 30 5×5 filters,
 * hidden 100), an MLP (MultiLayerNet, ReLU, He init) over the flattened input, He et al.'s CIFAR ResNet-20/32/56
 * (padding shortcuts). Or a JSON architecture file.
 * @throws {UsageError} a conv net for non-image data; {Error} an unreadable or invalid JSON file (naming it)
 */
export function buildModel(model: string, o: ModelOptions): Network {
  const size = o.inputShape.reduce((a, b) => a * b, 1);
  const conv = (name: string) => {
    if (o.inputShape.length !== 3) throw new UsageError(`--model ${name}: needs image data [C, H, W], the data is [${o.inputShape.join(', ')}] (use mlp)`);
  };
  switch (model) {
    case 'deep-convnet':
      conv(model);
      return new DeepConvNet({ inputDim: o.inputShape, outputSize: o.classes, seed: o.seed, weightDecayLambda: o.weightDecay });
    case 'simple-convnet':
      conv(model);
      return new SimpleConvNet({ inputDim: o.inputShape, outputSize: o.classes, seed: o.seed, weightDecayLambda: o.weightDecay });
    case 'mlp':
      return new MultiLayerNet({ inputSize: size, hiddenSizeList: o.hidden, outputSize: o.classes, seed: o.seed, weightDecayLambda: o.weightDecay });
    case 'resnet20':
    case 'resnet32':
    case 'resnet56':
      conv(model);
      return new ResNet({ depth: Number(model.slice(6)) as 20 | 32 | 56, inputDim: o.inputShape, outputSize: o.classes, seed: o.seed, weightDecayLambda: o.weightDecay });
    default:
      return modelFromFile(model, o.seed);
  }
}

/** A network from a JSON architecture file (net.config() format), re-initialized from `seed`. */
export function modelFromFile(file: string, seed: number): Network {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new UsageError(`--model: '${file}' is neither a built-in model (${MODEL_NAMES.join(', ')}) nor an existing JSON file`);
    throw new Error(`--model ${file}: cannot read (${e.message})`);
  }
  let cfg: NetworkConfig;
  try {
    cfg = JSON.parse(text) as NetworkConfig;
  } catch (err) {
    throw new Error(`--model ${file}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return networkFromConfig(cfg, { seed });
  } catch (err) {
    throw new Error(`--model ${file}: not a network architecture: ${(err as Error).message}`);
  }
}

/** Parses "100,100" into layer sizes. */
export function parseHidden(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const sizes = parts.map(Number);
  if (parts.length === 0 || sizes.some((n, i) => parts[i] === '' || !Number.isInteger(n) || n < 1 || n > 100000)) {
    throw new UsageError(`--hidden: expected comma-separated layer sizes such as 100,100, got '${v}'`);
  }
  return sizes;
}

/**
 * Checks the network's outputs fit the classes: K outputs for K classes (softmax), or one sigmoid output for two.
 * @throws {Error} naming the model and the data
 */
export function checkClasses(net: Network, classes: number, model: string, data: string): void {
  const out = net.outputShape().slice(1).reduce((a, b) => a * b, 1);
  const ok = net.accuracyKind === 'binary' ? classes <= 2 : net.accuracyKind === 'categorical' ? out >= classes : false;
  if (!ok) {
    throw new Error(`${model} has ${out} ${net.lossLayer.type} output${out === 1 ? '' : 's'}, but ${data} has ${classes} classes ` +
      `(needs ${classes} outputs${classes === 2 ? ', or one SigmoidWithLoss output' : ''})`);
  }
}
