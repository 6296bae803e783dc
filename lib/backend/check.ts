/**
 * Checks a value passed as a backend (a network's or a loader's `backend` option): one of the two backends, or
 * an object with every operation they both implement. A wrong value fails here, at construction, naming the
 * option — not later inside a layer with "this.be.convForward is not a function".
 */
import { describe, invalidType } from '../validate';
import { NativeBackend } from './native';
import { TsBackend } from './ts';
import type { Backend } from './types';

let ops: string[] | null = null;

/** The operations of the Backend interface: the methods both implementations have. */
function backendOps(): string[] {
  if (ops) return ops;
  // Own and inherited methods (the native backend's forwarding is generated into its base class).
  const methods = (proto: object) => {
    const names = new Set<string>();
    for (let p: object | null = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor') names.add(k);
    }
    return names;
  };
  const native = methods(NativeBackend.prototype);
  return (ops = [...methods(TsBackend.prototype)].filter((k) => native.has(k)).sort());
}

/**
 * Returns `value` when it is a Backend.
 * @throws {TypeError} naming `name`, and the first missing operations
 */
export function checkBackend(name: string, value: unknown): Backend {
  if (value instanceof TsBackend || value instanceof NativeBackend) return value;
  const expected = "a Backend (getBackend(), useBackend('ts' | 'native'), tsBackendInstance())";
  if (value === null || typeof value !== 'object') throw invalidType(name, expected, value);
  const missing = backendOps().filter((k) => typeof (value as Record<string, unknown>)[k] !== 'function');
  if (missing.length > 0) {
    const list = missing.slice(0, 3).join(', ') + (missing.length > 3 ? `, … (${missing.length} operations)` : '');
    throw new TypeError(`${name}: expected ${expected}, got ${describe(value)} without ${list}`);
  }
  return value as Backend;
}
