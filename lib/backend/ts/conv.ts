/**
 * Convolution in TypeScript: im2col/col2im in the book's layout (common/util.py) and the fused
 * convolution forward/backward (common/layers.py Convolution), with the same semantics as the native core
 * (native/core/im2col.h, conv.h).
 *
 * The fused ops work per image, with the unrolling laid out so that every sgemm call reads both operands
 * contiguously along the inner dimension (the layout ./gemm uses in place, without transposing):
 *  forward   y_n[F, P] = b + W[F, K] · col_nᵀ            col_n[P, K] (the book's rows), P = OH·OW, K = C·KH·KW
 *  backward  dW[F, K] += dy_n[F, P] · colT_nᵀ             colT_n[K, P] (transposed unrolling)
 *            dx_n: stride 1, square kernel, pad ≤ K−1: a convolution of dy_n (padded by KH−1−pad) with the
 *            flipped filters wf[C, F·KH·KW]; otherwise colT = Wᵀ·dy_n and col2im.
 * One scratch array is reused across calls. col2im adds each element's contributions in (kh, kw) order,
 * as the book does and as the native kernels do, so both backends agree bit for bit on it.
 */
import { checkF32, checkInt, invalidRange, invalidType } from '../../validate';
import type { WindowGeometry } from '../types';
import { sgemm } from './gemm';
import { maxPoolBackward, maxPoolForward } from './pool';

/** A validated window geometry with its output size. */
export interface Window extends WindowGeometry {
  OH: number;
  OW: number;
}

/**
 * Checks a WindowGeometry (positive integer sizes, stride ≥ 1, pad ≥ 0, output size ≥ 1) and returns it
 * with OH/OW; errors name it `name` (default 'g').
 * @throws {TypeError} when `g` or one of its fields has the wrong type.
 * @throws {RangeError} when a field is out of range or the kernel does not fit the padded input.
 */
export function checkWindow(g: WindowGeometry, name = 'g'): Window {
  if (typeof g !== 'object' || g === null) throw invalidType(name, 'a WindowGeometry object', g);
  const N = checkInt(`${name}.N`, g.N, 1);
  const C = checkInt(`${name}.C`, g.C, 1);
  const H = checkInt(`${name}.H`, g.H, 1);
  const W = checkInt(`${name}.W`, g.W, 1);
  const KH = checkInt(`${name}.KH`, g.KH, 1);
  const KW = checkInt(`${name}.KW`, g.KW, 1);
  const stride = checkInt(`${name}.stride`, g.stride, 1);
  const pad = checkInt(`${name}.pad`, g.pad, 0);
  if (H + 2 * pad < KH) {
    throw invalidRange(`${name}.KH`, `at most H + 2·pad = ${H + 2 * pad} (output height ≥ 1)`, `KH=${KH} with H=${H}, pad=${pad}`);
  }
  if (W + 2 * pad < KW) {
    throw invalidRange(`${name}.KW`, `at most W + 2·pad = ${W + 2 * pad} (output width ≥ 1)`, `KW=${KW} with W=${W}, pad=${pad}`);
  }
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
  return { N, C, H, W, KH, KW, stride, pad, OH, OW };
}

/** Checks that `a` is a Float32Array of at least n elements. */
export function checkArray(name: string, a: Float32Array, n: number): void {
  checkF32(name, a, n);
}

let scratch = new Float32Array(0);

/** A reusable scratch array of at least n floats (grown, never shrunk). */
function colScratch(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(Math.max(n, Math.ceil(scratch.length * 1.5)));
  return scratch;
}

/** The outputs o in [0, out) whose input o·stride − pad + k lies in [0, size): [lo, hi). */
function validRange(k: number, pad: number, stride: number, size: number, out: number): [number, number] {
  const first = pad - k;
  let lo = first <= 0 ? 0 : Math.ceil(first / stride);
  const last = size - 1 + pad - k;
  let hi = last < 0 ? 0 : Math.floor(last / stride) + 1;
  if (hi > out) hi = out;
  if (lo > hi) lo = hi;
  return [lo, hi];
}

