/**
 * Argument validation: the one module that words every invalid-argument error, always as
 * `<argument>: expected <what was expected>, got <what came>` (sharp's `invalidParameterError`).
 * Every public entry point checks its arguments with these helpers before any backend call. Internal: not
 * exported from the package's entry point (lib/index.ts); the errors it builds are plain TypeError/RangeError.
 *
 * @example
 * const stride = checkInt('Convolution stride', opts.stride ?? 1, 1);
 * const o = checkOptions('Adam', opts, ['lr', 'beta1', 'beta2', 'backend']);   // unknown keys -> RangeError
 */

/** Short description of a value for error messages ("number 3", "Float32Array(10)", "string \"x\""). */
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

/** A RangeError: `name` should have been `expected`, but `value` came (a string `value` is used as written). */
export function invalidRange(name: string, expected: string, value: unknown): RangeError {
  return new RangeError(`${name}: expected ${expected}, got ${typeof value === 'string' ? value : describe(value)}`);
}

// ---- numbers ------------------------------------------------------------------------------------------------

/** Checks `value` is an integer in [min, max]; returns it. */
export function checkInt(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw invalidType(name, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidRange(name, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, value);
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

/** Checks `value` is a number in [0, 1) (a momentum, a decay rate, a dropout ratio). */
export function checkUnit(name: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidType(name, 'a number', value);
  if (!(value >= 0 && value < 1)) throw invalidRange(name, 'a finite number in [0, 1)', value);
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

// ---- arrays -------------------------------------------------------------------------------------------------

type View = Float32Array | Int32Array | Uint8Array | Uint16Array;
type ViewCtor = { new (n: number): View; name: string };

/** Checks `value` is an instance of `ctor` with at least `min` elements (min undefined: any length). */
export function checkView<T extends View>(name: string, value: unknown, ctor: ViewCtor, min?: number): T {
  if (!(value instanceof ctor)) throw invalidType(name, `a ${ctor.name}`, value);
  if (min !== undefined && value.length < min) {
    throw invalidRange(name, `a ${ctor.name} of at least ${min} elements`, `length ${value.length}`);
  }
  return value as T;
}

/** Checks `value` is a Float32Array with at least `min` elements (min undefined: any length). */
export function checkF32(name: string, value: unknown, min?: number): Float32Array {
  return checkView<Float32Array>(name, value, Float32Array, min);
}

/** Checks `value` is an Int32Array with at least `min` elements (min undefined: any length). */
export function checkI32(name: string, value: unknown, min?: number): Int32Array {
  return checkView<Int32Array>(name, value, Int32Array, min);
}

/** Checks a shape: an array of integers >= 1 (dimensions), of the given rank if one is given. */
export function checkShape(name: string, value: unknown, rank?: number): number[] {
  if (!Array.isArray(value)) throw invalidType(name, 'an array of dimensions', value);
  if (rank !== undefined && value.length !== rank) {
    throw invalidRange(name, `a shape of rank ${rank}`, `[${value.join(', ')}]`);
  }
  value.forEach((d, i) => checkInt(`${name}[${i}]`, d, 1));
  return value as number[];
}

// ---- options objects -----------------------------------------------------------------------------------------

/** Checks `value` is an options object (undefined: {}); returns it as a record. */
export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidType(name, 'an options object', value);
  return value as Record<string, unknown>;
}

/**
 * Checks the options object of `owner` (a class or function name): undefined gives {}, anything but a plain
 * object is a TypeError, and a key outside `allowed` is a RangeError naming it and the nearest allowed key:
 * `Adam options: expected options among lr, beta1, beta2, backend, got unknown option 'betta1' (did you mean 'beta1'?)`.
 * A key whose value is `undefined` counts as not given (so `{ ...defaults, x: undefined }` passes).
 *
 * @example
 * constructor(opts: AdamOptions = {}) {
 *   const o = checkOptions('Adam', opts, ['lr', 'beta1', 'beta2', 'backend']);
 * }
 * @throws {TypeError} opts is not an object
 * @throws {RangeError} opts has a key outside `allowed`
 */
export function checkOptions(owner: string, opts: unknown, allowed: readonly string[]): Record<string, unknown> {
  const o = checkObject(`${owner} options`, opts);
  for (const key of Object.keys(o)) {
    if (o[key] === undefined || allowed.includes(key)) continue;
    const near = nearest(key, allowed);
    throw invalidRange(
      `${owner} options`,
      allowed.length > 0 ? `options among ${allowed.join(', ')}` : 'no options',
      `unknown option '${key}'${near ? ` (did you mean '${near}'?)` : ''}`,
    );
  }
  return o;
}

/**
 * The options of `owner`, read as every public options object is: checkOptions' refusal of unknown keys, plus the
 * book's snake_case spelling of any camelCase key as an alias (hidden_size for hiddenSize, filter_num for filterNum,
 * mini_batch_size for miniBatchSize). Returns a copy with the camelCase keys; both spellings of one key are refused.
 *
 * @example
 * const o = readOptions<SimpleConvNetOptions>('SimpleConvNet', opts, ['inputDim', 'convParam', 'hiddenSize']);
 * @throws {TypeError} opts is not an object
 * @throws {RangeError} an unknown key (naming the nearest allowed one), or one key in both spellings
 */
export function readOptions<T extends object>(owner: string, opts: unknown, allowed: readonly string[]): T {
  const o = checkObject(`${owner} options`, opts);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    let key = k;
    const camel = k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (!allowed.includes(k) && camel !== k && allowed.includes(camel)) {
      if (o[camel] !== undefined) throw invalidRange(`${owner} options`, `one spelling of '${camel}'`, `both '${k}' and '${camel}'`);
      key = camel;
    }
    if (!allowed.includes(key)) checkOptions(owner, { [k]: v }, allowed); // throws, naming the nearest key
    out[key] = v;
  }
  return out as T;
}

/** The allowed key (or CLI flag) closest to `key`: same letters ignoring case, '_' and '-', else edit distance <= 1/3 of it. */
export function nearestKey(key: string, allowed: readonly string[]): string | null {
  return nearest(key, allowed);
}

function nearest(key: string, allowed: readonly string[]): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const k = norm(key);
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(k.length / 3)) + 1;
  for (const a of allowed) {
    const d = norm(a) === k ? 0 : editDistance(k, norm(a));
    if (d < bestD) {
      best = a;
      bestD = d;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
