// Placeholder: pooling in TypeScript.
import type { WindowGeometry } from '../types';
export function maxPoolForward(x: Float32Array, g: WindowGeometry, y: Float32Array, argmax: Int32Array): void { throw new Error("not implemented yet"); }
export function maxPoolBackward(dy: Float32Array, argmax: Int32Array, g: WindowGeometry, dx: Float32Array): void { throw new Error("not implemented yet"); }
export function avgPoolForward(x: Float32Array, g: WindowGeometry, y: Float32Array): void { throw new Error("not implemented yet"); }
export function avgPoolBackward(dy: Float32Array, g: WindowGeometry, dx: Float32Array): void { throw new Error("not implemented yet"); }
