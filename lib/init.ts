/**
 * Weight initialization, as the book does it: W = std · randn(shape), b = 0, with
 *  - 'relu' | 'he'         std = sqrt(2 / fanIn)   (He)
 *  - 'sigmoid' | 'xavier'  std = sqrt(1 / fanIn)   (Xavier, the book's variant)
 *  - a number              std = that number       (the book's weight_init_std = 0.01)
 * fanIn is the number of inputs of one output unit: D for Affine W[D, M], C·KH·KW for Convolution
 * W[F, C, KH, KW] (the book's pre_node_nums). Normals come from the shared Rng (lib/rng.ts) in TypeScript, so the
 * same seed gives bit-identical weights on every backend.
 */
import { invalidRange, invalidType } from './validate';
import { Rng } from './rng';

export type WeightInit = 'relu' | 'he' | 'sigmoid' | 'xavier' | number;

const NAMES = ['relu', 'he', 'sigmoid', 'xavier'] as const;

/**
 * Checks a weight-init spec.
 * @throws {TypeError} neither a string nor a number
 * @throws {RangeError} an unknown name, or a number that is negative or not finite
 */
export function checkWeightInit(name: string, value: unknown): WeightInit {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalidRange(name, 'a finite standard deviation >= 0', value);
    return value;
  }
  if (typeof value !== 'string') throw invalidType(name, `a number or one of ${NAMES.map((n) => `'${n}'`).join(', ')}`, value);
  if (!(NAMES as readonly string[]).includes(value)) {
    throw invalidRange(name, `a number or one of ${NAMES.map((n) => `'${n}'`).join(', ')}`, `'${value}'`);
  }
  return value as WeightInit;
}

/** The standard deviation a spec gives for `fanIn` inputs per unit. */
export function initStd(spec: WeightInit, fanIn: number): number {
  if (typeof spec === 'number') return spec;
  if (spec === 'relu' || spec === 'he') return Math.sqrt(2 / fanIn);
  return Math.sqrt(1 / fanIn);
}

/** data[i] = std · rng.normal(), in index order (the order numpy's randn fills an array). */
export function fillNormal(rng: Rng, data: Float32Array, std: number): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
  return data;
}

/** data[i] = lo + (hi − lo) · rng.uniform(). */
export function fillUniform(rng: Rng, data: Float32Array, lo: number, hi: number): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rng.uniform();
  return data;
}
