/** Option checks shared by the book's networks (worded through lib/errors.ts). */
import { invalidRange, invalidType } from '../errors';
import { MAX_TENSOR_ELEMENTS } from '../tensor';

export interface ConvParam {
  filterNum: number;
  filterSize: number;
  pad: number;
  stride: number;
}

export function checkObject(name: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidType(name, 'an options object', v);
  return v as Record<string, unknown>;
}

export function posInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number') throw invalidType(name, 'an integer', v);
  if (!Number.isInteger(v) || v < min) throw invalidRange(name, `an integer >= ${min}`, v);
  return v;
}

export function checkDims(name: string, v: unknown, rank?: number): number[] {
  if (!Array.isArray(v)) throw invalidType(name, 'an array of dimensions', v);
  if (rank !== undefined && v.length !== rank) throw invalidRange(name, `${rank} dimensions`, `[${v.join(', ')}]`);
  return v.map((d, i) => posInt(`${name}[${i}]`, d));
}

/** A conv param with defaults filled in: {filterNum, filterSize, pad, stride}. */
export function checkConvParam(name: string, v: unknown, dflt: ConvParam): ConvParam {
  const o = checkObject(name, v);
  return {
    filterNum: posInt(`${name}.filterNum`, o.filterNum ?? dflt.filterNum),
    filterSize: posInt(`${name}.filterSize`, o.filterSize ?? dflt.filterSize),
    pad: posInt(`${name}.pad`, o.pad ?? dflt.pad, 0),
    stride: posInt(`${name}.stride`, o.stride ?? dflt.stride),
  };
}

/** Accepts the book's snake_case names too (filter_num, filter_size). */
export function camelConvParam(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  return {
    ...o,
    filterNum: o.filterNum ?? o.filter_num,
    filterSize: o.filterSize ?? o.filter_size,
  };
}

/** A dropout ratio in [0, 1). */
export function checkRatio(name: string, v: unknown): number {
  if (typeof v !== 'number') throw invalidType(name, 'a number in [0, 1)', v);
  if (!(v >= 0 && v < 1)) throw invalidRange(name, 'a number in [0, 1)', v);
  return v;
}

/**
 * Checks that the weights an option makes stay within MAX_TENSOR_ELEMENTS, before anything is allocated:
 * entries [option name, option value, parameter name, parameter shape].
 * @throws {RangeError} naming the option, the parameter, its size and the limit
 */
export function checkWeightSizes(entries: readonly [string, unknown, string, readonly number[]][]): void {
  for (const [option, value, param, shape] of entries) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > MAX_TENSOR_ELEMENTS) {
      throw invalidRange(option, `a value giving at most ${MAX_TENSOR_ELEMENTS} elements per tensor (${param} [${shape.join(', ')}] would have ${size})`, value);
    }
  }
}
