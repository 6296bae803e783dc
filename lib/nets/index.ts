/**
 * The networks, and `networkFromConfig`, which rebuilds any network from its `config()` JSON (same type, options,
 * parameter names and shapes; the weights are re-initialized from the config's seed: load saved values afterwards).
 */
import { invalidRange, invalidType } from '../validate';
import { DeepConvNet, type DeepConvNetOptions } from './deep_convnet';
import { Graph } from './graph';
import { ResNet, type ResNetOptions } from './resnet';
import { MultiLayerNet, MultiLayerNetExtend, type MultiLayerNetExtendOptions, type MultiLayerNetOptions } from './multi_layer_net';
import type { Network, NetworkConfig, NetworkOptions } from './network';
import { Sequential } from './sequential';
import { SimpleConvNet, type SimpleConvNetOptions } from './simple_convnet';

export {
  Network, NETWORK_INPUT,
  type GraphSpec, type NetworkConfig, type NetworkNode, type NetworkOptions, type ParamNaming, type Target,
} from './network';
export { Graph, graphNodeConfigs, type GraphNodeConfig, type GraphOptions } from './graph';
export { ResNet, type ResNetOptions, type ResNetShortcut } from './resnet';
export { foldBatchNorm } from './fold';
export { Sequential, type SequentialOptions } from './sequential';
export { SimpleConvNet, type SimpleConvNetOptions } from './simple_convnet';
export { DeepConvNet, type DeepConvNetOptions } from './deep_convnet';
export { MultiLayerNet, MultiLayerNetExtend, type HiddenActivation, type MultiLayerNetExtendOptions, type MultiLayerNetOptions } from './multi_layer_net';
export type { ConvParam } from './options';

export const NETWORK_TYPES = ['Graph', 'Sequential', 'SimpleConvNet', 'DeepConvNet', 'MultiLayerNet', 'MultiLayerNetExtend', 'ResNet'] as const;

/**
 * Rebuilds a network from `net.config()`. `opts` overrides the backend (and the seed, if given).
 *
 * @example
 * const copy = networkFromConfig(JSON.parse(JSON.stringify(net.config())));
 * @throws {TypeError} cfg is not an object with a string `type`; {RangeError} an unknown type, bad options, a
 *   `backend` key in the config
 */
export function networkFromConfig(cfg: NetworkConfig, opts: NetworkOptions = {}): Network {
  if (cfg === null || typeof cfg !== 'object' || typeof cfg.type !== 'string') {
    throw invalidType('network config', 'an object with a string `type`', cfg);
  }
  if (Object.hasOwn(cfg, 'backend')) {
    throw invalidRange('network config', 'no backend (a config is JSON; the backend is chosen when building: opts.backend)', `a 'backend' key`);
  }
  const { type, ...rest } = cfg;
  const o = { ...rest, ...definedOnly(opts) };
  switch (type) {
    case 'Sequential':
      return Sequential.fromConfig(cfg, opts);
    case 'Graph':
      return Graph.fromConfig(cfg, opts);
    case 'ResNet':
      return new ResNet(o as ResNetOptions);
    case 'SimpleConvNet':
      return new SimpleConvNet(o as SimpleConvNetOptions);
    case 'DeepConvNet':
      return new DeepConvNet(o as DeepConvNetOptions);
    case 'MultiLayerNet':
      return new MultiLayerNet(o as unknown as MultiLayerNetOptions);
    case 'MultiLayerNetExtend':
      return new MultiLayerNetExtend(o as unknown as MultiLayerNetExtendOptions);
    default:
      throw invalidRange('network config type', `one of ${NETWORK_TYPES.join(', ')}`, `'${type}'`);
  }
}

function definedOnly(o: NetworkOptions): NetworkOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as NetworkOptions;
}
