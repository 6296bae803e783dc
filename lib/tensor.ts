import { checkShape, invalidRange, invalidType } from './errors';

/**
 * A dense float32 tensor: a Float32Array plus a shape, row-major (NCHW for images).
 *
 * @example
 * const x = new Tensor(new Float32Array(2 * 3), [2, 3]);
 * const flat = x.reshape([6]);   // shares data
 * @throws {TypeError} data is not a Float32Array
 * @throws {RangeError} the shape's size differs from data.length
 */
let budget: { left: number; what: string } | null = null;

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

  static zeros(shape: readonly number[]): Tensor {
    checkShape('shape', shape as number[]);
    const size = shape.reduce((a, b) => a * b, 1);
    if (budget) {
      if (size > budget.left) {
        throw new RangeError(`${budget.what}: a tensor of shape [${shape.join(', ')}] exceeds the allocation budget (${budget.left} elements left)`);
      }
      budget.left -= size;
    }
    return new Tensor(new Float32Array(size), shape);
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
