/**
 * SGEMM, every path against a float64 triple loop written here: the native micro-kernel tiers (switched with
 * setKernels: reference, avx2, and avx512 where the CPU has it) and the TypeScript backend.
 *
 * The sweep follows the blocking of the native driver (sgemm_kernels.h): the AVX2 tile is MR×NR = 6×16 with
 * blocks MC×KC×NC = 144×256×4080 (AVX-512: 12×32 tiles, 96×256×4064; K blocks of 4·KC or KC/2 when A is
 * read in place). M, N and K are taken below, at, above and
 * at multiples of those, with partial tiles, all four transpose combinations, leading dimensions larger than
 * the minimum, offsets into the arrays, alpha ∈ {1, 0.5, −2, 0}, beta ∈ {0, 1, 0.3}, and NaN in C when
 * beta = 0 (it must be overwritten, not propagated). Elements of C outside the M×N tile (the ldc padding)
 * must come back untouched. Tolerance: rtol = 2e-5·√K against float64, atol = rtol·(|alpha|·√K + |beta|).
 */
import { expectClose, type Isa, kernelTiers, randomArray, requireNative, ts, tsOnly } from '../helpers';
import type { NativeBackend } from '../../lib/backend/native';

interface Case {
  tA: boolean;
  tB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  pad: number; // extra leading-dimension elements on A, B and C
  off: number; // offset of each matrix in its array
}

interface Operands {
  A: Float32Array;
  B: Float32Array;
  C0: Float32Array;
  lda: number;
  ldb: number;
  ldc: number;
}

function operands(c: Case, seed: number): Operands {
  // Leading dimensions are at least 1 (as in BLAS), even for an empty op(A)/op(B) row.
  const lda = Math.max(1, (c.tA ? c.M : c.K) + c.pad);
  const ldb = Math.max(1, (c.tB ? c.K : c.N) + c.pad);
  const ldc = Math.max(1, c.N + c.pad);
  const aRows = c.tA ? c.K : c.M;
  const bRows = c.tB ? c.N : c.K;
  const A = randomArray(c.off + Math.max(aRows, 1) * lda, seed);
  const B = randomArray(c.off + Math.max(bRows, 1) * ldb, seed + 1);
  const C0 = c.beta === 0 ? new Float32Array(c.off + c.M * ldc).fill(NaN) : randomArray(c.off + c.M * ldc, seed + 2);
  return { A, B, C0, lda, ldb, ldc };
}

/** The oracle: float64 triple loop; C outside the tile keeps its values. */
function naive(c: Case, o: Operands): Float64Array {
  const out = Float64Array.from(o.C0);
  const { A, B, lda, ldb, ldc } = o;
  for (let i = 0; i < c.M; i++) {
    for (let j = 0; j < c.N; j++) {
      let s = 0;
      for (let p = 0; p < c.K; p++) {
        const a = c.tA ? A[c.off + p * lda + i] : A[c.off + i * lda + p];
        const b = c.tB ? B[c.off + j * ldb + p] : B[c.off + p * ldb + j];
        s += a * b;
      }
      const k = c.off + i * ldc + j;
      out[k] = c.alpha * s + (c.beta === 0 ? 0 : c.beta * out[k]);
    }
  }
  return out;
}

type Path = { name: string; run: (c: Case, o: Operands, C: Float32Array) => void };

const native: NativeBackend | null = tsOnly ? null : requireNative();
const initialIsa = native?.info().isa as 'avx512' | 'avx2' | 'reference' | undefined;
const tiers: Isa[] = native ? kernelTiers(native) : [];

const paths: Path[] = [
  { name: 'ts', run: (c, o, C) => ts.sgemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, o.A, c.off, o.lda, o.B, c.off, o.ldb, c.beta, C, c.off, o.ldc) },
  ...tiers.map((isa): Path => ({
    name: `native-${isa}`,
    run: (c, o, C) => {
      expect(native!.setKernels(isa)).toBe(true);
      native!.sgemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, o.A, c.off, o.lda, o.B, c.off, o.ldb, c.beta, C, c.off, o.ldc);
    },
  })),
];

