/** Option checks shared by the book's networks (worded through lib/validate.ts). */
import { checkInt, checkObject, invalidRange } from '../validate';
import { MAX_TENSOR_ELEMENTS } from '../tensor';
import { readOptions } from '../validate';

export interface ConvParam {
  filterNum: number;
  filterSize: number;
  pad: number;
  stride: number;
}

/** A conv param with defaults filled in: {filterNum, filterSize, pad, stride}. */
export function checkConvParam(name: string, v: unknown, dflt: ConvParam): ConvParam {
  const o = readOptions<Record<string, unknown>>(name, v, ['filterNum', 'filterSize', 'pad', 'stride']);
  return {
    filterNum: checkInt(`${name}.filterNum`, o.filterNum ?? dflt.filterNum, 1),
    filterSize: checkInt(`${name}.filterSize`, o.filterSize ?? dflt.filterSize, 1),
    pad: checkInt(`${name}.pad`, o.pad ?? dflt.pad, 0),
    stride: checkInt(`${name}.stride`, o.stride ?? dflt.stride, 1),
  };
}

/** The conv param as given (its snake_case keys, filter_num, filter_size, are read by checkConvParam). */
export function camelConvParam(v: unknown): unknown {
  return v;
}

/** Keys every network takes (NetworkOptions). */
export const NETWORK_OPTION_KEYS = ['backend', 'seed', 'weightDecayLambda', 'fuse'] as const;

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
