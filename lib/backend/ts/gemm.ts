// Placeholder: the blocked TypeScript SGEMM goes here.
export function sgemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, offA: number, lda: number,
  B: Float32Array, offB: number, ldb: number, beta: number, C: Float32Array, offC: number, ldc: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let p = 0; p < K; p++) {
        const a = tA ? A[offA + p * lda + i] : A[offA + i * lda + p];
        const b = tB ? B[offB + j * ldb + p] : B[offB + p * ldb + j];
        acc += a * b;
      }
      const c = offC + i * ldc + j;
      C[c] = alpha * acc + (beta === 0 ? 0 : beta * C[c]);
    }
  }
}
