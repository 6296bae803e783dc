/**
 * The operations every backend implements, on flat Float32Arrays plus explicit dimensions (NCHW,
 * row-major). Outputs are written into caller-provided arrays; nothing here allocates per element.
 *
 * Two implementations: `native` (the C++ core through N-API, zero-copy) and `ts` (pure TypeScript,
 * also the oracle the native one is tested against). Arguments reaching a backend have already been
 * validated by the caller (layers validate with lib/errors.ts); the native binding re-checks sizes cheaply
 * so nothing can crash the process.
 */

/** Geometry of a 2-D window op (convolution or pooling) on x[N, C, H, W]. */
export interface WindowGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  stride: number;
  pad: number;
}

/** Output size of a window op: floor((H + 2·pad − KH) / stride) + 1. */
export function outSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

// The enums and option structs that cross to the native addon are declared once in native/ops.json (Activation,
// OptimizerRule — the update rules of `Backend.optimizerStep` — OptimizerHyper, AugmentConfig).
export type { Activation, AugmentConfig, OptimizerHyper, OptimizerRule } from './addon.generated';
import type { Activation, AugmentConfig, OptimizerHyper, OptimizerRule } from './addon.generated';

export interface BackendInfo {
  backend: 'native' | 'ts';
  /** 'avx512', 'avx2' or 'reference' for native; 'typescript' for ts */
  isa: 'avx512' | 'avx2' | 'reference' | 'typescript';
  /** the best ISA the CPU could run (native only; 'typescript' for ts) */
  bestIsa: 'avx512' | 'avx2' | 'reference' | 'typescript';
  threads: number;
}

export interface Backend {
  readonly name: 'native' | 'ts';
  info(): BackendInfo;
  /** Thread count for the native pool (the TS backend is single-threaded and ignores it). */
  setThreads(n: number): void;

