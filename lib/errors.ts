/**
 * The one way simdnet words an invalid argument: which argument, what was expected, what came.
 * Every public entry point validates with these helpers before any native call.
 */

/** Short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return `number ${value}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (typeof value === 'bigint') return `bigint ${value}`;
  if (typeof value === 'function') return 'function';
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    return 'length' in value ? `${name}(${(value as unknown as { length: number }).length})` : name;
  }
  if (Array.isArray(value)) return `Array(${value.length})`;
  const ctor = (value as object).constructor;
  return ctor && ctor !== Object ? ctor.name : 'object';
}

/** A TypeError: `name` should have been `expected`, but `value` came. */
export function invalidType(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`${name}: expected ${expected}, got ${describe(value)}`);
}

/** A RangeError: `name` should have been `expected`, but `value` came. */
export function invalidRange(name: string, expected: string, value: unknown): RangeError {
  return new RangeError(`${name}: expected ${expected}, got ${typeof value === 'string' ? value : describe(value)}`);
}

/** Checks `value` is an integer in [min, max]; returns it. */
export function checkInt(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw invalidType(name, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidRange(name, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

/** Checks `value` is a finite number, optionally within [min, max] (or (min, max] when `exclusiveMin`). */
export function checkNumber(
  name: string,
  value: unknown,
  opts: { min?: number; max?: number; exclusiveMin?: boolean } = {},
): number {
  if (typeof value !== 'number') throw invalidType(name, 'a number', value);
  const { min = -Infinity, max = Infinity, exclusiveMin = false } = opts;
  const lowOk = exclusiveMin ? value > min : value >= min;
  if (!Number.isFinite(value) || !lowOk || value > max) {
    const lo = exclusiveMin ? `(${min}` : `[${min}`;
    throw invalidRange(name, Number.isFinite(min) || Number.isFinite(max) ? `a finite number in ${lo}, ${max}]` : 'a finite number', value);
  }
  return value;
}

/** Checks `value` is a Float32Array with at least (or exactly) `length` elements. */
export function checkF32(name: string, value: unknown, length?: number, exact = true): Float32Array {
  if (!(value instanceof Float32Array)) throw invalidType(name, 'a Float32Array', value);
  if (length !== undefined && (exact ? value.length !== length : value.length < length)) {
    throw invalidRange(name, `a Float32Array of ${exact ? '' : 'at least '}${length} elements`, `length ${value.length}`);
  }
  return value;
}

/** Checks `value` is an Int32Array with exactly `length` elements. */
export function checkI32(name: string, value: unknown, length?: number): Int32Array {
  if (!(value instanceof Int32Array)) throw invalidType(name, 'an Int32Array', value);
  if (length !== undefined && value.length !== length) {
    throw invalidRange(name, `an Int32Array of ${length} elements`, `length ${value.length}`);
  }
  return value;
}

/** Checks `value` is one of `choices`. */
export function checkOneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string') throw invalidType(name, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  if (!(choices as readonly string[]).includes(value)) {
    throw invalidRange(name, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, `'${value}'`);
  }
  return value as T;
}

/** Checks a shape: an array of positive integers of the given rank (if given). */
export function checkShape(name: string, value: unknown, rank?: number): number[] {
  if (!Array.isArray(value)) throw invalidType(name, 'an array of dimensions', value);
  if (rank !== undefined && value.length !== rank) {
    throw invalidRange(name, `a shape of rank ${rank}`, `[${value.join(', ')}]`);
  }
  value.forEach((d, i) => checkInt(`${name}[${i}]`, d, 1));
  return value as number[];
}

/** Throws a RangeError unless every element of `x` is finite (NaN/Inf inputs). */
export function checkFinite(name: string, x: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v - v !== 0) throw invalidRange(name, 'finite values', `${v} at index ${i}`);
  }
}
