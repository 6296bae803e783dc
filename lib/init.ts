/**
 * Weight initialization, as the book does it: W = std · randn(shape), b = 0, with
 *  - 'relu' | 'he'         std = sqrt(2 / fanIn)   (He)
 *  - 'sigmoid' | 'xavier'  std = sqrt(1 / fanIn)   (Xavier, the book's variant)
 *  - a number              std = that number       (the book's weight_init_std = 0.01)
 * fanIn is the number of inputs of one output unit: D for Affine W[D, M], C·KH·KW for Convolution
 * W[F, C, KH, KW] (the book's pre_node_nums). Normals come from the shared Rng (lib/rng.ts) in TypeScript, so the
 * same seed gives bit-identical weights on every backend.
 */
import { checkF32, checkInt, checkNumber, invalidRange, invalidType } from './validate';
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

/**
 * The standard deviation a spec gives for `fanIn` inputs per unit.
 *
 * @example
 * initStd('he', 784);   // sqrt(2 / 784)
 * @throws {TypeError|RangeError} spec is not a weight-init spec (see checkWeightInit), fanIn not an integer >= 1
 */
export function initStd(spec: WeightInit, fanIn: number): number {
  checkWeightInit('weightInit', spec);
  checkInt('fanIn', fanIn, 1);
  if (typeof spec === 'number') return spec;
  if (spec === 'relu' || spec === 'he') return Math.sqrt(2 / fanIn);
  return Math.sqrt(1 / fanIn);
}

function checkRng(rng: unknown): void {
  if (!(rng instanceof Rng)) throw invalidType('rng', 'an Rng', rng);
}

/**
 * data[i] = std · rng.normal(), in index order (the order numpy's randn fills an array).
 *
 * @example
 * fillNormal(new Rng(1), new Float32Array(10), 0.01);
 * @throws {TypeError} rng is not an Rng, data not a Float32Array, std not a number
 * @throws {RangeError} std is not finite
 */
export function fillNormal(rng: Rng, data: Float32Array, std: number): Float32Array {
  checkRng(rng);
  checkF32('data', data);
  checkNumber('std', std);
  for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
  return data;
}

/**
 * data[i] = lo + (hi − lo) · rng.uniform().
 *
 * @example
 * fillUniform(new Rng(1), new Float32Array(10), -0.1, 0.1);
 * @throws {TypeError} rng is not an Rng, data not a Float32Array, lo or hi not a number
 * @throws {RangeError} lo or hi is not finite
 */
export function fillUniform(rng: Rng, data: Float32Array, lo: number, hi: number): Float32Array {
  checkRng(rng);
  checkF32('data', data);
  checkNumber('lo', lo);
  checkNumber('hi', hi);
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rng.uniform();
  return data;
}
