/**
 * Mutations of a valid seed file, as fast-check arbitraries (so a failing input shrinks to a small one):
 * bit flips, bytes set to boundary values, 16/32-bit boundary integers written in either byte order,
 * truncation, deletion, insertion of random bytes or of the reader's dictionary tokens, and copies of the
 * file's own bytes to another place. Positions are taken modulo the current length.
 */
import fc from 'fast-check';

export type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; v: number }
  | { k: 'int'; at: number; v: number; width: 2 | 4; big: boolean }
  | { k: 'truncate'; at: number }
  | { k: 'delete'; at: number; n: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'token'; at: number; t: number; replace: boolean }
  | { k: 'copy'; from: number; to: number; n: number };

const BOUNDARY_BYTES = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x30, 0x39, 0x2c, 0x0a];
const BOUNDARY_INTS = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export function mutationArb(): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('set' as const), at, v: fc.oneof(fc.constantFrom(...BOUNDARY_BYTES), fc.integer({ min: 0, max: 255 })) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('int' as const), at, v: fc.constantFrom(...BOUNDARY_INTS), width: fc.constantFrom(2 as const, 4 as const), big: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), at }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 16 }) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('token' as const), at, t: fc.nat(), replace: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('copy' as const), from: fc.nat(), to: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }) },
  );
}

/** A seed index and 1–6 mutations: what one fuzz execution feeds the reader. */
export interface FuzzCase {
  seed: number;
  ops: Mutation[];
}

export function caseArb(seedCount: number): fc.Arbitrary<FuzzCase> {
  return fc.record({ seed: fc.integer({ min: 0, max: seedCount - 1 }), ops: fc.array(mutationArb(), { minLength: 1, maxLength: 6 }) });
}

export function applyMutations(seed: Uint8Array, ops: readonly Mutation[], dict: readonly Uint8Array[]): Uint8Array {
  let b = Uint8Array.from(seed);
  const splice = (at: number, del: number, ins: Uint8Array) => {
    const out = new Uint8Array(b.length - del + ins.length);
    out.set(b.subarray(0, at));
    out.set(ins, at);
    out.set(b.subarray(at + del), at + ins.length);
    b = out;
  };
  for (const op of ops) {
    const n = b.length;
    switch (op.k) {
      case 'flip':
        if (n) b[op.at % n] ^= 1 << op.bit;
        break;
      case 'set':
        if (n) b[op.at % n] = op.v;
        break;
      case 'int': {
        if (n < op.width) break;
        const at = op.at % (n - op.width + 1);
        for (let i = 0; i < op.width; i++) {
          const byte = Math.floor(op.v / 2 ** (8 * i)) & 255;
          b[at + (op.big ? op.width - 1 - i : i)] = byte;
        }
        break;
      }
      case 'truncate':
        b = b.subarray(0, op.at % (n + 1));
        break;
      case 'delete':
        if (n) {
          const at = op.at % n;
          splice(at, Math.min(op.n, n - at), new Uint8Array(0));
        }
        break;
      case 'insert':
        splice(op.at % (n + 1), 0, op.bytes);
        break;
      case 'token': {
        if (dict.length === 0) break;
        const tok = dict[op.t % dict.length];
        const at = op.at % (n + 1);
        splice(at, op.replace ? Math.min(tok.length, n - at) : 0, tok);
        break;
      }
      case 'copy':
        if (n) {
          const from = op.from % n;
          splice(op.to % (n + 1), 0, b.slice(from, Math.min(n, from + op.n)));
        }
        break;
    }
  }
  return b;
}
