/**
 * Constant folding for import: the small computations exporters leave on constants (PyTorch 1.13 computes a
 * Pad's `pads` from its Python arguments with ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast). Each
 * op here is evaluated on the constants it reads; anything else is refused. Results are bounded in size (a
 * constant of more than MAX_FOLDED elements is refused before it is allocated).
 */
import { DataType, toInt, type AttributeProto, type NodeProto } from './proto';
import { checkedDims } from './tensor';
import type { Const } from './convert';

/** Largest constant folding may produce (elements). */
export const MAX_FOLDED = 1 << 20;

function attr(n: NodeProto, name: string): AttributeProto | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}

function onlyAttrs(n: NodeProto, lab: string, allowed: string[]): void {
  for (const a of n.attribute ?? []) {
    if (!allowed.includes(a.name ?? '')) throw new RangeError(`${lab}: attribute '${a.name}' is not supported when folding constants`);
  }
}

function values(c: Const): number[] {
  return c.ints ?? Array.from(c.data ?? []);
}

function make(dims: number[], vals: number[], ints: boolean, lab: string): Const {
  const { count } = checkedDims(lab, dims);
  if (count > MAX_FOLDED) throw new RangeError(`${lab}: a folded constant of ${count} elements (more than ${MAX_FOLDED})`);
  if (count !== vals.length) throw new RangeError(`${lab}: internal error, ${vals.length} values for dims [${dims.join(', ')}]`);
  return ints ? { dims, ints: vals, data: null } : { dims, ints: null, data: Float32Array.from(vals) };
}

