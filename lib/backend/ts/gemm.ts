/**
 * SGEMM in TypeScript: C[M,N] = alpha·op(A)[M,K]·op(B)[K,N] + beta·C, row-major with offsets and leading
 * dimensions (the contract of Backend.sgemm). beta = 0: C is written without being read.
 *
 * Accumulation is in float64 (JavaScript numbers): each C element is one double dot product, rounded to
 * float32 once when stored — this backend is the oracle, so it is the more accurate of the two.
 *
 * Layout: every element of C is a dot product of a row of op(A) and a column of op(B). Both are made
 * contiguous along K — used in place when the caller's layout already is (op(A) = A, op(B) = Bᵀ), otherwise
 * transposed block by block into a reused scratch — and a 4×2 register-blocked loop computes 8 dot products
 * at once (6 loads per 8 multiply-adds, accumulators in locals). Column blocks of op(B) are sized so that
 * the block (NB×K floats) stays in L2 while the rows of A stream past it.
 */
import { checkF32, checkInt, checkNumber, invalidRange, invalidType } from '../../validate';

/** Floats of op(B)ᵀ (or op(A)) per block: 1 MB, comfortably in L2. */
const BLOCK_FLOATS = 1 << 18;

let scratchB: Float32Array = new Float32Array(0);
let scratchA: Float32Array = new Float32Array(0);
let scratchAcc: Float64Array = new Float64Array(0);

/** K above which a small C (≤ ACC_MAX elements) is accumulated over K blocks of KB (sgemmLongK). */
const LONG_K = 4096;
const ACC_MAX = 1 << 18;
const KB = 1024;

function grow(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(Math.max(n, buf.length * 2));
}

/**
 * Checks sgemm's arguments (the same rules as the native binding); throws TypeError/RangeError naming the
 * argument.
 */
export function checkSgemmArgs(
  tA: unknown, tB: unknown, M: unknown, N: unknown, K: unknown, alpha: unknown, A: unknown, offA: unknown, lda: unknown,
  B: unknown, offB: unknown, ldb: unknown, beta: unknown, C: unknown, offC: unknown, ldc: unknown,
): void {
  if (typeof tA !== 'boolean') throw invalidType('transA', 'a boolean', tA);
  if (typeof tB !== 'boolean') throw invalidType('transB', 'a boolean', tB);
  const lim = 2 ** 31;
  const m = checkInt('M', M, 0, lim), n = checkInt('N', N, 0, lim), k = checkInt('K', K, 0, lim);
  checkNumber('alpha', alpha);
  const a = checkF32('A', A), b = checkF32('B', B), c = checkF32('C', C);
  const oa = checkInt('offA', offA), ob = checkInt('offB', offB), oc = checkInt('offC', offC);
  const la = checkInt('lda', lda, 1, lim), lb = checkInt('ldb', ldb, 1, lim), lc = checkInt('ldc', ldc, 1, lim);
  checkNumber('beta', beta);
  const aRows = tA ? k : m, aCols = tA ? m : k;
  const bRows = tB ? n : k, bCols = tB ? k : n;
  if (la < aCols) throw invalidRange('lda', `an integer >= ${aCols} (op(A) is ${m}×${k}${tA ? ', transposed' : ''})`, la);
  if (lb < bCols) throw invalidRange('ldb', `an integer >= ${bCols} (op(B) is ${k}×${n}${tB ? ', transposed' : ''})`, lb);
  if (lc < n) throw invalidRange('ldc', `an integer >= ${n} (C is ${m}×${n})`, lc);
  if (m === 0 || n === 0) return;
  checkLength('A', a, aRows, aCols, la, oa);
  checkLength('B', b, bRows, bCols, lb, ob);
  checkLength('C', c, m, n, lc, oc);
}

/** `arr` must hold a rows×cols matrix with leading dimension ld at offset off. */
function checkLength(name: string, arr: Float32Array, rows: number, cols: number, ld: number, off: number): void {
  const need = rows === 0 || cols === 0 ? off : off + (rows - 1) * ld + cols;
  if (arr.length < need) throw invalidRange(name, `a Float32Array of at least ${need} elements`, `length ${arr.length}`);
}

