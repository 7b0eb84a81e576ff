// AssemblyScript. Element-wise kernels over flat ranges [lo, hi) of their output: binary operations with
// one operand broadcast, unary functions and their gradients, sums over an axis, and dropout. Each output
// element depends on its own inputs only, so any split of [lo, hi) between threads gives the same bits.
import { expf4, logf4, sum4 } from './simd';

export const enum Binary { Add = 0, Sub = 1, Mul = 2, Div = 3, Second = 4 }

// @ts-ignore: decorator
@inline function binary4(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case Binary.Add: return f32x4.add(x, y);
    case Binary.Sub: return f32x4.sub(x, y);
    case Binary.Mul: return f32x4.mul(x, y);
    case Binary.Div: return f32x4.div(x, y);
    default: return y; // Second: broadcasts b into the shape of a

  }
}

/**
 * out[o, m, i] = a[o, m, i] op b[o, i] for flat output indices [lo, hi) of an [outer, mid, inner] array:
 * b repeats along the middle axis (a bias over rows, a per-image scalar over pixels, a scalar over all).
 * `swap` computes b op a instead, for a broadcast left operand.
 */
export function binaryBroadcast(op: i32, a: usize, b: usize, out: usize, mid: i32, inner: i32, swap: i32, lo: i32, hi: i32): void {
  let e = lo;
  while (e < hi) {
    let run: i32, bStart: usize, bStep: usize;
    if (inner > 1) {
      const i = e % inner;
      run = min(inner - i, hi - e);
      bStart = b + (<usize>((e / inner / mid) * inner + i) << 2);
      bStep = 16;
    } else {
      run = min(mid - (e % mid), hi - e);
      bStart = b + (<usize>(e / mid) << 2);
      bStep = 0;
    }
    const pa = a + (<usize>e << 2), po = out + (<usize>e << 2);
    let j = 0;
    for (; j + 4 <= run; j += 4) {
      const x = v128.load(pa + (<usize>j << 2));
      const y = bStep ? v128.load(bStart + (<usize>j << 2)) : v128.load32_splat(bStart);
      v128.store(po + (<usize>j << 2), swap ? binary4(op, y, x) : binary4(op, x, y));
    }
    for (; j < run; j++) {
      const x = f32x4.splat(load<f32>(pa + (<usize>j << 2)));
      const y = f32x4.splat(load<f32>(bStart + (bStep ? <usize>j << 2 : 0)));
      store<f32>(po + (<usize>j << 2), f32x4.extract_lane(swap ? binary4(op, y, x) : binary4(op, x, y), 0));
    }
    e += run;
  }
}

export const enum Unary { ScaleShift = 0, Relu = 1, Exp = 2, Abs = 3, Sqrt = 4, Square = 5, Clip = 6, Gelu = 7, Sigmoid = 8, Log = 9, Tanh = 10 }

const GELU_C: f32 = 0.7978845608028654; // sqrt(2 / pi)

// @ts-ignore: decorator
@inline function tanh4(x: v128): v128 {
  // tanh(x) = 1 - 2 / (exp(2x) + 1); exact limits at +-inf through exp's clamping.
  const e = expf4(f32x4.add(x, x));
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
}

// @ts-ignore: decorator
@inline function geluInner(x: v128): v128 {
  return f32x4.mul(f32x4.splat(GELU_C), f32x4.add(x, f32x4.mul(f32x4.splat(0.044715), f32x4.mul(x, f32x4.mul(x, x)))));
}

// @ts-ignore: decorator
@inline function unary4(op: i32, x: v128, p0: f32, p1: f32): v128 {
  switch (op) {
    case Unary.ScaleShift: return f32x4.add(f32x4.mul(x, f32x4.splat(p0)), f32x4.splat(p1));
    case Unary.Relu: return f32x4.pmax(x, f32x4.splat(0));
    case Unary.Exp: return expf4(x);
    case Unary.Abs: return f32x4.abs(x);
    case Unary.Sqrt: return f32x4.sqrt(x);
    case Unary.Square: return f32x4.mul(x, x);
    case Unary.Clip: return f32x4.pmin(f32x4.pmax(x, f32x4.splat(p0)), f32x4.splat(p1));
    // GELU, tanh approximation (Hendrycks & Gimpel 2016), as GPT-2.
    case Unary.Gelu: return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), f32x4.add(tanh4(geluInner(x)), f32x4.splat(1)));
    case Unary.Sigmoid: return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expf4(f32x4.neg(x))));
    case Unary.Tanh: return tanh4(x);
    default: return logf4(x);
  }
}

/** out = f(x) (with parameters p0, p1: ScaleShift x p0 + p1, Clip to [p0, p1]). */
export function unary(op: i32, x: usize, out: usize, p0: f32, p1: f32, lo: i32, hi: i32): void {
  let e = lo;
  for (; e + 4 <= hi; e += 4) v128.store(out + (<usize>e << 2), unary4(op, v128.load(x + (<usize>e << 2)), p0, p1));
  for (; e < hi; e++) store<f32>(out + (<usize>e << 2), f32x4.extract_lane(unary4(op, f32x4.splat(load<f32>(x + (<usize>e << 2))), p0, p1), 0));
}

