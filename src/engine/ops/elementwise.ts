// Element-wise ops with broadcasting, unary functions, and sums over axes, each with its gradient.
// Broadcasting follows NumPy's rules; the kernels take the common case where the smaller operand repeats
// along one run of axes ([outer, mid, inner] with b = [outer, 1, inner]), and anything else goes through a
// plain strided loop here.
import { record } from '../autograd.js';
import { Tensor, empty } from '../tensor.js';
import { run, sizeOf, ELEMENT_GRAIN } from './run.js';

// Codes shared with src/engine/kernels/elementwise.ts.
const enum Binary { Add = 0, Sub = 1, Mul = 2, Div = 3, Second = 4 }
const enum Unary { ScaleShift = 0, Relu = 1, Exp = 2, Abs = 3, Sqrt = 4, Square = 5, Clip = 6, Gelu = 7, Sigmoid = 8, Log = 9, Tanh = 10 }

interface Plan {
  readonly outShape: number[];
  /** The operand that repeats is the left one. */
  readonly swap: boolean;
  readonly outer: number;
  readonly mid: number;
  readonly inner: number;
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pa = [...Array(rank - a.length).fill(1), ...a];
  const pb = [...Array(rank - b.length).fill(1), ...b];
  return pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    return Math.max(d, pb[i]);
  });
}

/** How `small` repeats inside `out` as [outer, mid, inner], or undefined when it is not one run of axes. */
function repeatPattern(small: readonly number[], out: readonly number[]): { outer: number; mid: number; inner: number } | undefined {
  const s = [...Array(out.length - small.length).fill(1), ...small];
  const repeated = out.map((d, i) => s[i] === 1 && d > 1);
  const first = repeated.indexOf(true);
  if (first < 0) return { outer: 1, mid: 1, inner: sizeOf(out) };
  const last = repeated.lastIndexOf(true);
  for (let i = first; i <= last; i++) if (!repeated[i] && out[i] !== 1) return undefined;
  return { outer: sizeOf(out.slice(0, first)), mid: sizeOf(out.slice(first, last + 1)), inner: sizeOf(out.slice(last + 1)) };
}

/** Plans by shape pair: a model adds the same shapes at every step, and planning allocates. */
const plans = new Map<string, Plan | undefined>();

function planFor(a: readonly number[], b: readonly number[]): Plan | undefined {
  const key = `${a}|${b}`;
  if (plans.has(key)) return plans.get(key);
  const plan = makePlan(a, b);
  if (plans.size > 4096) plans.clear(); // bounded: shapes that vary without end (growing contexts) recycle it
  plans.set(key, plan);
  return plan;
}

function makePlan(a: readonly number[], b: readonly number[]): Plan | undefined {
  const outShape = broadcastShape(a, b);
  const same = (x: readonly number[]) => sizeOf(x) === sizeOf(outShape) && x.length <= outShape.length;
  if (same(a)) {
    const p = repeatPattern(b, outShape);
    return p && { outShape, swap: false, ...p };
  }
  if (same(b)) {
    const p = repeatPattern(a, outShape);
    return p && { outShape, swap: true, ...p };
  }
  return undefined;
}

function binaryForward(op: Binary, a: Tensor, b: Tensor): Tensor {
  const plan = planFor(a.shape, b.shape);
  if (!plan) return generalBinary(op, a, b);
  const out = empty(plan.outShape);
  const [big, small] = plan.swap ? [b, a] : [a, b];
  run('binaryBroadcast', [op, big.ptr, small.ptr, out.ptr, plan.mid, plan.inner, plan.swap ? 1 : 0], out.size, ELEMENT_GRAIN, 4);
  return out;
}

/** Any broadcast, element by element (rare: both operands repeat). */
function generalBinary(op: Binary, a: Tensor, b: Tensor): Tensor {
  const outShape = broadcastShape(a.shape, b.shape);
  const out = empty(outShape);
  const stridesFor = (shape: readonly number[]) => {
    const padded = [...Array(outShape.length - shape.length).fill(1), ...shape];
    const strides = new Array<number>(padded.length);
    let s = 1;
    for (let i = padded.length - 1; i >= 0; i--) {
      strides[i] = padded[i] === 1 ? 0 : s;
      s *= padded[i];
    }
    return strides;
  };
  const sa = stridesFor(a.shape), sb = stridesFor(b.shape);
  const [x, y, o] = [a.data, b.data, out.data];
  const index = new Array<number>(outShape.length).fill(0);
  for (let e = 0; e < out.size; e++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < index.length; d++) {
      ia += index[d] * sa[d];
      ib += index[d] * sb[d];
    }
    const u = x[ia], v = y[ib];
    o[e] = op === Binary.Add ? u + v : op === Binary.Sub ? u - v : op === Binary.Mul ? u * v : op === Binary.Div ? u / v : v;
    for (let d = index.length - 1; d >= 0 && ++index[d] === outShape[d]; d--) index[d] = 0;
  }
  return out;
}