afterAll(() => {
  if (native && initialIsa) native.setKernels(initialIsa);
});

const ALPHAS = [1, 0.5, -2, 0];
const BETAS = [0, 1, 0.3];
const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/** Variant v of a shape: cycles alpha, beta, padding and offset so each transpose pair meets all of them. */
function variant(M: number, N: number, K: number, v: number): Case[] {
  return TRANS.map(([tA, tB], t) => ({
    tA, tB, M, N, K,
    alpha: ALPHAS[(v + t) % ALPHAS.length],
    beta: BETAS[(v + 2 * t) % BETAS.length],
    pad: (v + t) % 2 === 0 ? 0 : 3,
    off: (v + t) % 3 === 0 ? 0 : 5,
  }));
}

function check(c: Case, seed: number): void {
  const o = operands(c, seed);
  const expected = naive(c, o);
  const rtol = 2e-5 * Math.sqrt(Math.max(c.K, 1));
  const atol = rtol * (Math.abs(c.alpha) * Math.sqrt(c.K) + Math.abs(c.beta)) + 1e-7;
  for (const p of paths) {
    const C = o.C0.slice();
    p.run(c, o, C);
    const label = `${p.name} tA=${c.tA} tB=${c.tB} M=${c.M} N=${c.N} K=${c.K} alpha=${c.alpha} beta=${c.beta} pad=${c.pad} off=${c.off}`;
    expectClose(C, expected, { rtol, atol }, label);
  }
}

function runAll(shapes: [number, number, number][]): number {
  let n = 0;
  shapes.forEach(([M, N, K], v) => {
    for (const c of variant(M, N, K, v)) check(c, ++n);
  });
  return n;
}

describe('sgemm: every path equals the float64 triple loop', () => {
  test('all small shapes: M, N ∈ {1, 5, 6, 7, 16, 17}, K ∈ {0, 1, 2, 9, 17}', () => {
    const shapes: [number, number, number][] = [];
    for (const M of [1, 5, 6, 7, 16, 17]) for (const N of [1, 5, 6, 7, 16, 17]) for (const K of [0, 1, 2, 9, 17]) shapes.push([M, N, K]);
    expect(runAll(shapes)).toBe(shapes.length * 4);
  });

  test('M around the tile and block edges (MR = 6/12, MC = 96/144)', () => {
    const Ms = [11, 12, 13, 18, 24, 25, 95, 96, 97, 143, 144, 145, 288, 300];
    runAll(Ms.map((M) => [M, 19, 40]));
  });

  test('N around the tile and block edges (NR = 16/32, NC = 4064/4080)', () => {
    const Ns = [15, 31, 32, 33, 48, 63, 64, 65, 100];
    runAll(Ns.map((N) => [13, N, 40]));
    runAll([[7, 4063, 5], [7, 4064, 5], [7, 4065, 5], [7, 4080, 5], [5, 4081, 7], [3, 8200, 3]]);
  });

  test('12x32 edge tiles: 4, 8 or 12 rows computed, one or two column vectors (A in place and packed)', () => {
    const shapes: [number, number, number][] = [];
    for (const M of [1, 3, 4, 5, 8, 9, 11, 13, 16, 20, 23, 28]) {
      for (const N of [33, 40, 48, 49, 63]) shapes.push([M, N, 9]); // N <= 4*32: A read in place
      for (const N of [144, 150]) shapes.push([M, N, 40]); // wider: A packed
    }
    expect(runAll(shapes)).toBe(shapes.length * 4);
  });

  test('K around the block edges (KC = 256, KC/2, 4·KC) and large K', () => {
    const Ks = [3, 8, 31, 127, 128, 129, 255, 256, 257, 512, 513, 1023, 1024, 1025, 2100];
    runAll(Ks.map((K) => [13, 21, K])); // narrow N: A read in place
    runAll([255, 256, 257, 513].map((K) => [13, 70, K])); // wider N: A packed
    runAll([[13, 21, 4097], [7, 33, 9000]]); // TS: K blocks accumulated in float64 (K > 4096, small C)
  });

  test('skinny shapes of the convolutions (scaled down): tall M with small N and K, and huge K', () => {
    runAll([[2000, 16, 9], [1000, 30, 25], [700, 9, 16], [9, 16, 6000], [25, 30, 3000], [16, 784, 9], [32, 196, 144]]);
  });

  test('beta = 0 overwrites NaN; alpha = 0 only scales C (A and B are not read)', () => {
    const c: Case = { tA: false, tB: false, M: 7, N: 18, K: 5, alpha: 0, beta: 0, pad: 2, off: 1 };
    const o = operands(c, 99);
    o.A.fill(NaN); // alpha = 0: A·B is not computed, so NaN in A does not reach C
    for (const p of paths) {
      const C = o.C0.slice();
      p.run(c, o, C);
      for (let i = 0; i < c.M; i++) for (let j = 0; j < c.N; j++) expect(C[c.off + i * o.ldc + j]).toBe(0);
      const c2 = { ...c, beta: 0.5 };
      const C2 = new Float32Array(C.length).fill(4);
      p.run(c2, o, C2);
      for (let i = 0; i < c.M; i++) for (let j = 0; j < c.N; j++) expect(C2[c.off + i * o.ldc + j]).toBe(2);
    }
  });
});