/** One image x[C,H,W] at xOff -> col[OH·OW, C·KH·KW] at colOff (the book's rows). */
function im2colRows(x: Float32Array, xOff: number, g: Window, col: Float32Array, colOff: number): void {
  const { C, H, W, KH, KW, stride, pad, OH, OW } = g;
  let r = colOff;
  for (let oh = 0; oh < OH; oh++) {
    const ih0 = oh * stride - pad;
    for (let ow = 0; ow < OW; ow++) {
      const iw0 = ow * stride - pad;
      for (let c = 0; c < C; c++) {
        const xc = xOff + c * H * W;
        for (let kh = 0; kh < KH; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= H) {
            col.fill(0, r, r + KW);
            r += KW;
            continue;
          }
          const xr = xc + ih * W;
          for (let kw = 0; kw < KW; kw++) {
            const iw = iw0 + kw;
            col[r++] = iw >= 0 && iw < W ? x[xr + iw] : 0;
          }
        }
      }
    }
  }
}

/** One image x[C,H,W] at xOff -> colT[C·KH·KW, OH·OW]. */
function im2colT(x: Float32Array, xOff: number, g: Window, colT: Float32Array): void {
  const { C, H, W, KH, KW, stride, pad, OH, OW } = g;
  const P = OH * OW;
  let d = 0;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, d += P) {
        const [lo, hi] = validRange(kw, pad, stride, W, OW);
        for (let oh = 0; oh < OH; oh++) {
          const row = d + oh * OW;
          const ih = oh * stride - pad + kh;
          if (ih < 0 || ih >= H) {
            colT.fill(0, row, row + OW);
            continue;
          }
          const xr = xc + ih * W - pad + kw;
          for (let ow = 0; ow < lo; ow++) colT[row + ow] = 0;
          for (let ow = lo; ow < hi; ow++) colT[row + ow] = x[xr + ow * stride];
          for (let ow = hi; ow < OW; ow++) colT[row + ow] = 0;
        }
      }
    }
  }
}

/** colT[C·KH·KW, OH·OW] -> one image x[C,H,W] at xOff, ADDED (the caller zeroes it). */
function col2imT(colT: Float32Array, g: Window, x: Float32Array, xOff: number): void {
  const { C, H, W, KH, KW, stride, pad, OH, OW } = g;
  const P = OH * OW;
  let s = 0;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, s += P) {
        const [lo, hi] = validRange(kw, pad, stride, W, OW);
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * stride - pad + kh;
          if (ih < 0 || ih >= H) continue;
          const row = s + oh * OW;
          const xr = xc + ih * W - pad + kw;
          for (let ow = lo; ow < hi; ow++) x[xr + ow * stride] += colT[row + ow];
        }
      }
    }
  }
}

const isPointwise = (g: Window): boolean => g.KH === 1 && g.KW === 1 && g.stride === 1 && g.pad === 0;

/** x[N,C,H,W] -> col[N·OH·OW, C·KH·KW] (padding reads as 0). */
export function im2col(x: Float32Array, geom: WindowGeometry, col: Float32Array): void {
  const g = checkWindow(geom);
  const { N, C, H, W, KH, KW, OH, OW } = g;
  const K = C * KH * KW;
  checkArray('x', x, N * C * H * W);
  checkArray('col', col, N * OH * OW * K);
  for (let n = 0; n < N; n++) im2colRows(x, n * C * H * W, g, col, n * OH * OW * K);
}