/** Row-major strides of dims. */
function strides(dims: number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

const FOLDERS: Record<string, (n: NodeProto, ins: Const[], lab: string) => Const> = {
  Identity: (_n, ins) => ins[0],
  Cast(n, ins, lab) {
    onlyAttrs(n, lab, ['to', 'saturate']);
    const to = toInt(attr(n, 'to')?.i, `${lab} 'to'`);
    if (to === DataType.FLOAT) {
      if (!ins[0].data) throw new RangeError(`${lab}: only float constants can be cast to FLOAT`);
      return ins[0];
    }
    if (to === DataType.INT64 && ins[0].ints) return ins[0];
    throw new RangeError(`${lab}: only Cast to FLOAT of a float constant, or to INT64 of an integer one, is supported`);
  },
  ConstantOfShape(n, ins, lab) {
    onlyAttrs(n, lab, ['value']);
    const shape = ins[0].ints;
    if (!shape) throw new RangeError(`${lab}: its shape must be an INT64 constant`);
    const { count } = checkedDims(lab, shape);
    if (count > MAX_FOLDED) throw new RangeError(`${lab}: a folded constant of ${count} elements (more than ${MAX_FOLDED})`);
    const t = attr(n, 'value')?.t;
    const type = t?.dataType ?? DataType.FLOAT;
    if (type !== DataType.INT64 && type !== DataType.FLOAT) throw new RangeError(`${lab}: only INT64 or FLOAT values are supported`);
    let v = 0;
    if (t) {
      if (type === DataType.INT64) v = t.int64Data?.length ? toInt(t.int64Data[0], lab) : t.rawData?.length === 8 ? Number(new DataView(t.rawData.buffer, t.rawData.byteOffset, 8).getBigInt64(0, true)) : 0;
      else v = t.floatData?.length ? t.floatData[0] : t.rawData?.length === 4 ? new DataView(t.rawData.buffer, t.rawData.byteOffset, 4).getFloat32(0, true) : 0;
    }
    return make([...shape], new Array<number>(count).fill(v), type === DataType.INT64, lab);
  },
  Concat(n, ins, lab) {
    onlyAttrs(n, lab, ['axis']);
    const axis = toInt(attr(n, 'axis')?.i, `${lab} axis`);
    if (!ins.every((c) => c.dims.length === 1) || (axis !== 0 && axis !== -1)) throw new RangeError(`${lab}: only Concat of 1-D constants is supported`);
    const vals = ins.flatMap(values);
    return make([vals.length], vals, ins.every((c) => c.ints !== null), lab);
  },
  Reshape(n, ins, lab) {
    onlyAttrs(n, lab, ['allowzero']);
    const target = ins[1].ints;
    if (!target) throw new RangeError(`${lab}: its shape must be an INT64 constant`);
    const vals = values(ins[0]);
    const dims = target.map((d, i) => (d === 0 ? ins[0].dims[i] : d));
    const known = dims.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    const k = dims.indexOf(-1);
    if (k >= 0) dims[k] = known === 0 ? 0 : vals.length / known;
    if (dims.some((d) => !Number.isInteger(d) || d < 0) || dims.reduce((a, d) => a * d, 1) !== vals.length) {
      throw new RangeError(`${lab}: cannot reshape ${vals.length} values to [${target.join(', ')}]`);
    }
    return make(dims, vals, ins[0].ints !== null, lab);
  },
  Transpose(n, ins, lab) {
    onlyAttrs(n, lab, ['perm']);
    const src = ins[0];
    const rank = src.dims.length;
    const perm = (attr(n, 'perm')?.ints ?? [...Array(rank).keys()].reverse()).map((p) => toInt(p, `${lab} perm`));
    if (perm.length !== rank || [...perm].sort().some((p, i) => p !== i)) throw new RangeError(`${lab}: perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
    const vals = values(src);
    const dims = perm.map((p) => src.dims[p]);
    const ss = strides(src.dims);
    const out = new Array<number>(vals.length);
    const idx = new Array<number>(rank).fill(0);
    for (let o = 0; o < vals.length; o++) {
      let s = 0;
      for (let a = 0; a < rank; a++) s += idx[a] * ss[perm[a]];
      out[o] = vals[s];
      for (let a = rank - 1; a >= 0; a--) {
        if (++idx[a] < dims[a]) break;
        idx[a] = 0;
      }
    }
    return make(dims, out, src.ints !== null, lab);
  },
  Slice(n, ins, lab) {
    onlyAttrs(n, lab, []);
    const src = ins[0];
    const rank = src.dims.length;
    const [starts, ends] = [ins[1]?.ints, ins[2]?.ints];
    if (!starts || !ends) throw new RangeError(`${lab}: starts and ends must be INT64 constants`);
    const axes = (ins[3]?.ints ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
    const steps = ins[4]?.ints ?? starts.map(() => 1);
    // per axis: the indices kept
    const keep = src.dims.map((d) => [...Array(d).keys()]);
    axes.forEach((a, i) => {
      const d = src.dims[a];
      const step = steps[i];
      if (a < 0 || a >= rank || step === 0) throw new RangeError(`${lab}: axis ${a} or step ${step} out of range`);
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      let s = starts[i] < 0 ? starts[i] + d : starts[i];
      let e = ends[i] < 0 ? ends[i] + d : ends[i];
      const list: number[] = [];
      if (step > 0) {
        s = clamp(s, 0, d);
        e = clamp(e, 0, d);
        for (let k = s; k < e; k += step) list.push(k);
      } else {
        s = clamp(s, -1, d - 1);
        e = clamp(e, -1, d - 1);
        for (let k = s; k > e; k += step) list.push(k);
      }
      keep[a] = list;
    });
    const vals = values(src);
    const ss = strides(src.dims);
    const dims = keep.map((k) => k.length);
    const out: number[] = [];
    const idx = new Array<number>(rank).fill(0);
    const count = dims.reduce((a, d) => a * d, 1);
    for (let o = 0; o < count; o++) {
      let s = 0;
      for (let a = 0; a < rank; a++) s += keep[a][idx[a]] * ss[a];
      out.push(vals[s]);
      for (let a = rank - 1; a >= 0; a--) {
        if (++idx[a] < dims[a]) break;
        idx[a] = 0;
      }
    }
    return make(dims, out, src.ints !== null, lab);
  },
};

export const FOLDABLE_OPS: readonly string[] = Object.freeze(Object.keys(FOLDERS));

/** Evaluates `n` on constant inputs. @throws {RangeError} an op that cannot be folded, or bad sizes. */
export function foldNode(n: NodeProto, ins: Const[], lab: string): Const {
  const f = FOLDERS[n.opType ?? ''];
  if (!f) throw new RangeError(`${lab}: an op computing on constants only; supported there: Constant, ${FOLDABLE_OPS.join(', ')}`);
  return f(n, ins, lab);
}
