/**
 * Seeded random numbers, bit-for-bit the same as native/core/rng.h: the same seed gives the same weights,
 * masks, augmentations and shuffles on both backends.
 *
 * Counter-based stream: mix32 is the "lowbias32" hash; stream_base(seed, counter) = mix32(seed ^ mix32(counter));
 * draw i = mix32(base + i); uniform = (draw >>> 8) * 2^-24.
 */
import { checkInt } from './validate';

export function mix32(x: number): number {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export function streamBase(seed: number, counter: number): number {
  return mix32((seed ^ mix32(counter)) >>> 0);
}

export function streamDraw(base: number, i: number): number {
  return mix32((base + i) >>> 0);
}

export function streamUniform(base: number, i: number): number {
  return (streamDraw(base, i) >>> 8) * (1 / 16777216);
}

/** The serializable state of an Rng: seed and how many streams/draws it has used. */
export interface RngState {
  seed: number;
  counter: number;
  index: number;
  spare: number | null;
}

/**
 * A sequential generator over the counter-based stream. Each `nextStream()` hands a fresh (seed, counter)
 * pair to a native op (dropout, augmentation) so that op draws exactly what the TS backend would.
 *
 * @example
 * const rng = new Rng(42);
 * const x = rng.uniform();      // [0, 1)
 * const g = rng.normal();       // N(0, 1)
 */
/** Rng's count arguments: an integer in [min, max] (TypeError/RangeError naming it, as lib/errors.ts words them). */
function checkCount(name: string, n: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof n !== 'number') throw new TypeError(`${name}: expected an integer, got ${n === null ? 'null' : typeof n}`);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${name}: expected an integer in [${min}, ${max}], got ${n}`);
  }
}

export class Rng {
  seed: number;
  private counter: number;
  private base: number;
  private index: number;
  private spare: number | null = null;

  constructor(seed = 0) {
    checkInt('seed', seed, 0, 0xffffffff);
    this.seed = seed >>> 0;
    this.counter = 0;
    this.base = streamBase(this.seed, 0);
    this.index = 0;
  }

  /** Uniform in [0, 1), 24-bit resolution. */
  uniform(): number {
    const u = streamUniform(this.base, this.index++);
    if (this.index >= 0x100000000) this.advance();
    return u;
  }

  /** Uniform in [0, 1) with 53-bit resolution (two draws). */
  uniform53(): number {
    const hi = this.uint32() >>> 5;
    const lo = this.uint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uint32(): number {
    const d = streamDraw(this.base, this.index++);
    if (this.index >= 0x100000000) this.advance();
    return d;
  }

  /**
   * Integer in [0, n).
   * @throws {TypeError|RangeError} n is not an integer in [1, 2^53]
   */
  int(n: number): number {
    checkCount('n', n, 1);
    return Math.floor(this.uniform53() * n);
  }

  /** Standard normal (Box–Muller on 53-bit uniforms). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform53();
    const v = this.uniform53();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /**
   * A permutation of 0..n-1.
   * @throws {TypeError|RangeError} n is not an integer in [0, 2^31 - 1]
   */
  permutation(n: number): Int32Array {
    checkCount('n', n, 0, 0x7fffffff);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * Reserves a fresh stream for a bulk op (dropout mask, augmentation): returns its (seed, counter);
   * the op draws `streamUniform(streamBase(seed, counter), i)` for i = 0, 1, ….
   */
  nextStream(): { seed: number; counter: number } {
    this.advance();
    return { seed: this.seed, counter: this.counter };
  }

  /** The exact position of the generator: restoring it continues the same sequence. */
  getState(): RngState {
    return { seed: this.seed, counter: this.counter, index: this.index, spare: this.spare };
  }

  setState(state: RngState): void {
    this.seed = state.seed >>> 0;
    this.counter = state.counter >>> 0;
    this.base = streamBase(this.seed, this.counter);
    this.index = state.index;
    this.spare = state.spare;
  }

  private advance(): void {
    this.counter = (this.counter + 1) >>> 0;
    this.base = streamBase(this.seed, this.counter);
    this.index = 0;
    this.spare = null;
  }
}
