// Placeholder: im2col/col2im and convolution in TypeScript.
import type { WindowGeometry } from '../types';
export function im2col(x: Float32Array, g: WindowGeometry, col: Float32Array): void { throw new Error("not implemented yet"); }
export function col2im(col: Float32Array, g: WindowGeometry, x: Float32Array): void { throw new Error("not implemented yet"); }
export function convForward(x: Float32Array, w: Float32Array, b: Float32Array, g: WindowGeometry, F: number, y: Float32Array): void { throw new Error("not implemented yet"); }
export function convBackward(dy: Float32Array, x: Float32Array, w: Float32Array, g: WindowGeometry, F: number, dx: Float32Array | null, dw: Float32Array, db: Float32Array): void { throw new Error("not implemented yet"); }
