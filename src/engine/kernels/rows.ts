// AssemblyScript. Kernels that work row by row on [rows, width] arrays: LayerNorm, softmax, softmax
// cross-entropy, embedding lookup and its scatter-add gradient. Row kernels split rows between threads;
// the reductions over rows (LayerNorm's gain and bias gradients, the embedding gradient) split columns
// instead, and add rows in order, so the result is the same whatever the split.
import { expf4, expf1, logf1, sum4, max4 } from './simd';
import { addInto } from './elementwise';

/** y = (x - mean) / sqrt(var + eps) * gain + bias per row; saves mean and 1 / std per row for backward. */
export function layerNormForward(x: usize, gain: usize, bias: usize, y: usize, mean: usize, rstd: usize, C: i32, eps: f32, lo: i32, hi: i32): void {
  const n = <f32>C;
  for (let r = lo; r < hi; r++) {
    const row = x + (<usize>(r * C) << 2), out = y + (<usize>(r * C) << 2);
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) acc = f32x4.add(acc, v128.load(row + (<usize>c << 2)));
    let s = sum4(acc);
    for (; c < C; c++) s += load<f32>(row + (<usize>c << 2));
    const mu = s / n;
    const muV = f32x4.splat(mu);
    acc = f32x4.splat(0);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const d = f32x4.sub(v128.load(row + (<usize>c << 2)), muV);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    let v = sum4(acc);
    for (; c < C; c++) { const d = load<f32>(row + (<usize>c << 2)) - mu; v += d * d; }
    const rs: f32 = 1 / Mathf.sqrt(v / n + eps);
    store<f32>(mean + (<usize>r << 2), mu);
    store<f32>(rstd + (<usize>r << 2), rs);
    const rsV = f32x4.splat(rs);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(row + o), muV), rsV);
      v128.store(out + o, f32x4.add(f32x4.mul(xh, v128.load(gain + o)), v128.load(bias + o)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(out + o, (load<f32>(row + o) - mu) * rs * load<f32>(gain + o) + load<f32>(bias + o));
    }
  }
}

/** dx = rstd (g dy - mean(g dy) - xhat mean(g dy xhat)) per row, xhat = (x - mean) rstd. */
export function layerNormBackward(x: usize, gain: usize, dy: usize, mean: usize, rstd: usize, dx: usize, C: i32, lo: i32, hi: i32): void {
  const n = <f32>C;
  for (let r = lo; r < hi; r++) {
    const off = <usize>(r * C) << 2;
    const mu = load<f32>(mean + (<usize>r << 2)), rs = load<f32>(rstd + (<usize>r << 2));
    let sumG: f32 = 0, sumGX: f32 = 0;
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      const g = load<f32>(dy + off + o) * load<f32>(gain + o);
      sumG += g;
      sumGX += g * (load<f32>(x + off + o) - mu) * rs;
    }
    const a = sumG / n, b = sumGX / n;
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      const xh = (load<f32>(x + off + o) - mu) * rs;
      store<f32>(dx + off + o, rs * (load<f32>(dy + off + o) * load<f32>(gain + o) - a - xh * b));
    }
  }
}

/** Gain and bias gradients for columns [lo, hi): dGain = sum over rows of dy xhat, dBias = sum of dy. */
export function layerNormParamGrads(x: usize, dy: usize, mean: usize, rstd: usize, dGain: usize, dBias: usize, rows: i32, C: i32, lo: i32, hi: i32): void {
  const n = hi - lo;
  memory.fill(dGain + (<usize>lo << 2), 0, <usize>n << 2);
  memory.fill(dBias + (<usize>lo << 2), 0, <usize>n << 2);
  for (let r = 0; r < rows; r++) {
    const off = (<usize>(r * C + lo) << 2);
    const mu = load<f32>(mean + (<usize>r << 2)), rs = load<f32>(rstd + (<usize>r << 2));
    for (let c = 0; c < n; c++) {
      const o = <usize>c << 2;
      const d = load<f32>(dy + off + o);
      store<f32>(dGain + (<usize>(lo + c) << 2) , load<f32>(dGain + (<usize>(lo + c) << 2)) + d * (load<f32>(x + off + o) - mu) * rs);
    }
    addInto(dBias + (<usize>lo << 2), dy + off, n);
  }
}