export function sgemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, offA: number, lda: number,
  B: Float32Array, offB: number, ldb: number, beta: number, C: Float32Array, offC: number, ldc: number): void {
  checkSgemmArgs(tA, tB, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc);
  if (M === 0 || N === 0) return;
  if (K === 0 || alpha === 0) {
    scaleC(M, N, beta, C, offC, ldc);
    return;
  }
  if (K > LONG_K && M * N <= ACC_MAX) {
    sgemmLongK(tA, tB, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc);
    return;
  }
  // Column block of op(B) and row block of op(A), each ~BLOCK_FLOATS floats (at least the register tile).
  const NB = Math.min(N, Math.max(2, Math.floor(BLOCK_FLOATS / K) & ~1));
  const MB = Math.min(M, Math.max(4, Math.floor(BLOCK_FLOATS / K) & ~3));
  if (!tB) scratchB = grow(scratchB, NB * K);
  if (tA) scratchA = grow(scratchA, MB * K);
  for (let j0 = 0; j0 < N; j0 += NB) {
    const nb = Math.min(NB, N - j0);
    // Column j of op(B) -> a row contiguous along K.
    let Bs: Float32Array, bo: number, bs: number;
    if (tB) {
      Bs = B; bo = offB + j0 * ldb; bs = ldb;
    } else {
      Bs = scratchB; bo = 0; bs = K;
      for (let p = 0; p < K; p++) {
        const src = offB + p * ldb + j0;
        for (let j = 0; j < nb; j++) Bs[j * K + p] = B[src + j];
      }
    }
    for (let i0 = 0; i0 < M; i0 += MB) {
      const mb = Math.min(MB, M - i0);
      let As: Float32Array, ao: number, as: number;
      if (tA) {
        As = scratchA; ao = 0; as = K;
        for (let p = 0; p < K; p++) {
          const src = offA + p * lda + i0;
          for (let i = 0; i < mb; i++) As[i * K + p] = A[src + i];
        }
      } else {
        As = A; ao = offA + i0 * lda; as = lda;
      }
      dotBlock(mb, nb, K, alpha, beta, As, ao, as, Bs, bo, bs, C, offC + i0 * ldc + j0, ldc);
    }
  }
}

/**
 * Huge K, small C (a weight gradient over a whole batch): K blocks of KB, each operand transposed into a
 * contiguous block (reading the caller's rows end to end), C accumulated in a float64 scratch.
 */
function sgemmLongK(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, offA: number,
  lda: number, B: Float32Array, offB: number, ldb: number, beta: number, C: Float32Array, offC: number, ldc: number): void {
  if (scratchAcc.length < M * N) scratchAcc = new Float64Array(M * N);
  const acc = scratchAcc;
  acc.fill(0, 0, M * N);
  scratchA = grow(scratchA, M * KB);
  scratchB = grow(scratchB, N * KB);
  for (let p0 = 0; p0 < K; p0 += KB) {
    const kb = Math.min(KB, K - p0);
    let As: Float32Array = A, ao = offA + p0, as = lda;
    if (tA) {
      As = scratchA; ao = 0; as = kb;
      for (let p = 0; p < kb; p++) {
        const src = offA + (p0 + p) * lda;
        for (let i = 0; i < M; i++) As[i * kb + p] = A[src + i];
      }
    }
    let Bs: Float32Array = B, bo = offB + p0, bs = ldb;
    if (!tB) {
      Bs = scratchB; bo = 0; bs = kb;
      for (let p = 0; p < kb; p++) {
        const src = offB + (p0 + p) * ldb;
        for (let j = 0; j < N; j++) Bs[j * kb + p] = B[src + j];
      }
    }
    dotBlock(M, N, kb, 1, 1, As, ao, as, Bs, bo, bs, acc, 0, N);
  }
  for (let i = 0; i < M; i++) {
    const c = offC + i * ldc;
    for (let j = 0; j < N; j++) C[c + j] = beta === 0 ? alpha * acc[i * N + j] : alpha * acc[i * N + j] + beta * C[c + j];
  }
}

