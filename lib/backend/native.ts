import type { NativeAddon } from './addon';
import { NativeForwarding } from './native.generated';
import type { Backend, BackendInfo } from './types';

/**
 * The C++ core through N-API: arrays are passed zero-copy. Get it with `getBackend()` / `useBackend('native')`.
 * Most methods are the generated one-line forwarding of native/ops.json (./native.generated.ts); the ones here
 * adapt a Backend signature to the addon's (batch normalization's positional arguments to its option structs).
 *
 * @example
 * const b = useBackend('native');
 * b.info();                               // { backend: 'native', isa: 'avx2', bestIsa: 'avx2', threads: 2 }
 * const C = new Float32Array(4);
 * b.sgemm(false, false, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 0, 2, new Float32Array([1, 0, 0, 1]), 0, 2, 0, C, 0, 2);
 * @throws {TypeError|RangeError} from the binding's guards on wrong array types, short arrays or bad sizes
 */
export class NativeBackend extends NativeForwarding implements Backend {
  readonly name = 'native' as const;

  constructor(addon: NativeAddon) {
    super(addon);
  }

  info(): BackendInfo {
    const i = this.addon.info();
    return { backend: 'native', isa: i.isa, bestIsa: i.bestIsa, threads: i.threads };
  }

  batchNormForward(x: Float32Array, N: number, C: number, S: number, gamma: Float32Array, beta: Float32Array, runMean: Float32Array, runVar: Float32Array,
    momentum: number, eps: number, training: boolean, relu: boolean, y: Float32Array, mean: Float32Array, std: Float32Array): void {
    this.addon.batchNormForward(x, { N, C, S }, gamma, beta, runMean, runVar, { momentum, eps, training, relu }, y, mean, std);
  }
  batchNormBackward(dy: Float32Array, x: Float32Array, relu: boolean, mean: Float32Array, std: Float32Array, gamma: Float32Array, beta: Float32Array,
    N: number, C: number, S: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void {
    this.addon.batchNormBackward(dy, x, relu, mean, std, gamma, beta, { N, C, S }, dx, dgamma, dbeta);
  }
}
