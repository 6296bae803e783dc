/**
 * Constant folding for import: the small computations exporters leave on constants (PyTorch 1.13 computes a
 * Pad's `pads` from its Python arguments with ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast). Each
 * op here is evaluated on the constants it reads; anything else is refused. Results are bounded in size (a
 * constant of more than MAX_FOLDED elements is refused before it is allocated).
 *
 * Shapes: PyTorch writes `x.view(x.size(0), -1)` as Shape(x) → Gather → Unsqueeze → Concat → Reshape (and
 * `x.size(1) * x.size(2)` as Gather + Mul). Every dim of a computed value but the batch is known at import, so
 * Shape folds to those dims with the batch entry marked (`Const.batch`). A marked entry may only be moved (the ops
 * of MOVERS: its mark follows it) into the first entry of a Reshape target, where it means "the batch" (as 0 does);
 * computing with it (Mul, ConstantOfShape, …) or using it anywhere else is refused, naming the node.
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

/** Whether a constant holds the batch size (an entry folded from a Shape node's batch dim). */
export function hasBatch(c: Const | null | undefined): boolean {
  return !!c?.batch?.some((b) => b);
}

function axesOf(n: NodeProto, input: Const | undefined, lab: string): number[] | null {
  if (input) {
    if (!input.ints) throw new RangeError(`${lab}: its axes must be an INT64 constant`);
    return input.ints;
  }
  const a = attr(n, 'axes');
  return a ? (a.ints ?? []).map((v, i) => toInt(v, `${lab} axes[${i}]`)) : null;
}

/** Integer arithmetic of INT64 constants of equal dims, or with one single value (broadcast). */
function arith(name: string, fn: (a: number, b: number, lab: string) => number) {
  return (n: NodeProto, ins: Const[], lab: string): Const => {
    onlyAttrs(n, lab, []);
    const [a, b] = ins;
    if (!a?.ints || !b?.ints) throw new RangeError(`${lab}: only ${name} of INT64 constants is folded`);
    const same = a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
    let dims: number[];
    if (same) dims = a.dims;
    else if (a.ints.length === 1 && a.dims.length <= b.dims.length) dims = b.dims;
    else if (b.ints.length === 1 && b.dims.length <= a.dims.length) dims = a.dims;
    else throw new RangeError(`${lab}: ${name} of dims [${a.dims.join(', ')}] and [${b.dims.join(', ')}] is not folded (equal dims, or one value)`);
    const count = Math.max(a.ints.length, b.ints.length);
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = fn(a.ints[a.ints.length === 1 ? 0 : i], b.ints[b.ints.length === 1 ? 0 : i], lab);
      if (!Number.isSafeInteger(v)) throw new RangeError(`${lab}: ${name} gives ${v}, not an exact integer`);
      out.push(v);
    }
    return make([...dims], out, true, lab);
  };
}

/** The dims of a Shape node's input, sliced by its start/end attributes (opset 15). */
function shapeSlice(n: NodeProto, dims: number[], lab: string): { from: number; to: number } {
  onlyAttrs(n, lab, ['start', 'end']);
  const r = dims.length;
  const at = (name: string, dflt: number) => {
    const a = attr(n, name);
    const v = a ? toInt(a.i, `${lab} ${name}`) : dflt;
    return Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  };
  const from = at('start', 0);
  return { from, to: Math.max(at('end', r), from) };
}

/**
 * Shape of a computed value whose ONNX dims are `shape` with the batch as its first entry: those dims, the batch's
 * entry marked (its value, 1, is never used as a size).
 */
