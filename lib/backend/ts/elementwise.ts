// Placeholder: dense, activation, loss and dropout ops in TypeScript.
import type { Activation } from '../types';
export function addBias(y: Float32Array, b: Float32Array, rows: number, cols: number): void { throw new Error("not implemented yet"); }
export function sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void { throw new Error("not implemented yet"); }
export function activationForward(kind: Activation, x: Float32Array, y: Float32Array, alpha: number): void { throw new Error("not implemented yet"); }
export function activationBackward(kind: Activation, dy: Float32Array, x: Float32Array, y: Float32Array, dx: Float32Array, alpha: number): void { throw new Error("not implemented yet"); }
export function axpy(alpha: number, x: Float32Array, y: Float32Array): void { throw new Error("not implemented yet"); }
export function scale(x: Float32Array, s: number, y: Float32Array): void { throw new Error("not implemented yet"); }
export function softmaxCrossEntropy(logits: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, probs: Float32Array, sampleWeights: Float32Array | null): number { throw new Error("not implemented yet"); }
export function softmaxCrossEntropyBackward(probs: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, scale: number, sampleWeights: Float32Array | null, dx: Float32Array): void { throw new Error("not implemented yet"); }
export function dropoutForward(x: Float32Array, y: Float32Array, mask: Uint8Array, ratio: number, scale: number, seed: number, counter: number): void { throw new Error("not implemented yet"); }
export function dropoutBackward(dy: Float32Array, mask: Uint8Array, scale: number, dx: Float32Array): void { throw new Error("not implemented yet"); }
