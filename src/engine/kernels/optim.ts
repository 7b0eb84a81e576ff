// AssemblyScript. The AdamW update (Loshchilov & Hutter 2019) as one pass over a parameter and its moments,
// and the sum of squares for the global gradient norm.

/**
 * g' = g clipScale; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
 * p = p (1 - lr decay) - lr (m / c1) / (sqrt(v / c2) + eps), for elements [lo, hi).
 */
export function adamw(p: usize, g: usize, m: usize, v: usize, lr: f32, beta1: f32, beta2: f32, c1: f32, c2: f32, eps: f32, decay: f32, clipScale: f32, lo: i32, hi: i32): void {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2), nb1 = f32x4.splat(1 - beta1), nb2 = f32x4.splat(1 - beta2);
  const ic1 = f32x4.splat(c1), ic2 = f32x4.splat(c2), e = f32x4.splat(eps), l = f32x4.splat(lr);
  const keep = f32x4.splat(1 - lr * decay), clip = f32x4.splat(clipScale);
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const o = <usize>i << 2;
    const gg = f32x4.mul(v128.load(g + o), clip);
    const mm = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(gg, nb1));
    const vv = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(gg, gg), nb2));
    const update = f32x4.div(f32x4.div(mm, ic1), f32x4.add(f32x4.sqrt(f32x4.div(vv, ic2)), e));
    v128.store(p + o, f32x4.sub(f32x4.mul(v128.load(p + o), keep), f32x4.mul(update, l)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
  }
  for (; i < hi; i++) {
    const o = <usize>i << 2;
    const gg = load<f32>(g + o) * clipScale;
    const mm = load<f32>(m + o) * beta1 + gg * (1 - beta1);
    const vv = load<f32>(v + o) * beta2 + gg * gg * (1 - beta2);
    const update = (mm / c1) / (Mathf.sqrt(vv / c2) + eps);
    store<f32>(p + o, load<f32>(p + o) * (1 - lr * decay) - update * lr);
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
  }
}

/** Sum of squares of x[0..n), in float64 over blocks of 256 float32 partial sums (fixed order). */
export function sumSquares(x: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let start = 0; start < n; start += 256) {
    const end = min(n, start + 256);
    let acc = f32x4.splat(0);
    let i = start;
    for (; i + 4 <= end; i += 4) { const w = v128.load(x + (<usize>i << 2)); acc = f32x4.add(acc, f32x4.mul(w, w)); }
    let s: f64 = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    for (; i < end; i++) { const w = <f64>load<f32>(x + (<usize>i << 2)); s += w * w; }
    total += s;
  }
  return total;
}