export function foldShapeOfValue(n: NodeProto, shape: number[], lab: string): Const {
  const { from, to } = shapeSlice(n, shape, lab);
  const c = make([to - from], shape.slice(from, to), true, lab);
  return { ...c, batch: shape.map((_, i) => i === 0).slice(from, to) };
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
  Shape(n, ins, lab) {
    const { from, to } = shapeSlice(n, ins[0].dims, lab);
    return make([to - from], ins[0].dims.slice(from, to), true, lab);
  },
  Gather(n, ins, lab) {
    onlyAttrs(n, lab, ['axis']);
    const axis = attr(n, 'axis') ? toInt(attr(n, 'axis')!.i, `${lab} axis`) : 0;
    const [src, idx] = ins;
    if (src.dims.length !== 1 || (axis !== 0 && axis !== -1)) throw new RangeError(`${lab}: only Gather from 1-D constants is supported`);
    if (!idx?.ints) throw new RangeError(`${lab}: its indices must be an INT64 constant`);
    const d = src.dims[0];
    const vals = values(src);
    const out = idx.ints.map((i) => {
      const k = i < 0 ? i + d : i;
      if (k < 0 || k >= d) throw new RangeError(`${lab}: index ${i} is out of range for ${d} values`);
      return vals[k];
    });
    return make([...idx.dims], out, src.ints !== null, lab);
  },
  Unsqueeze(n, ins, lab) {
    onlyAttrs(n, lab, ['axes']);
    const axes = axesOf(n, ins[1], lab);
    const src = ins[0];
    const rank = src.dims.length + (axes?.length ?? 0);
    const norm = (axes ?? []).map((a) => (a < 0 ? a + rank : a));
    if (!axes || axes.length === 0 || norm.some((a, i) => a < 0 || a >= rank || norm.indexOf(a) !== i)) {
      throw new RangeError(`${lab}: axes [${(axes ?? []).join(', ')}] are not valid for a rank-${src.dims.length} constant`);
    }
    const dims: number[] = [];
    for (let i = 0, k = 0; i < rank; i++) dims.push(norm.includes(i) ? 1 : src.dims[k++]);
    return make(dims, values(src), src.ints !== null, lab);
  },
  Squeeze(n, ins, lab) {
    onlyAttrs(n, lab, ['axes']);
    const src = ins[0];
    const rank = src.dims.length;
    const axes = (axesOf(n, ins[1], lab) ?? src.dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + rank : a));
    if (axes.some((a) => a < 0 || a >= rank || src.dims[a] !== 1)) throw new RangeError(`${lab}: axes [${axes.join(', ')}] are not axes of size 1 of dims [${src.dims.join(', ')}]`);
    return make(src.dims.filter((_, i) => !axes.includes(i)), values(src), src.ints !== null, lab);
  },
  Add: arith('Add', (a, b) => a + b),
  Sub: arith('Sub', (a, b) => a - b),
  Mul: arith('Mul', (a, b) => a * b),
  Div: arith('Div', (a, b, lab) => {
    if (b === 0) throw new RangeError(`${lab}: integer division by zero`);
    return Math.trunc(a / b);
  }),
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

/** The ops that only move entries, and which of their inputs they move (the others say where): a mark follows. */
const MOVERS: Record<string, number[] | 'all'> = { Identity: [0], Cast: [0], Concat: 'all', Reshape: [0], Transpose: [0], Slice: [0], Gather: [0], Unsqueeze: [0], Squeeze: [0] };

/**
 * Evaluates `n` on constant inputs; the batch-size marks of a moving op's inputs follow their entries (the op is
 * evaluated a second time on the marks as 0/1). @throws {RangeError} an op that cannot be folded, bad sizes, or
 * the batch size (a marked entry) used other than moved.
 */
export function foldNode(n: NodeProto, ins: Const[], lab: string): Const {
  const op = n.opType ?? '';
  const f = FOLDERS[op];
  if (!f) throw new RangeError(`${lab}: an op computing on constants only; supported there: Constant, ${FOLDABLE_OPS.join(', ')}`);
  if (!ins.some(hasBatch)) return f(n, ins, lab);
  const moved = MOVERS[op] === 'all' ? ins.map((_, i) => i) : MOVERS[op] ?? [];
  const bad = ins.findIndex((c, i) => hasBatch(c) && !moved.includes(i));
  if (bad >= 0) {
    throw new RangeError(`${lab}: its input '${(n.input ?? [])[bad]}' holds the batch size (from a Shape node); simdnet folds the batch size `
      + `only where it is moved (${Object.keys(MOVERS).join(', ')}) into the first entry of a Reshape target, never computed with`);
  }
  const value = f(n, ins, lab);
  const asMarks = (c: Const): Const => ({ dims: c.dims, ints: values(c).map((_, k) => (c.batch?.[k] ? 1 : 0)), data: null });
  const marks = f(n, ins.map((c, i) => (c && moved.includes(i) ? asMarks(c) : c)), lab);
  return { ...value, batch: values(marks).map((m) => m === 1) };
}
