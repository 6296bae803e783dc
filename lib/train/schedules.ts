/**
 * Learning-rate schedules: pure functions of (epoch, initial learning rate), evaluated once at the start of
 * every epoch (0-based) on the thread that runs the callbacks. Pass one as the Trainer option `lrSchedule`
 * (any `(epoch, initialLr) => lr` function works too).
 */
import { checkInt, checkNumber, invalidType } from '../validate';
import { readOptions } from '../validate';

/** The learning rate for `epoch` (0-based), given the learning rate training started with. */
export type LrSchedule = (epoch: number, initialLr: number) => number;

/**
 * Step decay: lr = initialLr · gamma^floor(epoch / stepSize) (PyTorch's StepLR).
 *
 * @example
 * stepDecay({ stepSize: 10, gamma: 0.1 })(25, 0.1); // 0.001
 * @throws {TypeError|RangeError} stepSize not a positive integer, gamma not in (0, 1]
 */
export function stepDecay(opts: { stepSize: number; gamma?: number }): LrSchedule {
  if (opts === null || typeof opts !== 'object') throw invalidType('stepDecay options', 'an object', opts);
  opts = readOptions('stepDecay', opts, ['stepSize', 'gamma']);
  const stepSize = checkInt('stepSize', opts.stepSize, 1);
  const gamma = checkNumber('gamma', opts.gamma ?? 0.1, { min: 0, max: 1, exclusiveMin: true });
  return (epoch, initialLr) => initialLr * Math.pow(gamma, Math.floor(epoch / stepSize));
}

/**
 * Cosine decay from initialLr (epoch 0) to minLr (epoch `epochs`, and after):
 * lr = minLr + (initialLr − minLr) · (1 + cos(π · min(epoch, epochs) / epochs)) / 2.
 *
 * @example
 * cosineDecay({ epochs: 20, minLr: 1e-5 })(10, 0.001); // ≈ 0.0005
 * @throws {TypeError|RangeError} epochs not a positive integer, minLr negative
 */
export function cosineDecay(opts: { epochs: number; minLr?: number }): LrSchedule {
  if (opts === null || typeof opts !== 'object') throw invalidType('cosineDecay options', 'an object', opts);
  opts = readOptions('cosineDecay', opts, ['epochs', 'minLr']);
  const epochs = checkInt('epochs', opts.epochs, 1);
  const minLr = checkNumber('minLr', opts.minLr ?? 0, { min: 0 });
  return (epoch, initialLr) => {
    const e = Math.min(epoch, epochs);
    return minLr + (initialLr - minLr) * 0.5 * (1 + Math.cos((Math.PI * e) / epochs));
  };
}

/**
 * Exponential decay: lr = initialLr · gamma^epoch.
 *
 * @example
 * exponentialDecay({ gamma: 0.9 })(2, 1); // 0.81
 * @throws {TypeError|RangeError} gamma not in (0, 1]
 */
export function exponentialDecay(opts: { gamma: number }): LrSchedule {
  if (opts === null || typeof opts !== 'object') throw invalidType('exponentialDecay options', 'an object', opts);
  opts = readOptions('exponentialDecay', opts, ['gamma']);
  const gamma = checkNumber('gamma', opts.gamma, { min: 0, max: 1, exclusiveMin: true });
  return (epoch, initialLr) => initialLr * Math.pow(gamma, epoch);
}