// The TS-only run (SIMDNET_BACKEND=ts) has no addon: these are registered only when there is one.
if (native) describe('sgemm: threads and determinism (native)', () => {
  // Large enough to be split over the pool (native/core/sgemm.cpp: above 2·2²² multiply-adds): along M,
  // along N, and along K (the K split reduces partial sums).
  const shapes: [string, Case][] = [
    ['M split', { tA: false, tB: true, M: 3000, N: 20, K: 200, alpha: 1, beta: 0, pad: 1, off: 3 }],
    ['N split', { tA: true, tB: false, M: 20, N: 3000, K: 200, alpha: 0.5, beta: 1, pad: 0, off: 0 }],
    ['K split', { tA: true, tB: false, M: 9, N: 16, K: 64000, alpha: 1, beta: 0.3, pad: 2, off: 1 }],
    ['square', { tA: false, tB: false, M: 300, N: 300, K: 300, alpha: -2, beta: 0, pad: 0, off: 0 }],
  ];
  const run = (c: Case, o: Operands, threads: number): Float32Array => {
    native!.setThreads(threads);
    const C = o.C0.slice();
    native!.sgemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, o.A, c.off, o.lda, o.B, c.off, o.ldb, c.beta, C, c.off, o.ldc);
    return C;
  };
  for (const [name, c] of shapes) {
    test(`${name}: 2 threads agree with 1 thread and with float64; same result twice`, () => {
      const threadsBefore = native!.info().threads;
      try {
        const o = operands(c, 7);
        const expected = naive(c, o);
        const rtol = 2e-5 * Math.sqrt(c.K);
        const atol = rtol * (Math.abs(c.alpha) * Math.sqrt(c.K) + Math.abs(c.beta));
        for (const isa of tiers) {
          native!.setKernels(isa);
          const one = run(c, o, 1);
          const two = run(c, o, 2);
          const again = run(c, o, 2);
          expectClose(one, expected, { rtol, atol }, `${isa} 1 thread`);
          expectClose(two, expected, { rtol, atol }, `${isa} 2 threads`);
          expect(Buffer.from(again.buffer).equals(Buffer.from(two.buffer))).toBe(true);
          if (name !== 'K split') {
            // M and N splits give each element the same accumulation order: bit-identical to one thread.
            expect(Buffer.from(one.buffer).equals(Buffer.from(two.buffer))).toBe(true);
          }
        }
      } finally {
        native!.setThreads(threadsBefore);
        if (initialIsa) native!.setKernels(initialIsa);
      }
    });
  }
});