/** col[N·OH·OW, C·KH·KW] -> x[N,C,H,W], overwritten with the sum of every entry mapping to each element. */
export function col2im(col: Float32Array, geom: WindowGeometry, x: Float32Array): void {
  const g = checkWindow(geom);
  const { N, C, H, W, KH, KW, stride, pad, OH, OW } = g;
  const K = C * KH * KW;
  const P = OH * OW;
  checkArray('col', col, N * P * K);
  checkArray('x', x, N * C * H * W);
  x.fill(0, 0, N * C * H * W);
  for (let n = 0; n < N; n++) {
    const colN = n * P * K;
    let j = 0;
    for (let c = 0; c < C; c++) {
      const xc = (n * C + c) * H * W;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++, j++) {
          const [lo, hi] = validRange(kw, pad, stride, W, OW);
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * stride - pad + kh;
            if (ih < 0 || ih >= H) continue;
            const cr = colN + oh * OW * K + j;
            const xr = xc + ih * W - pad + kw;
            for (let ow = lo; ow < hi; ow++) x[xr + ow * stride] += col[cr + ow * K];
          }
        }
      }
    }
  }
}

/** y[N,F,OH,OW] = conv(x[N,C,H,W], w[F,C,KH,KW]) + b[F]; with `relu`, v <= 0 ? 0 : v of it (the Relu layer's formula). */
export function convForward(x: Float32Array, w: Float32Array, b: Float32Array, geom: WindowGeometry, F: number, y: Float32Array, relu = false): void {
  const g = checkWindow(geom);
  checkInt('F', F, 1);
  if (typeof relu !== 'boolean') throw invalidType('relu', 'a boolean', relu);
  const { N, C, H, W, KH, KW, OH, OW } = g;
  const K = C * KH * KW;
  const P = OH * OW;
  const X = C * H * W;
  checkArray('x', x, N * X);
  checkArray('w', w, F * K);
  checkArray('b', b, F);
  checkArray('y', y, N * F * P);
  const direct = isPointwise(g);
  const col = direct ? x : colScratch(K * P);
  for (let n = 0; n < N; n++) {
    const yn = n * F * P;
    for (let f = 0; f < F; f++) y.fill(b[f], yn + f * P, yn + (f + 1) * P);
    if (direct) {
      sgemm(false, false, F, P, K, 1, w, 0, K, x, n * X, P, 1, y, yn, P);
    } else {
      im2colRows(x, n * X, g, col, 0);
      sgemm(false, true, F, P, K, 1, w, 0, K, col, 0, K, 1, y, yn, P);
    }
    if (relu) for (let i = yn, e = yn + F * P; i < e; i++) if (y[i] <= 0) y[i] = 0; // −0 -> +0, NaN passes
  }
}

/**
 * Inference: y = convForward(x, w, b, geom, F) (+ r when given: each sum rounded to float32, the Add layer's), then
 * v <= 0 ? 0 : v when `relu` (the Relu layer's). r[N,F,OH,OW] must not overlap y. (The native backend may take
 * Winograd here; this is the oracle.)
 */
export function convInferenceForward(x: Float32Array, w: Float32Array, b: Float32Array, geom: WindowGeometry, F: number, relu: boolean, r: Float32Array | null, y: Float32Array): void {
  const g = checkWindow(geom);
  checkInt('F', F, 1);
  if (typeof relu !== 'boolean') throw invalidType('relu', 'a boolean', relu);
  const Y = g.N * F * g.OH * g.OW;
  checkArray('x', x, g.N * g.C * g.H * g.W); // in argument order, as convForward checks them
  checkArray('w', w, F * g.C * g.KH * g.KW);
  checkArray('b', b, F);
  if (r !== null) checkArray('r', r, Y);
  checkArray('y', y, Y);
  if (r !== null && r.buffer === y.buffer && r.byteOffset < y.byteOffset + 4 * Y && y.byteOffset < r.byteOffset + 4 * Y) {
    throw invalidRange('r', 'an array not overlapping y (the residual is read after y is written)', 'an overlapping view');
  }
  convForward(x, w, b, g, F, y, false);
  if (r !== null) for (let i = 0; i < Y; i++) y[i] += r[i];
  if (relu) for (let i = 0; i < Y; i++) if (y[i] <= 0) y[i] = 0; // −0 -> +0, NaN passes
}

