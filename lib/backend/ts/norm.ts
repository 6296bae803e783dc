/**
 * Batch normalization in TypeScript (the oracle for native/core/norm.cpp), on x viewed as [N, C, S]:
 * statistics per channel c over the M = N·S values x[n, c, s]. Sums are accumulated in float64.
 */
import { checkF32, checkInt, checkNumber, invalidType } from '../../validate';

function checkShape(N: number, C: number, S: number): number {
  checkInt('N', N, 1);
  checkInt('C', C, 1);
  checkInt('S', S, 1);
  return N * C * S;
}

/**
 * Training: mean/var (biased) of the batch per c; std[c] = sqrt(var + eps); xn = (x − mean)/std;
 * runMean/runVar = momentum·run + (1 − momentum)·batch. Inference: the running statistics instead (runs untouched).
 * y = gamma[c]·xn + beta[c].
 */
export function batchNormForward(
  x: Float32Array, N: number, C: number, S: number, gamma: Float32Array, beta: Float32Array,
  runMean: Float32Array, runVar: Float32Array, momentum: number, eps: number, training: boolean,
  y: Float32Array, xn: Float32Array, std: Float32Array,
): void {
  const total = checkShape(N, C, S);
  checkF32('x', x, total);
  checkF32('gamma', gamma, C);
  checkF32('beta', beta, C);
  checkF32('runMean', runMean, C);
  checkF32('runVar', runVar, C);
  checkNumber('momentum', momentum);
  checkNumber('eps', eps);
  if (typeof training !== 'boolean') throw invalidType('training', 'a boolean', training);
  checkF32('y', y, total);
  checkF32('xn', xn, total);
  checkF32('std', std, C);
  const M = N * S;
  const CS = C * S;
  for (let c = 0; c < C; c++) {
    let mean: number;
    let sd: number;
    if (training) {
      let sum = 0;
      for (let n = 0; n < N; n++) {
        const o = n * CS + c * S;
        for (let s = 0; s < S; s++) sum += x[o + s];
      }
      mean = sum / M;
      let sq = 0;
      for (let n = 0; n < N; n++) {
        const o = n * CS + c * S;
        for (let s = 0; s < S; s++) {
          const d = x[o + s] - mean;
          sq += d * d;
        }
      }
      const v = sq / M;
      sd = Math.sqrt(v + eps);
      runMean[c] = momentum * runMean[c] + (1 - momentum) * mean;
      runVar[c] = momentum * runVar[c] + (1 - momentum) * v;
    } else {
      mean = runMean[c];
      sd = Math.sqrt(runVar[c] + eps);
    }
    std[c] = sd;
    const inv = 1 / sd;
    const g = gamma[c];
    const b = beta[c];
    for (let n = 0; n < N; n++) {
      const o = n * CS + c * S;
      for (let s = 0; s < S; s++) {
        const v = (x[o + s] - mean) * inv;
        xn[o + s] = v;
        y[o + s] = g * v + b;
      }
    }
  }
}

/**
 * The book's backward (layers.py BatchNormalization.__backward), per channel c with M = N·S and xc = xn·std:
 *   dbeta = Σ dy;  dgamma = Σ xn·dy;  dxn = gamma·dy;  dxc = dxn/std;  dstd = −Σ dxn·xc/std² = −gamma·dgamma/std;
 *   dvar = 0.5·dstd/std;  dxc += (2/M)·xc·dvar = −gamma·dgamma·xn/(M·std);
 *   dmu = Σ dxc = (gamma/std)·(dbeta − dgamma·Σxn/M);  dx = dxc − dmu/M, i.e.
 *   dx = (gamma/std)·(dy − xn·dgamma/M − (dbeta − dgamma·Σxn/M)/M).
 * (Σxn is ~0 after a training forward; it is kept so the result is exactly the book's expression.)
 */
export function batchNormBackward(
  dy: Float32Array, xn: Float32Array, std: Float32Array, gamma: Float32Array, N: number, C: number, S: number,
  dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const total = checkShape(N, C, S);
  checkF32('dy', dy, total);
  checkF32('xn', xn, total);
  checkF32('std', std, C);
  checkF32('gamma', gamma, C);
  checkF32('dx', dx, total);
  checkF32('dgamma', dgamma, C);
  checkF32('dbeta', dbeta, C);
  const M = N * S;
  const CS = C * S;
  for (let c = 0; c < C; c++) {
    let sdy = 0;
    let sxdy = 0;
    let sx = 0;
    for (let n = 0; n < N; n++) {
      const o = n * CS + c * S;
      for (let s = 0; s < S; s++) {
        const d = dy[o + s];
        const v = xn[o + s];
        sdy += d;
        sxdy += v * d;
        sx += v;
      }
    }
    dbeta[c] = sdy;
    dgamma[c] = sxdy;
    const k = gamma[c] / std[c];
    const a = sxdy / M;
    const shift = (sdy - a * sx) / M;
    for (let n = 0; n < N; n++) {
      const o = n * CS + c * S;
      for (let s = 0; s < S; s++) dx[o + s] = k * (dy[o + s] - xn[o + s] * a - shift);
    }
  }
}
