/**
 * Chooses the backend, precisely and loudly:
 *  - SIMDNET_BACKEND=native: the native addon or an error; =ts: the TypeScript backend; unset/auto: native
 *    when it loads, else the TypeScript backend with one clear warning.
 *  - SIMDNET_NATIVE_PATH=/path/to/simdnet.node loads that binary instead of node-gyp-build's choice.
 *  - SIMDNET_KERNELS=reference forces the scalar reference kernels inside the native backend.
 * Only a missing binary or one the OS cannot load (ERR_DLOPEN_FAILED) falls back; anything else is rethrown.
 */
import { checkAddon, type NativeAddon } from './addon';
import { NativeBackend } from './native';
import { TsBackend } from './ts';
import type { Backend, BackendInfo } from './types';
import { packageRoot } from '../package-root';
import { checkInt } from '../validate';

export type { Backend, BackendInfo } from './types';
export { NativeBackend } from './native';
export { TsBackend } from './ts';

let nativeAddon: NativeAddon | null | undefined;
let nativeError: Error | null = null;
let warned = false;

/** Loads the addon once; null when there is none that can load here (the error is kept for messages). */
export function loadNativeAddon(): NativeAddon | null {
  if (nativeAddon !== undefined) return nativeAddon;
  const explicit = process.env.SIMDNET_NATIVE_PATH;
  let file = explicit ?? '';
  try {
    if (!explicit) file = require('node-gyp-build').path(packageRoot());
    nativeAddon = checkAddon(require(file), file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (explicit && e?.name === 'SyntaxError') {
      // require() read the file as JavaScript: a text file, not a compiled addon
      throw new Error(`SIMDNET_NATIVE_PATH=${explicit}: not a native addon (${e.message}); expected the path of a simdnet.node build`, { cause: e });
    }
    const missing = /No native build was found/.test(e.message) || (e.code === 'MODULE_NOT_FOUND' && !!explicit);
    if (!missing && e.code !== 'ERR_DLOPEN_FAILED') throw err;
    nativeAddon = null;
    nativeError = e;
  }
  return nativeAddon;
}

let current: Backend | null = null;
let tsBackend: TsBackend | null = null;
let nativeBackend: NativeBackend | null = null;

/** The TypeScript backend (always available). */
export function tsBackendInstance(): TsBackend {
  return (tsBackend ??= new TsBackend());
}

/** The native backend, or null when no addon loads. */
export function nativeBackendInstance(): NativeBackend | null {
  if (nativeBackend) return nativeBackend;
  const addon = loadNativeAddon();
  return addon ? (nativeBackend = new NativeBackend(addon)) : null;
}

/** The backend in use (chosen on first call; see the module comment). */
export function getBackend(): Backend {
  if (current) return current;
  const want = process.env.SIMDNET_BACKEND ?? 'auto';
  if (want === 'ts') return (current = tsBackendInstance());
  if (want !== 'native' && want !== 'auto') {
    throw new RangeError(`SIMDNET_BACKEND: expected 'native', 'ts' or 'auto', got '${want}'`);
  }
  const native = nativeBackendInstance();
  if (native) return (current = native);
  if (want === 'native') {
    throw new Error(`simdnet: SIMDNET_BACKEND=native but the native addon does not load: ${nativeError?.message}`);
  }
  if (!warned) {
    warned = true;
    process.emitWarning(
      `simdnet: native addon unavailable (${nativeError?.message.split('\n')[0]}); using the TypeScript backend, which is much slower`,
      { code: 'SIMDNET_TS_FALLBACK' },
    );
  }
  return (current = tsBackendInstance());
}

/**
 * Forces a backend for everything created afterwards and for the default of every op.
 * @throws {Error} when 'native' is asked for and no addon loads.
 */
export function useBackend(name: 'native' | 'ts'): Backend {
  if (name === 'ts') return (current = tsBackendInstance());
  if (name !== 'native') throw new RangeError(`backend: expected 'native' or 'ts', got '${String(name)}'`);
  const native = nativeBackendInstance();
  if (!native) throw new Error(`simdnet: the native addon does not load: ${nativeError?.message}`);
  return (current = native);
}

/** What is in use: backend, ISA path and thread count. */
export function backendInfo(): BackendInfo {
  return getBackend().info();
}

/** Sets the native thread pool size (1..256). */
export function setThreads(n: number): void {
  checkInt('threads', n, 1, 256);
  getBackend().setThreads(n);
}