// @ts-ignore: decorator
@inline function unaryGrad4(op: i32, x: v128, y: v128, dy: v128, p0: f32, p1: f32): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  switch (op) {
    case Unary.ScaleShift: return f32x4.mul(dy, f32x4.splat(p0));
    case Unary.Relu: return v128.and(dy, f32x4.gt(x, zero));
    case Unary.Exp: return f32x4.mul(dy, y);
    case Unary.Abs: return f32x4.mul(dy, v128.bitselect(one, f32x4.neg(one), f32x4.ge(x, zero)));
    case Unary.Sqrt: return f32x4.div(f32x4.mul(dy, f32x4.splat(0.5)), y);
    case Unary.Square: return f32x4.mul(dy, f32x4.add(x, x));
    case Unary.Clip: return v128.and(dy, v128.and(f32x4.ge(x, f32x4.splat(p0)), f32x4.le(x, f32x4.splat(p1))));
    case Unary.Gelu: {
      // d/dx 0.5 x (1 + tanh u) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) du/dx, du/dx = c (1 + 3 0.044715 x^2)
      const t = tanh4(geluInner(x));
      const du = f32x4.mul(f32x4.splat(GELU_C), f32x4.add(one, f32x4.mul(f32x4.splat(3 * 0.044715), f32x4.mul(x, x))));
      const d = f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.add(one, t), f32x4.mul(f32x4.mul(x, f32x4.sub(one, f32x4.mul(t, t))), du)));
      return f32x4.mul(dy, d);
    }
    case Unary.Sigmoid: return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(one, y)));
    case Unary.Tanh: return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(y, y)));
    default: return f32x4.div(dy, x); // Log
  }
}

/** dx = dy * f'(x), given the forward input x and output y. */
export function unaryGrad(op: i32, x: usize, y: usize, dy: usize, dx: usize, p0: f32, p1: f32, lo: i32, hi: i32): void {
  let e = lo;
  for (; e + 4 <= hi; e += 4) {
    const o = <usize>e << 2;
    v128.store(dx + o, unaryGrad4(op, v128.load(x + o), v128.load(y + o), v128.load(dy + o), p0, p1));
  }
  for (; e < hi; e++) {
    const o = <usize>e << 2;
    const v = unaryGrad4(op, f32x4.splat(load<f32>(x + o)), f32x4.splat(load<f32>(y + o)), f32x4.splat(load<f32>(dy + o)), p0, p1);
    store<f32>(dx + o, f32x4.extract_lane(v, 0));
  }
}

/**
 * out[o, i] = sum over m of x[o, m, i], for flat output indices [lo, hi) of [outer, inner]. The sum runs
 * over m in order (four interleaved partial sums when inner is 1), whatever the split.
 */
export function sumMiddle(x: usize, out: usize, mid: i32, inner: i32, lo: i32, hi: i32): void {
  if (inner == 1) {
    for (let o = lo; o < hi; o++) {
      const row = x + (<usize>(o * mid) << 2);
      let acc = f32x4.splat(0);
      let m = 0;
      for (; m + 4 <= mid; m += 4) acc = f32x4.add(acc, v128.load(row + (<usize>m << 2)));
      let s = sum4(acc);
      for (; m < mid; m++) s += load<f32>(row + (<usize>m << 2));
      store<f32>(out + (<usize>o << 2), s);
    }
    return;
  }
  // Rows outer, columns inner: each row adds into the output in turn (cache-friendly, fixed order).
  let e = lo;
  while (e < hi) {
    const o = e / inner, i = e % inner;
    const run = min(inner - i, hi - e);
    const dst = out + (<usize>e << 2);
    memory.fill(dst, 0, <usize>run << 2);
    for (let m = 0; m < mid; m++) addInto(dst, x + (<usize>((o * mid + m) * inner + i) << 2), run);
    e += run;
  }
}

/** dst[0..n) += src[0..n). */
// @ts-ignore: decorator
@inline export function addInto(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

// @ts-ignore: decorator
@inline function mix4(h: v128): v128 {
  // MurmurHash3's 32-bit finaliser on four lanes: every output bit depends on every input bit.
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x85ebca6b));
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, i32x4.splat(0xc2b2ae35));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

/**
 * Inverted dropout: out[e] = x[e] * scale where hash(seed, e) >= threshold, else 0. The mask is a pure
 * function of (seed, e), so the backward pass regenerates it instead of storing it, and any split of the
 * range between threads draws the same mask. threshold = rate * 2^32 (as an unsigned 32-bit number).
 */
export function dropout(x: usize, out: usize, seed: i32, threshold: u32, scale: f32, lo: i32, hi: i32): void {
  const s = i32x4.splat(seed), t = i32x4.splat(<i32>threshold), sc = f32x4.splat(scale);
  const step = i32x4.splat(4);
  let idx = i32x4.add(i32x4.splat(lo), i32x4(0, 1, 2, 3));
  let e = lo;
  for (; e + 4 <= hi; e += 4) {
    const h = mix4(v128.xor(i32x4.mul(idx, i32x4.splat(0x9e3779b1)), s));
    const keep = i32x4.ge_u(h, t);
    v128.store(out + (<usize>e << 2), v128.and(f32x4.mul(v128.load(x + (<usize>e << 2)), sc), keep));
    idx = i32x4.add(idx, step);
  }
  for (; e < hi; e++) {
    const h = mix4(v128.xor(i32x4.mul(i32x4.splat(e), i32x4.splat(0x9e3779b1)), s));
    const kept = <u32>i32x4.extract_lane(h, 0) >= threshold;
    store<f32>(out + (<usize>e << 2), kept ? load<f32>(x + (<usize>e << 2)) * scale : 0);
  }
}