/** The checks a convolution read only by a max pool p shares both ways; its geometries and the sizes of y and z. */
function checkConvMaxPool(geom: WindowGeometry, F: number, relu: boolean, p: WindowGeometry): { g: Window; q: Window; Y: number; Z: number } {
  const g = checkWindow(geom);
  checkInt('F', F, 1);
  if (typeof relu !== 'boolean') throw invalidType('relu', 'a boolean', relu);
  const q = checkWindow(p, 'p');
  if (q.N !== g.N || q.C !== F || q.H !== g.OH || q.W !== g.OW) {
    throw invalidRange('p', `the pool over the convolution's output (N ${g.N}, C ${F}, H ${g.OH}, W ${g.OW})`, `N ${q.N}, C ${q.C}, H ${q.H}, W ${q.W}`);
  }
  if (q.pad >= q.KH || q.pad >= q.KW) {
    throw invalidRange('p.pad', 'less than KH and KW for max pooling (every window must hold an input element)', `pad=${q.pad} with KH=${q.KH}, KW=${q.KW}`);
  }
  const Y = g.N * F * g.OH * g.OW;
  const Z = q.N * q.C * q.OH * q.OW;
  return { g, q, Y, Z };
}

let pooledFrom = new Float32Array(0);
let pooledArgmax = new Int32Array(0);

/** z = maxPool(convForward(x, w, b, geom, F, relu)) over the window p (N = geom.N, C = F, H = OH, W = OW of the convolution); the pool's argmax into `argmax` when given. */
export function convMaxPoolForward(x: Float32Array, w: Float32Array, b: Float32Array, geom: WindowGeometry, F: number, relu: boolean, p: WindowGeometry, z: Float32Array,
  argmax: Int32Array | null = null): void {
  const { g, q, Y, Z } = checkConvMaxPool(geom, F, relu, p);
  checkArray('z', z, Z);
  if (argmax !== null) {
    if (!(argmax instanceof Int32Array)) throw invalidType('argmax', 'an Int32Array or null', argmax);
    if (argmax.length < Z) throw invalidRange('argmax', `at least ${Z} elements`, `${argmax.length}`);
  }
  if (pooledFrom.length < Y) pooledFrom = new Float32Array(Y);
  if (pooledArgmax.length < Z) pooledArgmax = new Int32Array(Z);
  const y = pooledFrom.subarray(0, Y);
  convForward(x, w, b, geom, F, y, relu);
  maxPoolForward(y, p, z, (argmax ?? pooledArgmax).subarray(0, Z));
}

let firstConv = new Float32Array(0);

