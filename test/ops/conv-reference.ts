/**
 * Direct (definition-level) convolution and pooling in float64, the oracles of test/ops/conv*.test.ts and
 * pool*.test.ts. Written from the definitions, not from the implementations: every output element is a
 * sum over its window, with padding outside the image.
 */
import type { WindowGeometry } from '../../lib/backend/types';

export interface Case extends WindowGeometry {
  F: number;
}

export function outDims(g: WindowGeometry): { OH: number; OW: number } {
  return {
    OH: Math.floor((g.H + 2 * g.pad - g.KH) / g.stride) + 1,
    OW: Math.floor((g.W + 2 * g.pad - g.KW) / g.stride) + 1,
  };
}

/** Calls fn(ih, iw, kh, kw) for every tap of output (oh, ow) that lands inside the image. */
function forTaps(g: WindowGeometry, oh: number, ow: number, fn: (ih: number, iw: number, kh: number, kw: number) => void): void {
  for (let kh = 0; kh < g.KH; kh++) {
    const ih = oh * g.stride - g.pad + kh;
    if (ih < 0 || ih >= g.H) continue;
    for (let kw = 0; kw < g.KW; kw++) {
      const iw = ow * g.stride - g.pad + kw;
      if (iw < 0 || iw >= g.W) continue;
      fn(ih, iw, kh, kw);
    }
  }
}

/** col[(n·OH + oh)·OW + ow, (c·KH + kh)·KW + kw] = x[n, c, ih, iw] (0 in the padding). */
export function naiveIm2col(x: Float32Array, g: WindowGeometry): Float64Array {
  const { OH, OW } = outDims(g);
  const K = g.C * g.KH * g.KW;
  const col = new Float64Array(g.N * OH * OW * K);
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const row = ((n * OH + oh) * OW + ow) * K;
        for (let c = 0; c < g.C; c++) {
          forTaps(g, oh, ow, (ih, iw, kh, kw) => {
            col[row + (c * g.KH + kh) * g.KW + kw] = x[((n * g.C + c) * g.H + ih) * g.W + iw];
          });
        }
      }
    }
  }
  return col;
}

/** The adjoint of im2col: x[n, c, ih, iw] = Σ of the col entries that copy it. */
export function naiveCol2im(col: Float32Array, g: WindowGeometry): Float64Array {
  const { OH, OW } = outDims(g);
  const K = g.C * g.KH * g.KW;
  const x = new Float64Array(g.N * g.C * g.H * g.W);
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const row = ((n * OH + oh) * OW + ow) * K;
        for (let c = 0; c < g.C; c++) {
          forTaps(g, oh, ow, (ih, iw, kh, kw) => {
            x[((n * g.C + c) * g.H + ih) * g.W + iw] += col[row + (c * g.KH + kh) * g.KW + kw];
          });
        }
      }
    }
  }
  return x;
}

/** y[n, f, oh, ow] = b[f] + Σ_{c, kh, kw} w[f, c, kh, kw] · x[n, c, oh·s − pad + kh, ow·s − pad + kw]. */
export function naiveConv(x: Float32Array, w: Float32Array, b: Float32Array, g: Case): Float64Array {
  const { OH, OW } = outDims(g);
  const y = new Float64Array(g.N * g.F * OH * OW);
  for (let n = 0; n < g.N; n++) {
    for (let f = 0; f < g.F; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = b[f];
          for (let c = 0; c < g.C; c++) {
            forTaps(g, oh, ow, (ih, iw, kh, kw) => {
              s += w[((f * g.C + c) * g.KH + kh) * g.KW + kw] * x[((n * g.C + c) * g.H + ih) * g.W + iw];
            });
          }
          y[((n * g.F + f) * OH + oh) * OW + ow] = s;
        }
      }
    }
  }
  return y;
}

/** Gradients of naiveConv for upstream dy: dx, dw, db (the chain rule on the definition). */
export function naiveConvGrad(dy: Float32Array, x: Float32Array, w: Float32Array, g: Case): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const { OH, OW } = outDims(g);
  const dx = new Float64Array(g.N * g.C * g.H * g.W);
  const dw = new Float64Array(g.F * g.C * g.KH * g.KW);
  const db = new Float64Array(g.F);
  for (let n = 0; n < g.N; n++) {
    for (let f = 0; f < g.F; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const d = dy[((n * g.F + f) * OH + oh) * OW + ow];
          db[f] += d;
          for (let c = 0; c < g.C; c++) {
            forTaps(g, oh, ow, (ih, iw, kh, kw) => {
              const wi = ((f * g.C + c) * g.KH + kh) * g.KW + kw;
              const xi = ((n * g.C + c) * g.H + ih) * g.W + iw;
              dw[wi] += d * x[xi];
              dx[xi] += d * w[wi];
            });
          }
        }
      }
    }
  }
  return { dx, dw, db };
}

