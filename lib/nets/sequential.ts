import { invalidType } from '../validate';
import { layerFromConfig, type LayerConfig } from '../layers';
import type { Layer } from '../layers/layer';
import { Network, type NetworkConfig, type NetworkOptions } from './network';
import { readOptions } from '../validate';
import { NETWORK_OPTION_KEYS } from './options';

export interface SequentialOptions extends NetworkOptions {
  /**
   * Shape of one sample, without the batch dimension: [784], [1, 28, 28], … Omitted: the network is built by
   * `build(inputShape)` or its first forward, which also fix the input sizes of `Affine(outputSize)` layers.
   */
  inputShape?: readonly number[];
  /**
   * true (default): the network re-initializes every layer's parameters from its Rng (`seed`), so the seed alone
   * fixes the weights; false: keep the parameters the layers already hold.
   */
  initialize?: boolean;
}

/**
 * A network from a list of layers, the last one a loss layer.
 *
 * @example
 * const net = new Sequential(
 *   [new Affine(784, 50), new Relu(), new Affine(50, 10), new SoftmaxWithLoss()],
 *   { inputShape: [784], seed: 1 },
 * );
 * const loss = net.loss(x, labels);
 * @example
 * const lazy = new Sequential([new Convolution(1, 8, 3), new Relu(), new Flatten(), new Affine(10), new SoftmaxWithLoss()]);
 * lazy.build([1, 28, 28]);                   // Affine's input size: 8·26·26
 * console.log(lazy.summary());
 * @throws {TypeError} no layers, a non-layer, no loss layer last; {RangeError} layers whose shapes do not chain from
 *   inputShape (naming the layer), a bad seed or weightDecayLambda
 */
export class Sequential extends Network {
  readonly type = 'Sequential';

  constructor(layers: Layer[], opts: SequentialOptions = {}) {
    if (!Array.isArray(layers)) throw invalidType('Sequential layers', 'an array of layers', layers);
    opts = readOptions<SequentialOptions>('Sequential', opts, ['inputShape', 'initialize', ...NETWORK_OPTION_KEYS]);
    super(layers, opts.inputShape, opts, opts.initialize ?? true);
  }

  config(): NetworkConfig {
    return {
      type: this.type,
      inputShape: [...this.inputShape],
      layers: this.layers.map((l) => l.config()),
      weightDecayLambda: this.weightDecayLambda,
      seed: this.seed,
    };
  }

  /** Rebuilds from `config()`. */
  static fromConfig(cfg: NetworkConfig, opts: NetworkOptions = {}): Sequential {
    const layers = cfg.layers;
    if (!Array.isArray(layers)) throw invalidType('Sequential config layers', 'an array of layer configs', layers);
    return new Sequential(
      layers.map((l) => layerFromConfig(l as LayerConfig, { backend: opts.backend })),
      {
        inputShape: cfg.inputShape as number[],
        weightDecayLambda: (cfg.weightDecayLambda as number | undefined) ?? 0,
        seed: opts.seed ?? (cfg.seed as number | undefined) ?? 0,
        backend: opts.backend,
      },
    );
  }
}