/** z = convMaxPoolForward(convForward(x, w1, b1, geom1, F1, relu1), w2, b2, geom2, F2, relu2, p); geom2 describes conv1's output. */
export function convConvMaxPoolForward(x: Float32Array, w1: Float32Array, b1: Float32Array, geom1: WindowGeometry, F1: number, relu1: boolean,
  w2: Float32Array, b2: Float32Array, geom2: WindowGeometry, F2: number, relu2: boolean, p: WindowGeometry, z: Float32Array): void {
  const g1 = checkWindow(geom1, 'g1');
  checkInt('F1', F1, 1);
  if (typeof relu1 !== 'boolean') throw invalidType('relu1', 'a boolean', relu1);
  const g2 = checkWindow(geom2, 'g2');
  if (g2.N !== g1.N || g2.C !== F1 || g2.H !== g1.OH || g2.W !== g1.OW) {
    throw invalidRange('g2', `the second convolution over the first one's output (N ${g1.N}, C ${F1}, H ${g1.OH}, W ${g1.OW})`, `N ${g2.N}, C ${g2.C}, H ${g2.H}, W ${g2.W}`);
  }
  checkArray('x', x, g1.N * g1.C * g1.H * g1.W);
  checkArray('w1', w1, F1 * g1.C * g1.KH * g1.KW);
  checkArray('b1', b1, F1);
  checkInt('F2', F2, 1);
  if (typeof relu2 !== 'boolean') throw invalidType('relu2', 'a boolean', relu2);
  checkArray('w2', w2, F2 * g2.C * g2.KH * g2.KW);
  checkArray('b2', b2, F2);
  const q = checkWindow(p, 'p');
  if (q.N !== g2.N || q.C !== F2 || q.H !== g2.OH || q.W !== g2.OW) {
    throw invalidRange('p', `the pool over the second convolution's output (N ${g2.N}, C ${F2}, H ${g2.OH}, W ${g2.OW})`, `N ${q.N}, C ${q.C}, H ${q.H}, W ${q.W}`);
  }
  if (q.pad >= q.KH || q.pad >= q.KW) {
    throw invalidRange('p.pad', 'less than KH and KW for max pooling (every window must hold an input element)', `pad=${q.pad} with KH=${q.KH}, KW=${q.KW}`);
  }
  checkArray('z', z, q.N * q.C * q.OH * q.OW);
  const Y = g1.N * F1 * g1.OH * g1.OW;
  if (firstConv.length < Y) firstConv = new Float32Array(Y);
  const y1 = firstConv.subarray(0, Y);
  convForward(x, w1, b1, geom1, F1, y1, relu1);
  convMaxPoolForward(y1, w2, b2, geom2, F2, relu2, p, z);
}

let unpooled = new Float32Array(0);
let maskedDz = new Float32Array(0);

/**
 * Training, a convolution (its ReLU fused when `relu`) read only by a max pool p (N = geom.N, C = F, H = OH, W = OW of
 * the convolution): convBackward(maxPoolBackward(relu ? (z > 0 ? dz : 0) : dz, argmax, p), x, w, geom, F, dx, dw, db)
 * with dz, argmax and z (the pool's output) [N, F, PH, PW]. For z the pool's output over the ReLU'd y this is the
 * gradient through the pool and the ReLU (at a window's argmax z equals y).
 */
export function convMaxPoolBackward(dz: Float32Array, argmax: Int32Array, z: Float32Array, x: Float32Array, w: Float32Array,
  geom: WindowGeometry, F: number, relu: boolean, p: WindowGeometry, dx: Float32Array | null, dw: Float32Array, db: Float32Array): void {
  const { g, q, Y, Z } = checkConvMaxPool(geom, F, relu, p);
  checkArray('dz', dz, Z);
  if (!(argmax instanceof Int32Array)) throw invalidType('argmax', 'an Int32Array', argmax);
  if (argmax.length !== Z) throw invalidRange('argmax', `length ${Z}`, `${argmax.length}`);
  checkArray('z', z, Z);
  checkArray('x', x, g.N * g.C * g.H * g.W);
  checkArray('w', w, F * g.C * g.KH * g.KW);
  if (dx !== null) checkArray('dx', dx, g.N * g.C * g.H * g.W);
  checkArray('dw', dw, F * g.C * g.KH * g.KW);
  checkArray('db', db, F);
  let d = dz;
  if (relu) {
    if (maskedDz.length < Z) maskedDz = new Float32Array(Z);
    d = maskedDz.subarray(0, Z);
    for (let i = 0; i < Z; i++) d[i] = z[i] > 0 ? dz[i] : 0;
  }
  if (unpooled.length < Y) unpooled = new Float32Array(Y);
  const dy = unpooled.subarray(0, Y);
  maxPoolBackward(d, argmax, p, dy);
  convBackward(dy, x, w, geom, F, dx, dw, db, null);
}

/** Stride 1, square kernel, pad ≤ K−1 (not 1×1 pointwise): dx is a convolution of dy with flipped filters. */
const dxAsConv = (g: Window): boolean => g.stride === 1 && g.KH === g.KW && g.pad <= g.KH - 1 && !isPointwise(g);

