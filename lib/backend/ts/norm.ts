// Placeholder: batch normalization in TypeScript.
export function batchNormForward(x: Float32Array, N: number, C: number, S: number, gamma: Float32Array, beta: Float32Array, runMean: Float32Array, runVar: Float32Array,
  momentum: number, eps: number, training: boolean, y: Float32Array, xn: Float32Array, std: Float32Array): void { throw new Error("not implemented yet"); }
export function batchNormBackward(dy: Float32Array, xn: Float32Array, std: Float32Array, gamma: Float32Array, N: number, C: number, S: number,
  dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void { throw new Error("not implemented yet"); }
