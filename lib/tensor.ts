import { checkShape, invalidRange, invalidType } from './validate';

let budget: { left: number; what: string } | null = null;

/**
 * The most elements one tensor may hold (2^31 − 1: 8 GiB of float32; the native core indexes with 32-bit
 * signed sizes in places). Networks check their options against it at construction, naming the option.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * Runs `fn` with a cap on the elements `Tensor.zeros` may allocate (RangeError past it, before allocating).
 * Loading a model builds the network its file describes: the cap keeps a hostile description from making a
 * huge allocation that the file's own tensors could never fill.
 */
export function withAllocationBudget<T>(maxElements: number, what: string, fn: () => T): T {
  const saved = budget;
  budget = { left: maxElements, what };
  try {
    return fn();
  } finally {
    budget = saved;
  }
}

/**
 * A dense float32 tensor: a Float32Array plus a shape, row-major (NCHW for images).
 *
 * @example
 * const x = new Tensor(new Float32Array(2 * 3), [2, 3]);
 * const flat = x.reshape([6]);   // shares data
 * @throws {TypeError} data is not a Float32Array
 * @throws {RangeError} the shape's size differs from data.length
 */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];

  constructor(data: Float32Array, shape: readonly number[]) {
    if (!(data instanceof Float32Array)) throw invalidType('data', 'a Float32Array', data);
    checkShape('shape', shape as number[]);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw invalidRange('shape', `a shape whose size equals data.length ${data.length}`, `[${shape.join(', ')}] (size ${size})`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /**
   * A tensor of zeros. `what` names it in errors (e.g. 'Affine W').
   * @throws {RangeError} more than MAX_TENSOR_ELEMENTS elements, over an allocation budget, or out of memory
   */
  static zeros(shape: readonly number[], what = 'Tensor.zeros shape'): Tensor {
    checkShape('shape', shape as number[]);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > MAX_TENSOR_ELEMENTS) {
      throw new RangeError(`${what}: [${shape.join(', ')}] has ${size} elements, more than the ${MAX_TENSOR_ELEMENTS} allowed per tensor`);
    }
    if (budget) {
      if (size > budget.left) {
        throw new RangeError(`${budget.what}: a tensor of shape [${shape.join(', ')}] exceeds the allocation budget (${budget.left} elements left)`);
      }
      budget.left -= size;
    }
    let data: Float32Array;
    try {
      data = new Float32Array(size);
    } catch (err) {
      throw new RangeError(`${what}: cannot allocate [${shape.join(', ')}] (${size} elements, ${(size * 4 / 2 ** 30).toFixed(1)} GiB): ${(err as Error).message}`);
    }
    return new Tensor(data, shape);
  }

  static from(values: ArrayLike<number>, shape: readonly number[]): Tensor {
    return new Tensor(Float32Array.from(values), shape);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A view with another shape of the same size (data shared). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** A deep copy. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }
}