/** log(sum(exp(row))) with the row maximum taken out first. */
function logSumExp(row: usize, V: i32): f32 {
  let mV = f32x4.splat(-Infinity);
  let c = 0;
  for (; c + 4 <= V; c += 4) mV = f32x4.pmax(mV, v128.load(row + (<usize>c << 2)));
  let m = max4(mV);
  for (; c < V; c++) m = max(m, load<f32>(row + (<usize>c << 2)));
  const mSplat = f32x4.splat(m);
  let acc = f32x4.splat(0);
  c = 0;
  for (; c + 4 <= V; c += 4) acc = f32x4.add(acc, expf4(f32x4.sub(v128.load(row + (<usize>c << 2)), mSplat)));
  let s = sum4(acc);
  for (; c < V; c++) s += expf1(load<f32>(row + (<usize>c << 2)) - m);
  return m + logf1(s);
}

/** out = softmax(row) or, with `asLog`, log softmax(row). */
export function softmaxRows(x: usize, out: usize, V: i32, asLog: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const row = x + (<usize>(r * V) << 2), o = out + (<usize>(r * V) << 2);
    const lse = f32x4.splat(logSumExp(row, V));
    let c = 0;
    for (; c + 4 <= V; c += 4) {
      const z = f32x4.sub(v128.load(row + (<usize>c << 2)), lse);
      v128.store(o + (<usize>c << 2), asLog ? z : expf4(z));
    }
    for (; c < V; c++) {
      const z = load<f32>(row + (<usize>c << 2)) - f32x4.extract_lane(lse, 0);
      store<f32>(o + (<usize>c << 2), asLog ? z : expf1(z));
    }
  }
}

/** Gradient of log softmax: dx = dy - softmax * sum(dy), from the forward output y = log softmax. */
export function logSoftmaxGrad(y: usize, dy: usize, dx: usize, V: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const off = <usize>(r * V) << 2;
    let s: f32 = 0;
    for (let c = 0; c < V; c++) s += load<f32>(dy + off + (<usize>c << 2));
    for (let c = 0; c < V; c++) {
      const o = off + (<usize>c << 2);
      store<f32>(dx + o, load<f32>(dy + o) - expf1(load<f32>(y + o)) * s);
    }
  }
}

/** Cross-entropy of each row's logits against its target id: logsumexp(row) - row[target]. */
export function crossEntropyForward(logits: usize, targets: usize, loss: usize, V: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const row = logits + (<usize>(r * V) << 2);
    const t = load<i32>(targets + (<usize>r << 2));
    store<f32>(loss + (<usize>r << 2), logSumExp(row, V) - load<f32>(row + (<usize>t << 2)));
  }
}

/** dlogits = (softmax(row) - onehot(target)) * dloss[row]. */
export function crossEntropyBackward(logits: usize, targets: usize, dloss: usize, dlogits: usize, V: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const off = <usize>(r * V) << 2;
    const g = load<f32>(dloss + (<usize>r << 2));
    const lse = logSumExp(logits + off, V);
    const gV = f32x4.splat(g), lseV = f32x4.splat(lse);
    let c = 0;
    for (; c + 4 <= V; c += 4) {
      const o = off + (<usize>c << 2);
      v128.store(dlogits + o, f32x4.mul(expf4(f32x4.sub(v128.load(logits + o), lseV)), gV));
    }
    for (; c < V; c++) {
      const o = off + (<usize>c << 2);
      store<f32>(dlogits + o, expf1(load<f32>(logits + o) - lse) * g);
    }
    const t = load<i32>(targets + (<usize>r << 2));
    const o = off + (<usize>t << 2);
    store<f32>(dlogits + o, load<f32>(dlogits + o) - g);
  }
}

/** out[r] = table[ids[r]] for rows [lo, hi). */
export function gatherRows(table: usize, ids: usize, out: usize, C: i32, lo: i32, hi: i32): void {
  const bytes = <usize>C << 2;
  for (let r = lo; r < hi; r++) memory.copy(out + <usize>r * bytes, table + <usize>load<i32>(ids + (<usize>r << 2)) * bytes, bytes);
}

/** dTable[ids[r]][c] += dy[r][c] for all rows in order, columns [lo, hi) (dTable zeroed by the caller). */
export function scatterAddRows(dy: usize, ids: usize, dTable: usize, rows: i32, C: i32, lo: i32, hi: i32): void {
  for (let r = 0; r < rows; r++) {
    const id = load<i32>(ids + (<usize>r << 2));
    addInto(dTable + (<usize>(id * C + lo) << 2), dy + (<usize>(r * C + lo) << 2), hi - lo);
  }
}
