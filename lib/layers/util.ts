/**
 * Small helpers shared by the layers: input checks worded through lib/validate.ts, and output buffers that are
 * reused while the shape repeats (one allocation per new batch shape, none per step).
 */
import { invalidRange, invalidType } from '../validate';
import { Tensor } from '../tensor';

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `buf` when it already has `shape`, else a new zero tensor of that shape. */
export function reuse(buf: Tensor | undefined, shape: readonly number[]): Tensor {
  return buf !== undefined && sameShape(buf.shape, shape) ? buf : Tensor.zeros(shape);
}

/** Checks `x` is a Tensor; `who` names the layer ("Affine input"). */
export function checkTensor(who: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidType(who, 'a Tensor', x);
  return x;
}

/** A RangeError about an input's shape: "<who>: expected <expected>, got [..]". */
export function badShape(who: string, expected: string, shape: readonly number[]): RangeError {
  return invalidRange(who, expected, shapeStr(shape));
}

/** Checks a rank-4 NCHW input with `C` channels (C omitted: any). */
export function check4d(who: string, x: Tensor, C?: number): void {
  if (x.rank !== 4 || (C !== undefined && x.shape[1] !== C)) {
    throw badShape(who, `a 4-D tensor [N, ${C ?? 'C'}, H, W]`, x.shape);
  }
}
