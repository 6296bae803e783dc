/**
 * He et al.'s ResNet for CIFAR ("Deep Residual Learning for Image Recognition", 2015, section 4.2): a 3×3
 * convolution, then 3 stages of n basic blocks (16, 32, 64 filters × width; the first block of stages 2 and 3
 * halves the resolution with stride 2), global average pooling, one fully connected layer: depth = 6n + 2
 * (20, 32, 56). Each basic block: conv3×3-BN-ReLU-conv3×3-BN, plus the shortcut, then ReLU. Where a block changes
 * the shape the shortcut is 'padding' (the paper's option A: the input subsampled by 2 and widened with zero
 * channels; no parameters) or 'projection' (option B: 1×1 convolution with stride 2, then BN). Convolutions have
 * no bias (BN follows); He initialization; per-channel BN (eps 1e-5 and running variance starting at 1, as
 * PyTorch's: a fresh network predicts finite values; the book's 0 would divide by √eps in each of 19 layers).
 */
import { checkInt, checkObject, checkOneOf, checkShape, invalidRange } from '../validate';
import { Relu } from '../layers/activations';
import { Affine } from '../layers/affine';
import { BatchNormalization } from '../layers/batchnorm';
import { Convolution } from '../layers/conv';
import { SoftmaxWithLoss } from '../layers/losses';
import { Add } from '../layers/merge';
import { ChannelPad } from '../layers/pad';
import { GlobalAvgPool, Pooling } from '../layers/pool';
import { Input, type SymbolicTensor } from '../layers/symbolic';
import { Graph } from './graph';
import type { NetworkConfig, NetworkOptions } from './network';
import { readOptions } from '../validate';

export type ResNetShortcut = 'padding' | 'projection';

export interface ResNetOptions extends NetworkOptions {
  /** 20, 32 or 56 (6n + 2, n blocks per stage). Default 20. */
  depth?: 20 | 32 | 56;
  /** [C, H, W] of one sample: [1, 28, 28] (default) or [3, 32, 32]; any size >= 4×4 works. */
  inputDim?: readonly number[];
  /** Classes (default 10). */
  outputSize?: number;
  /** Filters of the stages: 16·width, 32·width, 64·width (default 1). */
  width?: number;
  /** Shortcut where a block changes shape: 'padding' (default, option A) or 'projection' (option B). */
  shortcut?: ResNetShortcut;
}

const KEYS = new Set(['depth', 'inputDim', 'outputSize', 'width', 'shortcut', 'seed', 'weightDecayLambda', 'backend', 'fuse']);

/**
 * ResNet-20/32/56 for CIFAR-sized images, as a Graph: nodes named stem/conv, stage2/block1/conv1,
 * stage2/block1/shortcut/pad, stage2/block1/add, …, gap, fc; parameters stage1/block1/conv1.W, …, fc.W, fc.b.
 *
 * @example
 * const net = new ResNet({ depth: 20, inputDim: [3, 32, 32], outputSize: 10, seed: 1 });
 * net.paramCount();         // 272,474 (padding shortcuts)
 * console.log(net.summary());
 * @throws {TypeError|RangeError} a depth other than 20, 32, 56; a bad inputDim, outputSize, width or shortcut; an
 *   unknown option
 */
export class ResNet extends Graph {
  override readonly type: string = 'ResNet';
  readonly options: { depth: 20 | 32 | 56; inputDim: number[]; outputSize: number; width: number; shortcut: ResNetShortcut };

  constructor(opts: ResNetOptions = {}) {
    const o = readOptions<ResNetOptions & Record<string, unknown>>('ResNet', opts, [...KEYS]);
    const depth = o.depth ?? 20;
    if (depth !== 20 && depth !== 32 && depth !== 56) throw invalidRange('ResNet depth', '20, 32 or 56', depth);
    const inputDim = checkShape('ResNet inputDim', o.inputDim ?? [1, 28, 28], 3);
    if (inputDim[1] < 4 || inputDim[2] < 4) throw invalidRange('ResNet inputDim', 'an image of at least 4×4', `[${inputDim.join(', ')}]`);
    const outputSize = checkInt('ResNet outputSize', o.outputSize ?? 10, 1);
    const width = checkInt('ResNet width', o.width ?? 1, 1);
    const shortcut = checkOneOf('ResNet shortcut', o.shortcut ?? 'padding', ['padding', 'projection'] as const);
    const { input, output } = resnetGraph(depth, inputDim, outputSize, width, shortcut);
    super({ input, output, loss: new SoftmaxWithLoss(), seed: o.seed, weightDecayLambda: o.weightDecayLambda, backend: o.backend, ...(o.fuse === undefined ? {} : { fuse: o.fuse }) });
    this.options = { depth, inputDim, outputSize, width, shortcut };
  }

  override config(): NetworkConfig {
    return { type: this.type, ...this.options, inputDim: [...this.options.inputDim], weightDecayLambda: this.weightDecayLambda, seed: this.seed };
  }

  /** The same network as an explicit Graph config (every node; what `new Graph` / ONNX export read). */
  graphConfig(): NetworkConfig {
    return { ...super.config(), type: 'Graph' };
  }
}

function resnetGraph(depth: number, inputDim: number[], outputSize: number, width: number, shortcut: ResNetShortcut): { input: SymbolicTensor; output: SymbolicTensor } {
  const n = (depth - 2) / 6;
  const input = Input(inputDim);
  const conv = (x: SymbolicTensor, C: number, F: number, k: number, stride: number, name: string) =>
    new Convolution(C, F, k, { stride, pad: (k - 1) / 2, bias: false, initialize: false }).apply(x, name);
  const bn = (x: SymbolicTensor, F: number, name: string) => new BatchNormalization(F, { axis: 'channel', eps: 1e-5, initialRunningVar: 1 }).apply(x, name);
  const relu = (x: SymbolicTensor, name: string) => new Relu().apply(x, name);
  const F0 = 16 * width;
  let h = relu(bn(conv(input, inputDim[0], F0, 3, 1, 'stem/conv'), F0, 'stem/bn'), 'stem/relu');
  let C = F0;
  for (let stage = 1; stage <= 3; stage++) {
    const F = F0 << (stage - 1);
    for (let b = 1; b <= n; b++) {
      const p = `stage${stage}/block${b}`;
      const stride = stage > 1 && b === 1 ? 2 : 1;
      const r = relu(bn(conv(h, C, F, 3, stride, `${p}/conv1`), F, `${p}/bn1`), `${p}/relu1`);
      const main = bn(conv(r, F, F, 3, 1, `${p}/conv2`), F, `${p}/bn2`);
      let short = h;
      if (stride !== 1 || C !== F) {
        if (shortcut === 'projection') {
          short = bn(conv(h, C, F, 1, stride, `${p}/shortcut/conv`), F, `${p}/shortcut/bn`);
        } else {
          const sub = stride === 1 ? h : new Pooling(1, 1, { stride }).apply(h, `${p}/shortcut/subsample`);
          const extra = F - C;
          short = new ChannelPad(extra >> 1, extra - (extra >> 1)).apply(sub, `${p}/shortcut/pad`);
        }
      }
      h = relu(new Add().apply([main, short], `${p}/add`), `${p}/relu2`);
      C = F;
    }
  }
  const output = new Affine(C, outputSize, { initialize: false }).apply(new GlobalAvgPool().apply(h, 'gap'), 'fc');
  return { input, output };
}
