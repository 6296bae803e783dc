/**
 * Pooling in TypeScript, per channel, with the semantics of the native core (native/core/pool.h):
 *  - max: padding reads as −∞ and the first maximum in row-major window order wins; argmax is the flat
 *    index into x. Every window must hold a real element, so pad < KH and pad < KW.
 *  - average: padding counts as zeros; every window divides by KH·KW.
 */
import { invalidRange, invalidType } from '../../validate';
import type { WindowGeometry } from '../types';
import { checkArray, checkWindow, type Window } from './conv';

const INT32_MAX = 2147483647;

function checkMaxWindow(geom: WindowGeometry): Window {
  const g = checkWindow(geom);
  if (g.pad >= g.KH || g.pad >= g.KW) {
    throw invalidRange('g.pad', 'less than KH and KW for max pooling (every window must hold an input element)',
      `pad=${g.pad} with KH=${g.KH}, KW=${g.KW}`);
  }
  const total = g.N * g.C * g.H * g.W;
  if (total > INT32_MAX) throw invalidRange('x', `at most ${INT32_MAX} elements (Int32 argmax)`, `${total}`);
  return g;
}

function checkArgmax(argmax: Int32Array, n: number): void {
  if (!(argmax instanceof Int32Array)) throw invalidType('argmax', 'an Int32Array', argmax);
  if (argmax.length < n) throw invalidRange('argmax', `an Int32Array of at least ${n} elements`, `length ${argmax.length}`);
}

/** y[N,C,OH,OW] = window max of x[N,C,H,W]; argmax[i] = flat index into x of the max. */
export function maxPoolForward(x: Float32Array, geom: WindowGeometry, y: Float32Array, argmax: Int32Array): void {
  const g = checkMaxWindow(geom);
  const { N, C, H, W, KH, KW, stride, pad, OH, OW } = g;
  checkArray('x', x, N * C * H * W);
  checkArray('y', y, N * C * OH * OW);
  checkArgmax(argmax, N * C * OH * OW);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const xp = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * stride - pad;
      const h0 = Math.max(hs, 0);
      const h1 = Math.min(hs + KH, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const ws = ow * stride - pad;
        const w0 = Math.max(ws, 0);
        const w1 = Math.min(ws + KW, W);
        // Start from the window's first real element, then strict '>': the first maximum wins.
        let bi = xp + h0 * W + w0;
        let best = x[bi];
        for (let ih = h0; ih < h1; ih++) {
          const row = xp + ih * W;
          for (let iw = w0; iw < w1; iw++) {
            if (x[row + iw] > best) {
              best = x[row + iw];
              bi = row + iw;
            }
          }
        }
        y[o] = best;
        argmax[o] = bi;
      }
    }
  }
}

/** dx[N,C,H,W] overwritten: dx[argmax[i]] += dy[i]. Every argmax is checked first (RangeError, nothing written). */
export function maxPoolBackward(dy: Float32Array, argmax: Int32Array, geom: WindowGeometry, dx: Float32Array): void {
  const g = checkMaxWindow(geom);
  const { N, C, H, W, OH, OW } = g;
  const n = N * C * OH * OW;
  const total = N * C * H * W;
  checkArray('dy', dy, n);
  checkArgmax(argmax, n);
  checkArray('dx', dx, total);
  for (let i = 0; i < n; i++) {
    const a = argmax[i];
    if (a < 0 || a >= total) throw invalidRange(`argmax[${i}]`, `an index into x in [0, ${total})`, `${a}`);
  }
  dx.fill(0, 0, total);
  for (let i = 0; i < n; i++) dx[argmax[i]] += dy[i];
}

/** y[N,C,OH,OW] = window sum of x / (KH·KW) (padding counts as zeros). */
export function avgPoolForward(x: Float32Array, geom: WindowGeometry, y: Float32Array): void {
  const g = checkWindow(geom);
  const { N, C, H, W, KH, KW, stride, pad, OH, OW } = g;
  checkArray('x', x, N * C * H * W);
  checkArray('y', y, N * C * OH * OW);
  const count = KH * KW;
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const xp = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * stride - pad;
      const h0 = Math.max(hs, 0);
      const h1 = Math.min(hs + KH, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const ws = ow * stride - pad;
        const w0 = Math.max(ws, 0);
        const w1 = Math.min(ws + KW, W);
        let s = 0;
        for (let ih = h0; ih < h1; ih++) {
          const row = xp + ih * W;
          for (let iw = w0; iw < w1; iw++) s += x[row + iw];
        }
        y[o] = s / count;
      }
    }
  }
}

/** dx[N,C,H,W] overwritten: every real element of a window gets dy / (KH·KW). */
export function avgPoolBackward(dy: Float32Array, geom: WindowGeometry, dx: Float32Array): void {
  const g = checkWindow(geom);
  const { N, C, H, W, KH, KW, stride, pad, OH, OW } = g;
  checkArray('dy', dy, N * C * OH * OW);
  checkArray('dx', dx, N * C * H * W);
  const count = KH * KW;
  dx.fill(0, 0, N * C * H * W);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const xp = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * stride - pad;
      const h0 = Math.max(hs, 0);
      const h1 = Math.min(hs + KH, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const ws = ow * stride - pad;
        const w0 = Math.max(ws, 0);
        const w1 = Math.min(ws + KW, W);
        const v = dy[o] / count;
        for (let ih = h0; ih < h1; ih++) {
          const row = xp + ih * W;
          for (let iw = w0; iw < w1; iw++) dx[row + iw] += v;
        }
      }
    }
  }
}
