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

/** The output before the ReLU (forward, and backward's recomputed mask: the same float64 expression). */
function value(x: number, mean: number, inv: number, gamma: number, beta: number): number {
  return gamma * ((x - mean) * inv) + beta;
}

/**
 * Training: mean/var (biased) of the batch per c; std[c] = sqrt(var + eps); runMean/runVar = momentum·run +
 * (1 − momentum)·batch. Inference: the running statistics instead (runs untouched). mean/std receive the statistics
 * used. y = gamma[c]·(x − mean)/std + beta[c] (from the float32 mean and std written), then max(0, ·) when relu (BN
 * followed by ReLU).
 */
export function batchNormForward(
  x: Float32Array, N: number, C: number, S: number, gamma: Float32Array, beta: Float32Array,
  runMean: Float32Array, runVar: Float32Array, momentum: number, eps: number, training: boolean, relu: boolean,
  y: Float32Array, meanOut: Float32Array, std: Float32Array,
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
  if (typeof relu !== 'boolean') throw invalidType('relu', 'a boolean', relu);
  checkF32('y', y, total);
  checkF32('mean', meanOut, C);
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
    meanOut[c] = mean;
    std[c] = sd;
    // y from the float32 statistics written, so backward recomputes the ReLU's mask exactly (value())
    const m = meanOut[c];
    const inv = 1 / std[c];
    const g = gamma[c];
    const b = beta[c];
    for (let n = 0; n < N; n++) {
      const o = n * CS + c * S;
      for (let s = 0; s < S; s++) {
        const v = value(x[o + s], m, inv, g, b);
        y[o + s] = relu && !(v > 0) ? 0 : v;
      }
    }
  }
}

/**
 * The book's backward (layers.py BatchNormalization.__backward), per channel c with M = N·S, xn = (x − mean)/std
 * recomputed from the forward's x, mean and std, xc = xn·std, and g = dy (with relu, masked where the forward's y was
 * > 0: recomputed from x, mean, std, gamma and beta as the forward computed it):
 *   dbeta = Σ g;  dgamma = Σ xn·g;  dxn = gamma·g;  dxc = dxn/std;  dstd = −Σ dxn·xc/std² = −gamma·dgamma/std;
 *   dvar = 0.5·dstd/std;  dxc += (2/M)·xc·dvar = −gamma·dgamma·xn/(M·std);
 *   dmu = Σ dxc = (gamma/std)·(dbeta − dgamma·Σxn/M);  dx = dxc − dmu/M, i.e.
 *   dx = (gamma/std)·(g − xn·dgamma/M − (dbeta − dgamma·Σxn/M)/M).
 * (Σxn is ~0 after a training forward; it is kept so the result is exactly the book's expression.)
 */
export function batchNormBackward(
  dy: Float32Array, x: Float32Array, relu: boolean, mean: Float32Array, std: Float32Array, gamma: Float32Array, beta: Float32Array,
  N: number, C: number, S: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const total = checkShape(N, C, S);
  checkF32('dy', dy, total);
  checkF32('x', x, total);
  if (typeof relu !== 'boolean') throw invalidType('relu', 'a boolean', relu);
  checkF32('mean', mean, C);
  checkF32('std', std, C);
  checkF32('gamma', gamma, C);
  checkF32('beta', beta, C);
  checkF32('dx', dx, total);
  checkF32('dgamma', dgamma, C);
  checkF32('dbeta', dbeta, C);
  const M = N * S;
  const CS = C * S;
  for (let c = 0; c < C; c++) {
    const m = mean[c];
    const inv = 1 / std[c];
    const gc = gamma[c];
    const bc = beta[c];
    let sdy = 0;
    let sxdy = 0;
    let sx = 0;
    for (let n = 0; n < N; n++) {
      const o = n * CS + c * S;
      for (let s = 0; s < S; s++) {
        const d = !relu || value(x[o + s], m, inv, gc, bc) > 0 ? dy[o + s] : 0;
        const v = (x[o + s] - m) * inv;
        sdy += d;
        sxdy += v * d;
        sx += v;
      }
    }
    dbeta[c] = sdy;
    dgamma[c] = sxdy;
    const k = gc * inv;
    const a = sxdy / M;
    const shift = (sdy - a * sx) / M;
    for (let n = 0; n < N; n++) {
      const o = n * CS + c * S;
      for (let s = 0; s < S; s++) {
        const d = !relu || value(x[o + s], m, inv, gc, bc) > 0 ? dy[o + s] : 0;
        dx[o + s] = k * (d - (x[o + s] - m) * inv * a - shift);
      }
    }
  }
}