/** C = beta·C (beta = 0: zeros, C not read). */
function scaleC(M: number, N: number, beta: number, C: Float32Array, offC: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < M; i++) {
    const c = offC + i * ldc;
    if (beta === 0) C.fill(0, c, c + N);
    else for (let j = 0; j < N; j++) C[c + j] *= beta;
  }
}

/**
 * C[i, j] = alpha·dot(A row i, B row j) + beta·C[i, j] for i < M, j < N; rows contiguous along K:
 * A row i at A[ao + i·as ..], B row j at B[bo + j·bs ..]. C is the caller's Float32Array, or the float64
 * accumulator of sgemmLongK (alpha = beta = 1).
 */
function dotBlock(M: number, N: number, K: number, alpha: number, beta: number, A: Float32Array, ao: number, as: number,
  B: Float32Array, bo: number, bs: number, C: Float32Array | Float64Array, co: number, ldc: number): void {
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = ao + i * as, a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
    const c0 = co + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    let j = 0;
    for (; j + 2 <= N; j += 2) {
      const b0 = bo + j * bs, b1 = b0 + bs;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let p = 0; p < K; p++) {
        const x0 = B[b0 + p], x1 = B[b1 + p];
        const y0 = A[a0 + p], y1 = A[a1 + p], y2 = A[a2 + p], y3 = A[a3 + p];
        s00 += y0 * x0; s01 += y0 * x1;
        s10 += y1 * x0; s11 += y1 * x1;
        s20 += y2 * x0; s21 += y2 * x1;
        s30 += y3 * x0; s31 += y3 * x1;
      }
      if (beta === 0) {
        C[c0 + j] = alpha * s00; C[c0 + j + 1] = alpha * s01;
        C[c1 + j] = alpha * s10; C[c1 + j + 1] = alpha * s11;
        C[c2 + j] = alpha * s20; C[c2 + j + 1] = alpha * s21;
        C[c3 + j] = alpha * s30; C[c3 + j + 1] = alpha * s31;
      } else {
        C[c0 + j] = alpha * s00 + beta * C[c0 + j]; C[c0 + j + 1] = alpha * s01 + beta * C[c0 + j + 1];
        C[c1 + j] = alpha * s10 + beta * C[c1 + j]; C[c1 + j + 1] = alpha * s11 + beta * C[c1 + j + 1];
        C[c2 + j] = alpha * s20 + beta * C[c2 + j]; C[c2 + j + 1] = alpha * s21 + beta * C[c2 + j + 1];
        C[c3 + j] = alpha * s30 + beta * C[c3 + j]; C[c3 + j + 1] = alpha * s31 + beta * C[c3 + j + 1];
      }
    }
    for (; j < N; j++) {
      const b0 = bo + j * bs;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < K; p++) {
        const x = B[b0 + p];
        s0 += A[a0 + p] * x; s1 += A[a1 + p] * x; s2 += A[a2 + p] * x; s3 += A[a3 + p] * x;
      }
      C[c0 + j] = beta === 0 ? alpha * s0 : alpha * s0 + beta * C[c0 + j];
      C[c1 + j] = beta === 0 ? alpha * s1 : alpha * s1 + beta * C[c1 + j];
      C[c2 + j] = beta === 0 ? alpha * s2 : alpha * s2 + beta * C[c2 + j];
      C[c3 + j] = beta === 0 ? alpha * s3 : alpha * s3 + beta * C[c3 + j];
    }
  }
  for (; i < M; i++) {
    const a0 = ao + i * as, c0 = co + i * ldc;
    for (let j = 0; j < N; j++) {
      const b0 = bo + j * bs;
      let s = 0;
      for (let p = 0; p < K; p++) s += A[a0 + p] * B[b0 + p];
      C[c0 + j] = beta === 0 ? alpha * s : alpha * s + beta * C[c0 + j];
    }
  }
}
