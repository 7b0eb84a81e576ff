// AssemblyScript. Vector maths the kernels share: exp and log on four lanes at once. AssemblyScript's Mathf
// functions work one lane at a time (a trial reported in issue 8 found exp/tanh-based softmax and GELU
// 3.6-5x slower than PyTorch's that way), and its log reads a table from static memory.

// @ts-ignore: decorator
@inline export function expf4(x: v128): v128 {
  // exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (ln 2 split in two parts
  // for accuracy); exp(r) by its degree-6 Taylor polynomial (relative error < 2e-7 on that range).
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(88.0)), f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.4426950408889634)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(1.428606765330187e-6)));
  let p = f32x4.splat(1.0 / 720.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

// @ts-ignore: decorator
@inline export function sum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline export function max4(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** Scalar exp through the vector one, so scalar tails round exactly like the vector body. */
// @ts-ignore: decorator
@inline export function expf1(x: f32): f32 {
  return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline export function logf4(x: v128): v128 {
  // x = 2^e m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, by its
  // series to s^9 (error < 1e-9). Written out because AssemblyScript's Mathf.log reads a table from the
  // module's data segment, and the engine's memory belongs to the tensors. x <= 0 gives NaN or -inf.
  const bits = i32x4.sub(x, i32x4.splat(0x3f3504f3)); // offset so that m lands in [sqrt(1/2), sqrt(2))
  const e = i32x4.shr_s(bits, 23);
  const m = i32x4.sub(x, i32x4.shl(e, 23));
  const s = f32x4.div(f32x4.sub(m, f32x4.splat(1)), f32x4.add(m, f32x4.splat(1)));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(2.0 / 9.0);
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(2.0 / 7.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(2.0 / 5.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(2.0 / 3.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(2.0));
  const result = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(e), f32x4.splat(0.6931471805599453)), f32x4.mul(p, s));
  // Edge cases: 0 -> -inf, negative or NaN -> NaN, +inf -> +inf.
  const isZero = f32x4.eq(x, f32x4.splat(0));
  const bad = v128.not(f32x4.ge(x, f32x4.splat(0)));
  const isInf = f32x4.eq(x, f32x4.splat(Infinity));
  let r = v128.bitselect(f32x4.splat(-Infinity), result, isZero);
  r = v128.bitselect(f32x4.splat(NaN), r, bad);
  return v128.bitselect(f32x4.splat(Infinity), r, isInf);
}

// @ts-ignore: decorator
@inline export function logf1(x: f32): f32 {
  return f32x4.extract_lane(logf4(f32x4.splat(x)), 0);
}