/** The gradient of a broadcast operand: g summed over the axes along which `shape` was repeated. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sizeOf(shape) === g.size) return g.reshape(shape);
  const p = repeatPattern(shape, g.shape);
  if (p) {
    const out = empty(shape);
    run('sumMiddle', [g.ptr, out.ptr, p.mid, p.inner], p.outer * p.inner, ELEMENT_GRAIN / 16);
    return out;
  }
  // Several runs of axes: sum one axis at a time, from the left.
  const padded = [...Array(g.rank - shape.length).fill(1), ...shape];
  const axis = padded.findIndex((d, i) => d === 1 && g.shape[i] > 1);
  const partial = sum(g, [axis], true);
  const rest = sumToShape(partial, shape);
  if (rest !== partial) partial.dispose();
  return rest;
}

type Operand = Tensor | number;

function scaleShift(x: Tensor, scale: number, shift: number): Tensor {
  return unaryOp(Unary.ScaleShift, x, scale, shift);
}

export function add(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return scaleShift(a, 1, b);
  const out = binaryForward(Binary.Add, a, b);
  return record(out, [a, b], (g) => [sumToShape(g, a.shape), sumToShape(g, b.shape)]);
}

export function sub(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return scaleShift(a, 1, -b);
  const out = binaryForward(Binary.Sub, a, b);
  return record(out, [a, b], (g) => {
    const gb = neg(sumToShape(g, b.shape));
    return [sumToShape(g, a.shape), gb];
  });
}

export function mul(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return scaleShift(a, b, 0);
  const out = binaryForward(Binary.Mul, a, b);
  return record(out, [a, b], (g) => [
    a.requiresGrad ? reduced(binaryForward(Binary.Mul, g, b), a.shape) : undefined,
    b.requiresGrad ? reduced(binaryForward(Binary.Mul, g, a), b.shape) : undefined,
  ]);
}

export function div(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return scaleShift(a, 1 / b, 0);
  const out = binaryForward(Binary.Div, a, b);
  return record(out, [a, b], (g) => [
    a.requiresGrad ? reduced(binaryForward(Binary.Div, g, b), a.shape) : undefined,
    // d(a / b)/db = -a / b^2 = -out / b
    b.requiresGrad ? reduced(neg(binaryForward(Binary.Div, binaryForward(Binary.Mul, g, out), b)), b.shape) : undefined,
  ]);
}

/** `small` repeated to `shape`. */
export function broadcastTo(small: Tensor, shape: readonly number[]): Tensor {
  const target = empty(shape);
  const p = repeatPattern(small.shape, shape);
  if (!p) throw new Error(`cannot broadcast [${small.shape}] to [${shape}]`);
  run('binaryBroadcast', [Binary.Second, target.ptr, small.ptr, target.ptr, p.mid, p.inner, 0], target.size, ELEMENT_GRAIN, 4);
  return target;
}

function reduced(full: Tensor, shape: readonly number[]): Tensor {
  const r = sumToShape(full, shape);
  if (r !== full) full.dispose();
  return r;
}

function unaryOp(op: Unary, x: Tensor, p0 = 0, p1 = 0): Tensor {
  const out = empty(x.shape);
  run('unary', [op, x.ptr, out.ptr, p0, p1], x.size, ELEMENT_GRAIN, 4);
  return record(out, [x], (g) => {
    const dx = empty(x.shape);
    run('unaryGrad', [op, x.ptr, out.ptr, g.ptr, dx.ptr, p0, p1], x.size, ELEMENT_GRAIN, 4);
    return [dx];
  });
}

export const neg = (x: Tensor) => scaleShift(x, -1, 0);
export const relu = (x: Tensor) => unaryOp(Unary.Relu, x);
export const exp = (x: Tensor) => unaryOp(Unary.Exp, x);
export const abs = (x: Tensor) => unaryOp(Unary.Abs, x);
export const sqrt = (x: Tensor) => unaryOp(Unary.Sqrt, x);
export const square = (x: Tensor) => unaryOp(Unary.Square, x);
export const log = (x: Tensor) => unaryOp(Unary.Log, x);
export const tanh = (x: Tensor) => unaryOp(Unary.Tanh, x);
export const sigmoid = (x: Tensor) => unaryOp(Unary.Sigmoid, x);
/** GELU, tanh approximation (Hendrycks & Gimpel 2016), as in GPT-2. */
export const gelu = (x: Tensor) => unaryOp(Unary.Gelu, x);
export const clip = (x: Tensor, lo: number, hi: number) => unaryOp(Unary.Clip, x, lo, hi);
/** log(1 + x). */
export const log1p = (x: Tensor) => log(add(x, 1));

function normaliseAxes(axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  list.forEach((a, i) => {
    if (a < 0 || a >= rank) throw new Error(`axis ${a} out of range for rank ${rank}`);
    if (i > 0 && a !== list[i - 1] + 1) throw new Error(`sum over axes [${list}]: the axes must be adjacent`);
  });
  return list;
}

/** Sum over adjacent axes (all by default); keepDims leaves them as 1s. */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const list = normaliseAxes(axes, x.rank);
  const first = list[0] ?? 0;
  const last = list.at(-1) ?? -1;
  const outer = sizeOf(x.shape.slice(0, first));
  const mid = sizeOf(x.shape.slice(first, last + 1));
  const inner = sizeOf(x.shape.slice(last + 1));
  const kept = x.shape.map((d, i) => (i >= first && i <= last ? 1 : d));
  const outShape = keepDims ? kept : x.shape.filter((_, i) => i < first || i > last);
  const out = empty(outShape);
  run('sumMiddle', [x.ptr, out.ptr, mid, inner], outer * inner, inner === 1 ? 64 : ELEMENT_GRAIN / 16);
  return record(out, [x], (g) => [broadcastTo(g.reshape(kept), x.shape)]);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const s = sum(x, axes, keepDims);
  const m = mul(s, s.size / x.size);
  s.dispose();
  return m;
}