  // ---- GEMM -------------------------------------------------------------------------------------------
  /**
   * C[M,N] = alpha·op(A)·op(B) + beta·C, row-major with leading dims. op(A) is A (M×K, lda ≥ K) or Aᵀ
   * (A stored K×M, lda ≥ M); likewise B. beta = 0: C is written without being read. Offsets index into the
   * arrays (views without subarray()).
   */
  sgemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: Float32Array, offA: number, lda: number,
    B: Float32Array, offB: number, ldb: number,
    beta: number, C: Float32Array, offC: number, ldc: number,
  ): void;

  // ---- convolution --------------------------------------------------------------------------------------
  /** x[N,C,H,W] -> col[N·OH·OW, C·KH·KW] (the book's im2col layout; padding reads as 0). */
  im2col(x: Float32Array, g: WindowGeometry, col: Float32Array): void;
  /** col[N·OH·OW, C·KH·KW] -> x[N,C,H,W]: x is overwritten with the sum of every column entry mapping to it. */
  col2im(col: Float32Array, g: WindowGeometry, x: Float32Array): void;
  /**
   * y[N,F,OH,OW] = conv(x[N,C,H,W], w[F,C,KH,KW]) + b[F]  (the book's Convolution.forward).
   * `g` describes x and the kernel window; F is the number of filters. `relu` (default false) fuses the
   * following Relu: y = (v <= 0 ? 0 : v) of the same v, written once — bit-identical to a separate Relu.
   */
  convForward(x: Float32Array, w: Float32Array, b: Float32Array, g: WindowGeometry, F: number, y: Float32Array, relu?: boolean): void;
  /**
   * z = maxPoolForward(convForward(x, w, b, g, F, y, relu)) over the window `p` (p describes the convolution's
   * output: N = g.N, C = F, H = OH, W = OW), without keeping y. `argmax` (default null: dropped, as at inference)
   * receives the pool's argmax (for convMaxPoolBackward in training). Bit-identical to the two calls; the native
   * backend pools each image's convolution output while it is in cache.
   */
  convMaxPoolForward(x: Float32Array, w: Float32Array, b: Float32Array, g: WindowGeometry, F: number, relu: boolean, p: WindowGeometry, z: Float32Array,
    argmax?: Int32Array | null): void;
  /**
   * Inference convolution (a network's folded or residual convolution): y = convForward(x, w, b, g, F) (+ r[N,F,OH,OW]
   * when given), then the ReLU when `relu`. The native backend takes Winograd F(4x4, 3x3) where convPlan(...).inference
   * says 'winograd' (within its rounding, ~1e-5 of the largest output); elsewhere bit-identical to convForward, the Add
   * layer's sum and the Relu layer's op (the sum and the ReLU per image while the image's output is in cache). r must
   * not overlap y.
   */
  convInferenceForward(x: Float32Array, w: Float32Array, b: Float32Array, g: WindowGeometry, F: number, relu: boolean, r: Float32Array | null, y: Float32Array): void;
  /**
   * Inference of a VGG block: z = convMaxPoolForward(convForward(x, w1, b1, g1, F1, y1, relu1), w2, b2, g2, F2,
   * relu2, p) with g2 describing y1 (N = g1.N, C = F1, H, W = g1's OH, OW). Bit-identical to the three calls; the
   * native backend runs each image through both convolutions and the pool while it is in cache.
   */
  convConvMaxPoolForward(x: Float32Array, w1: Float32Array, b1: Float32Array, g1: WindowGeometry, F1: number, relu1: boolean,
    w2: Float32Array, b2: Float32Array, g2: WindowGeometry, F2: number, relu2: boolean, p: WindowGeometry, z: Float32Array): void;
  /**
   * Gradients of convForward: dw[F,C,KH,KW] and db[F] are overwritten (not accumulated); dx[N,C,H,W] is
   * overwritten unless null (first layer: no input gradient needed). `y` (default null): the output of a
   * convForward with relu = true; the gradient then goes through that ReLU (dy_eff = y > 0 ? dy : 0, the
   * book's mask; dy itself is not written).
   */
  convBackward(
    dy: Float32Array, x: Float32Array, w: Float32Array, g: WindowGeometry, F: number,
    dx: Float32Array | null, dw: Float32Array, db: Float32Array, y?: Float32Array | null,
  ): void;

  /**
   * Training, a convolution (its ReLU fused when `relu`) read only by a max pool over the window `p` (p describes
   * the convolution's output: N = g.N, C = F, H = OH, W = OW): the gradients of convBackward(dy, x, w, g, F, dx, dw,
   * db) for dy = maxPoolBackward(relu ? (z > 0 ? dz : 0) : dz, argmax, p), with dz (the pool's output gradient),
   * argmax and z (the pool's output) [N, F, PH, PW] from maxPoolForward over the convolution's (ReLU'd) y — so
   * bit-identical to maxPoolBackward then convBackward with y (at a window's argmax z equals y). The native backend
   * builds each image's dy in cache for the 2×2 stride-2 window (no dy written; y is not read). RangeError for an
   * argmax outside the convolution's output.
   */
  convMaxPoolBackward(dz: Float32Array, argmax: Int32Array, z: Float32Array, x: Float32Array, w: Float32Array, g: WindowGeometry, F: number,
    relu: boolean, p: WindowGeometry, dx: Float32Array | null, dw: Float32Array, db: Float32Array): void;

  // ---- pooling ------------------------------------------------------------------------------------------
  /** Max pooling per channel: y[N,C,OH,OW]; argmax[N·C·OH·OW] holds the flat index into x of each max
   * (first max wins on ties; padding is −∞). Requires pad < KH and pad < KW, so every window holds a real
   * element (RangeError otherwise). */
  maxPoolForward(x: Float32Array, g: WindowGeometry, y: Float32Array, argmax: Int32Array): void;
  /** dx[N,C,H,W] is overwritten: dx[argmax[i]] += dy[i]. Every argmax must lie in [0, N·C·H·W): checked
   * before anything is written (RangeError). */
  maxPoolBackward(dy: Float32Array, argmax: Int32Array, g: WindowGeometry, dx: Float32Array): void;
  /** Average pooling per channel (padding counts as zeros in the average: divide by KH·KW). */
  avgPoolForward(x: Float32Array, g: WindowGeometry, y: Float32Array): void;
  /** dx overwritten. */
  avgPoolBackward(dy: Float32Array, g: WindowGeometry, dx: Float32Array): void;

  // ---- dense / elementwise -------------------------------------------------------------------------------
  /** y[r, c] += b[c] for r < rows, c < cols. */
  addBias(y: Float32Array, b: Float32Array, rows: number, cols: number): void;
  /** out[c] = Σ_r x[r, c] (overwrites out). */
  sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  /** y = act(x); `alpha` is LeakyReLU's negative slope. x and y may be the same array. */
  activationForward(kind: Activation, x: Float32Array, y: Float32Array, alpha: number): void;
  /**
   * dx = dy · act'(·). relu and leakyRelu use x (relu: dy where x > 0, else 0 — the book's mask x <= 0);
   * sigmoid and tanh use the forward output y. dx may alias dy.
   */
  activationBackward(kind: Activation, dy: Float32Array, x: Float32Array, y: Float32Array, dx: Float32Array, alpha: number): void;
  /** y += alpha · x */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /**
   * y = a + b, then the ReLU (v <= 0 ? +0 : v, NaN passes) when `relu`: the Add layer's sum and the Relu after it
   * in one pass, bit-identical to the two. y may be a or b.
   */
  addForward(a: Float32Array, b: Float32Array, relu: boolean, y: Float32Array): void;
  /**
   * dx = y > 0 ? dy0 + dy1 : 0 (dy1 null: dy0 where y > 0): the backward of a ReLU whose output y is read twice
   * (a residual block's output), the two gradients summed in the pass that masks; bit-identical to summing them
   * (copy + axpy) then activationBackward('relu'). dx may be dy0 or dy1.
   */
  reluBackwardSum(dy0: Float32Array, dy1: Float32Array | null, y: Float32Array, dx: Float32Array): void;

  // ---- losses --------------------------------------------------------------------------------------------
  /**
   * Row-wise softmax of logits[N, C] into probs, and the mean cross-entropy, computed stably with log-sum-exp.
   * Targets are class indices (`labels`, each in [0, C)) or a row-stochastic `onehot`[N, C] (exactly one of
   * them non-null). `sampleWeights`[N] (optional) weights each row's loss; the mean divides by N.
   */
  softmaxCrossEntropy(
    logits: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null,
    probs: Float32Array, sampleWeights: Float32Array | null,
  ): number;
  /** dx[N,C] = (probs − t) · scale · (sampleWeights[n] or 1), with t the one-hot of labels or `onehot`. */
  softmaxCrossEntropyBackward(
    probs: Float32Array, N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null,
    scale: number, sampleWeights: Float32Array | null, dx: Float32Array,
  ): void;

  // ---- batch normalization -------------------------------------------------------------------------------
  /**
   * x viewed as [N, C, S]: statistics per c over N·S values (the book's BatchNormalization on 2-D input: C = D,
   * S = 1; per-channel for convolutions: C channels, S = H·W). Training: uses the batch mean/variance (biased),
   * writes mean[C] and std[C] = sqrt(var + eps) for backward, and updates the running statistics:
   * run = momentum·run + (1 − momentum)·batch. Inference: uses runMean/runVar (mean and std still written).
   * y = gamma·(x − mean)/std + beta, then max(0, ·) when relu (BN followed by ReLU in one pass), computed from the
   * float32 mean and std written (backward recomputes the ReLU's mask from them). Nothing of size N·C·S is kept for
   * backward but x itself.
   */
  batchNormForward(
    x: Float32Array, N: number, C: number, S: number, gamma: Float32Array, beta: Float32Array,
    runMean: Float32Array, runVar: Float32Array, momentum: number, eps: number, training: boolean, relu: boolean,
    y: Float32Array, mean: Float32Array, std: Float32Array,
  ): void;
  /**
   * The book's backward from the forward's x, mean and std: dgamma, dbeta[C] and dx[N,C,S] overwritten. relu: the
   * forward fused the ReLU (dy counts where its y > 0); the mask is recomputed from x, mean, std, gamma and beta with
   * the forward's own arithmetic, so it is exactly that y > 0 without reading y (pass the forward's gamma and beta,
   * unchanged since).
   */
  batchNormBackward(
    dy: Float32Array, x: Float32Array, relu: boolean, mean: Float32Array, std: Float32Array, gamma: Float32Array, beta: Float32Array,
    N: number, C: number, S: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
  ): void;

  // ---- dropout -------------------------------------------------------------------------------------------
  /**
   * Training: mask[i] = 1 if streamUniform(streamBase(seed, counter), i) > ratio else 0 (lib/rng.ts), and
   * y = x · mask · scale. The book uses scale = 1 (and multiplies by 1 − ratio at inference); inverted
   * dropout uses scale = 1 / (1 − ratio).
   */
  dropoutForward(x: Float32Array, y: Float32Array, mask: Uint8Array, ratio: number, scale: number, seed: number, counter: number): void;
  /** dx = dy · mask · scale. */
  dropoutBackward(dy: Float32Array, mask: Uint8Array, scale: number, dx: Float32Array): void;
  /** y = x · s (x and y may alias). */
  scale(x: Float32Array, s: number, y: Float32Array): void;

  // ---- optimizers ----------------------------------------------------------------------------------------
  /**
   * One fused in-place update of `param` from `grad`, with the book's formulas (common/optimizer.py):
   *  sgd:      p −= lr·g
   *  momentum: v = momentum·v − lr·g; p += v                                   (s1 = v)
   *  nesterov: v *= momentum; v −= lr·g; p += momentum²·v; p −= (1 + momentum)·lr·g   (s1 = v)
   *  adagrad:  h += g²; p −= lr·g / (sqrt(h) + 1e-7)                           (s1 = h)
   *  rmsprop:  h = decay·h + (1 − decay)·g²; p −= lr·g / (sqrt(h) + 1e-7)      (s1 = h)
   *  adam:     lr_t = lr·sqrt(1 − β2^t)/(1 − β1^t); m += (1 − β1)(g − m); v += (1 − β2)(g² − v);
   *            p −= lr_t·m / (sqrt(v) + 1e-7)                                  (s1 = m, s2 = v)
   *  adamw:    adam, then p −= lr·weightDecay·p_old (decoupled)
   * Unused state arrays may be null.
   */
  optimizerStep(
    rule: OptimizerRule, param: Float32Array, grad: Float32Array, s1: Float32Array | null, s2: Float32Array | null,
    hyper: OptimizerHyper,
  ): void;

  // ---- half precision ------------------------------------------------------------------------------------
  /** IEEE binary16 conversion, round-to-nearest-even (F16C where available). */
  toHalf(src: Float32Array, dst: Uint16Array): void;
  fromHalf(src: Uint16Array, dst: Float32Array): void;

  // ---- data augmentation ---------------------------------------------------------------------------------
  /**
   * y[N,C,H,W] = a random transform of each image of x[N,C,H,W] (y must not alias x). Image n draws its
   * parameters from slots n·8 + j of the stream streamBase(seed, counter) (lib/rng.ts), so both backends give
   * the same batch; see lib/backend/ts/augment.ts for the exact transform and `AugmentConfig` for its ranges.
   */
  augment(x: Float32Array, N: number, C: number, H: number, W: number, cfg: AugmentConfig, seed: number, counter: number, y: Float32Array): void;
}