/** Max pooling with −∞ padding; argmax = flat index into x of the first maximum in window order. */
export function naiveMaxPool(x: Float32Array, g: WindowGeometry): { y: Float64Array; argmax: Int32Array } {
  const { OH, OW } = outDims(g);
  const y = new Float64Array(g.N * g.C * OH * OW);
  const argmax = new Int32Array(y.length);
  let o = 0;
  for (let p = 0; p < g.N * g.C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o++) {
        let best = -Infinity;
        let bi = -1;
        forTaps(g, oh, ow, (ih, iw) => {
          const i = (p * g.H + ih) * g.W + iw;
          if (bi < 0 || x[i] > best) {
            best = x[i];
            bi = i;
          }
        });
        y[o] = best;
        argmax[o] = bi;
      }
    }
  }
  return { y, argmax };
}

/** Average pooling: window sum (padding = 0) / (KH·KW). */
export function naiveAvgPool(x: Float32Array, g: WindowGeometry): Float64Array {
  const { OH, OW } = outDims(g);
  const y = new Float64Array(g.N * g.C * OH * OW);
  let o = 0;
  for (let p = 0; p < g.N * g.C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o++) {
        let s = 0;
        forTaps(g, oh, ow, (ih, iw) => {
          s += x[(p * g.H + ih) * g.W + iw];
        });
        y[o] = s / (g.KH * g.KW);
      }
    }
  }
  return y;
}

/** Σ a·b in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Awkward convolution shapes: N ∈ {1,3}, C ∈ {1,3}, H ≠ W, odd sizes, KH ≠ KW, stride 1/2/3, pad 0/1/2,
 * 1×1 kernels (pointwise and strided/padded), kernels larger than the input, F ∈ {1, 5, 17}. */
export const CONV_CASES: Case[] = [
  { N: 1, C: 1, H: 5, W: 7, KH: 3, KW: 3, stride: 1, pad: 0, F: 1 },
  { N: 3, C: 3, H: 7, W: 5, KH: 3, KW: 2, stride: 2, pad: 1, F: 5 },
  { N: 1, C: 3, H: 6, W: 9, KH: 1, KW: 1, stride: 1, pad: 0, F: 17 },
  { N: 3, C: 1, H: 9, W: 8, KH: 5, KW: 3, stride: 3, pad: 2, F: 5 },
  { N: 1, C: 3, H: 2, W: 3, KH: 4, KW: 5, stride: 1, pad: 2, F: 5 },
  { N: 3, C: 3, H: 11, W: 10, KH: 1, KW: 1, stride: 2, pad: 1, F: 5 },
  { N: 1, C: 1, H: 1, W: 1, KH: 1, KW: 1, stride: 1, pad: 0, F: 1 },
  { N: 3, C: 1, H: 28, W: 28, KH: 3, KW: 3, stride: 1, pad: 1, F: 16 },
  { N: 3, C: 16, H: 14, W: 14, KH: 3, KW: 3, stride: 1, pad: 2, F: 17 },
  { N: 3, C: 3, H: 13, W: 31, KH: 3, KW: 7, stride: 1, pad: 3, F: 5 },
  { N: 1, C: 3, H: 10, W: 9, KH: 2, KW: 2, stride: 3, pad: 0, F: 1 },
  { N: 3, C: 3, H: 7, W: 12, KH: 3, KW: 3, stride: 2, pad: 2, F: 17 },
  { N: 1, C: 1, H: 3, W: 2, KH: 7, KW: 6, stride: 2, pad: 3, F: 5 },
  // stride 1 with pad > K-1: dx through col2im rather than as a convolution of dy
  { N: 3, C: 2, H: 4, W: 6, KH: 2, KW: 2, stride: 1, pad: 2, F: 5 },
  { N: 1, C: 3, H: 5, W: 4, KH: 1, KW: 1, stride: 1, pad: 1, F: 5 },
  // unrolled x and dy larger than one band (native conv bands output rows above 2^17 floats)
  { N: 2, C: 8, H: 32, W: 30, KH: 5, KW: 5, stride: 1, pad: 2, F: 17 },
];

export const label = (g: WindowGeometry & { F?: number }): string =>
  `N${g.N} C${g.C} ${g.H}x${g.W} k${g.KH}x${g.KW} s${g.stride} p${g.pad}${g.F !== undefined ? ` F${g.F}` : ''}`;

/**
 * Asserts fn throws an error of the given kind. Compares by name: errors made by the addon come from the
 * main realm, not jest's sandbox, so `instanceof` against the sandbox's classes would fail.
 */
export function expectThrowKind(fn: () => void, type: typeof TypeError | typeof RangeError, message?: RegExp): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (caught === null) throw new Error(`expected a ${type.name}, but nothing was thrown`);
  const err = caught as Error;
  if (err.name !== type.name) throw new Error(`expected a ${type.name}, got ${err.name}: ${err.message}`);
  if (message && !message.test(err.message)) throw new Error(`${type.name} message ${JSON.stringify(err.message)} does not match ${message}`);
}