let flipped = new Float32Array(0);

let masked = new Float32Array(0);

/**
 * dw[F,C,KH,KW], db[F] (overwritten) and dx[N,C,H,W] (overwritten unless null) of convForward; with `y` (the
 * output of a fused-ReLU forward) the gradient goes through the ReLU: dy_eff = y > 0 ? dy : 0.
 */
export function convBackward(
  dy: Float32Array, x: Float32Array, w: Float32Array, geom: WindowGeometry, F: number,
  dx: Float32Array | null, dw: Float32Array, db: Float32Array, y: Float32Array | null = null,
): void {
  const g = checkWindow(geom);
  checkInt('F', F, 1);
  const { N, C, H, W, KH, KW, OH, OW } = g;
  const K = C * KH * KW;
  const P = OH * OW;
  const X = C * H * W;
  checkArray('dy', dy, N * F * P);
  checkArray('x', x, N * X);
  checkArray('w', w, F * K);
  if (dx !== null) checkArray('dx', dx, N * X);
  checkArray('dw', dw, F * K);
  checkArray('db', db, F);
  if (y !== null) checkArray('y', y, N * F * P);
  if (y !== null) {
    // The masked gradient, whole batch at once (the TS backend is the oracle: clarity over cache use).
    if (masked.length < N * F * P) masked = new Float32Array(N * F * P);
    for (let i = 0, e = N * F * P; i < e; i++) masked[i] = y[i] > 0 ? dy[i] : 0;
    dy = masked;
  }
  const direct = isPointwise(g);
  const asConv = dx !== null && dxAsConv(g);
  // dx = conv(dy_n, wf): dy_n is an image [F, OH, OW] padded by KH−1−pad; wf[c, (f·KH + kh)·KW + kw] = w[f, c, KH−1−kh, KW−1−kw]
  const gt: Window = { N: 1, C: F, H: OH, W: OW, KH, KW, stride: 1, pad: KH - 1 - g.pad, OH: H, OW: W };
  const FKK = F * KH * KW;
  if (asConv) {
    if (flipped.length < F * K) flipped = new Float32Array(F * K);
    const KK = KH * KW;
    for (let f = 0; f < F; f++) {
      for (let c = 0; c < C; c++) {
        const src = (f * C + c) * KK;
        const dst = c * FKK + f * KK;
        for (let t = 0; t < KK; t++) flipped[dst + t] = w[src + KK - 1 - t];
      }
    }
  }
  const colT = direct ? x : colScratch(Math.max(K * P, asConv ? FKK * H * W : 0));
  db.fill(0, 0, F);
  for (let n = 0; n < N; n++) {
    const dyn = n * F * P;
    for (let f = 0; f < F; f++) {
      let s = 0;
      for (let p = dyn + f * P, e = p + P; p < e; p++) s += dy[p];
      db[f] += s;
    }
    if (direct) {
      sgemm(false, true, F, K, P, 1, dy, dyn, P, x, n * X, P, n === 0 ? 0 : 1, dw, 0, K);
      if (dx !== null) sgemm(true, false, K, P, F, 1, w, 0, K, dy, dyn, P, 0, dx, n * X, P);
      continue;
    }
    im2colT(x, n * X, g, colT);
    sgemm(false, true, F, K, P, 1, dy, dyn, P, colT, 0, P, n === 0 ? 0 : 1, dw, 0, K);
    if (dx === null) continue;
    if (asConv) {
      im2colRows(dy, dyn, gt, colT, 0);
      sgemm(false, true, C, H * W, FKK, 1, flipped, 0, FKK, colT, 0, FKK, 0, dx, n * X, H * W);
    } else {
      sgemm(true, false, K, P, F, 1, w, 0, K, dy, dyn, P, 0, colT, 0, P);
      dx.fill(0, n * X, (n + 1) * X);
      col2imT(colT, g, dx, n * X);
    }
  }
}
