/**
 * simdnet: neural networks for Node.js on an AVX2/FMA C++ core, with a pure TypeScript fallback.
 */
export { backendInfo, getBackend, setThreads, useBackend } from './backend';
export type { Backend, BackendInfo } from './backend';
export { Rng } from './rng';
export * from './errors';
