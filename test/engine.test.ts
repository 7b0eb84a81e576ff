// The engine's kernels against plain float64 references: every op's forward pass, and its gradient against
// central finite differences of the reference, on odd shapes (1, 3, 5, 17, 129: not multiples of the SIMD
// width or of the product's 4 x 8 tiles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ops, tidy, valueAndGrads, variableOf, zeros, tensor, liveTensors, Rng, type Tensor, type Variable } from '../src/engine/index.js';
import { ready } from './helpers.js';

await ready;

type Reference = (inputs: Float64Array[]) => Float64Array;

interface Input {
  readonly shape: number[];
  readonly values?: ArrayLike<number>;
  /** Keep finite differences away from kinks (relu, abs, clip) and poles (log, sqrt, div). */
  readonly positive?: boolean;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function randomValues(n: number, rng: Rng, positive = false): Float64Array {
  return Float64Array.from({ length: n }, () => {
    const v = Math.fround(rng.normal());
    return positive ? Math.fround(0.5 + Math.abs(v)) : v;
  });
}

/** The largest |a - b| / (1 + |b|). */
function worstError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

/**
 * Checks op against reference: forward values, then the gradient of sum(op(x) * w) for a random w, against
 * central differences of the float64 reference.
 */
function check(name: string, inputs: Input[], op: (xs: Tensor[]) => Tensor, reference: Reference, tolerance = 2e-4, differentiable = inputs.map(() => true)): void {
  const rng = new Rng(name.length * 7919);
  const values = inputs.map((i) => (i.values ? Float64Array.from(i.values) : randomValues(size(i.shape), rng, i.positive)));
  const vars: Variable[] = inputs.map((input, k) => variableOf(Float32Array.from(values[k]), input.shape, differentiable[k]));
  const expected = reference(values);
  const forward = tidy(() => op(vars).toArray());
  assert.ok(worstError(forward, expected) < tolerance, `${name} forward: error ${worstError(forward, expected)}`);

  const w = randomValues(expected.length, rng);
  const wTensor = tensor(Float32Array.from(w), [expected.length]);
  const trainable = vars.filter((_, k) => differentiable[k]);
  const { grads } = valueAndGrads(() => ops.sum(ops.mul(ops.reshape(op(vars), [-1]), wTensor)), trainable, zeros);
  const objective = (xs: Float64Array[]) => reference(xs).reduce((s, v, i) => s + v * w[i], 0);
  let g = 0;
  values.forEach((x, k) => {
    if (!differentiable[k]) return;
    const numeric = new Float64Array(x.length);
    const h = 1e-6;
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const plus = objective(values);
      x[i] = keep - h;
      const minus = objective(values);
      x[i] = keep;
      numeric[i] = (plus - minus) / (2 * h);
    }
    const analytic = grads[g++].toArray();
    assert.ok(worstError(analytic, numeric) < tolerance * 10, `${name} gradient of input ${k}: error ${worstError(analytic, numeric)}`);
  });
  for (const t of [...grads, ...vars, wTensor]) t.dispose();
}

// float64 references
function matMulRef(a: Float64Array, b: Float64Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
    out[i * n + j] = s;
  }
  return out;
}

test('matMul and its gradients, every transpose, odd shapes', () => {
  for (const [m, k, n] of [[1, 1, 1], [3, 5, 17], [17, 3, 9], [5, 129, 3], [130, 7, 5], [8, 9, 17], [6, 33, 20]]) {
    for (const ta of [false, true]) for (const tb of [false, true]) {
      check(`matMul ${m}x${k}x${n} ${ta} ${tb}`, [{ shape: ta ? [k, m] : [m, k] }, { shape: tb ? [n, k] : [k, n] }],
        ([a, b]) => ops.matMul(a, b, ta, tb), ([a, b]) => matMulRef(a, b, m, k, n, ta, tb), 1e-4);
    }
  }
});

test('few-row products with frozen weights (packed once for sampling) equal the reference, and follow assign()', () => {
  const rng = new Rng(11);
  for (const [m, k, n] of [[1, 17, 13], [3, 128, 96], [9, 5, 40]]) {
    for (const tb of [false, true]) {
      const a = randomValues(m * k, rng);
      const b = randomValues(k * n, rng);
      const weights = variableOf(Float32Array.from(b), tb ? [n, k] : [k, n], false);
      const x = tensor(Float32Array.from(a), [m, k]);
      const product = () => tidy(() => ops.matMul(x, weights, false, tb).toArray());
      assert.ok(worstError(product(), matMulRef(a, b, m, k, n, false, tb)) < 1e-5, `${m}x${k}x${n} ${tb}`);
      assert.ok(worstError(product(), matMulRef(a, b, m, k, n, false, tb)) < 1e-5, 'again, from the packed copy');
      const changed = randomValues(k * n, rng);
      weights.assign(Float32Array.from(changed));
      assert.ok(worstError(product(), matMulRef(a, changed, m, k, n, false, tb)) < 1e-5, 'after assign');
      x.dispose();
      weights.dispose();
    }
  }
});

test('a large product is exact to float32 rounding on both threads', () => {
  const [m, k, n] = [300, 260, 600]; // several row blocks, depth and column blocks
  const rng = new Rng(5);
  const a = randomValues(m * k, rng);
  const b = randomValues(k * n, rng);
  const out = tidy(() => ops.matMul(tensor(Float32Array.from(a), [m, k]), tensor(Float32Array.from(b), [k, n])).toArray());
  assert.ok(worstError(out, matMulRef(a, b, m, k, n, false, false)) < 1e-4);
});

function broadcastRef(op: (x: number, y: number) => number, aShape: number[], bShape: number[]) {
  return ([a, b]: Float64Array[]) => {
    const rank = Math.max(aShape.length, bShape.length);
    const pa = [...Array(rank - aShape.length).fill(1), ...aShape];
    const pb = [...Array(rank - bShape.length).fill(1), ...bShape];
    const out = pa.map((d, i) => Math.max(d, pb[i]));
    const result = new Float64Array(size(out));
    const idx = new Array(rank).fill(0);
    const at = (shape: number[]) => idx.reduce((s, v, d) => s * shape[d] + (shape[d] === 1 ? 0 : v), 0);
    for (let e = 0; e < result.length; e++) {
      result[e] = op(a[at(pa)], b[at(pb)]);
      for (let d = rank - 1; d >= 0 && ++idx[d] === out[d]; d--) idx[d] = 0;
    }
    return result;
  };
}

test('add, sub, mul, div with broadcasting, and their gradients', () => {
  const cases: [number[], number[]][] = [[[3, 5], [3, 5]], [[17, 5], [5]], [[2, 3, 3, 5], [2, 1, 1, 5]], [[2, 3, 3, 1], [2, 1, 1, 1]], [[4, 1], [1, 3]], [[1], [7, 3]]];
  const binary = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y };
  for (const [aShape, bShape] of cases) {
    for (const [name, f] of Object.entries(binary)) {
      const fn = ops[name as keyof typeof binary];
      check(`${name} [${aShape}] [${bShape}]`, [{ shape: aShape }, { shape: bShape, positive: name === 'div' }], ([a, b]) => fn(a, b), broadcastRef(f, aShape, bShape));
    }
  }
  check('mul by a number', [{ shape: [3, 7] }], ([a]) => ops.add(ops.mul(a, 2.5), -1), ([a]) => a.map((v) => v * 2.5 - 1));
});

test('unary functions and their gradients', () => {
  const c = Math.sqrt(2 / Math.PI);
  const unary: [string, (x: Tensor) => Tensor, (v: number) => number, boolean][] = [
    ['relu', ops.relu, (v) => Math.max(0, v), true], ['exp', ops.exp, Math.exp, false], ['abs', ops.abs, Math.abs, true],
    ['sqrt', ops.sqrt, Math.sqrt, true], ['square', ops.square, (v) => v * v, false], ['log', ops.log, Math.log, true],
    ['tanh', ops.tanh, Math.tanh, false], ['sigmoid', ops.sigmoid, (v) => 1 / (1 + Math.exp(-v)), false],
    ['gelu', ops.gelu, (v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3))), false],
    ['neg', ops.neg, (v) => -v, false], ['log1p', ops.log1p, Math.log1p, true],
  ];
  for (const [name, f, ref, positive] of unary) check(name, [{ shape: [3, 43], positive }], ([x]) => f(x), ([x]) => x.map(ref), 3e-6 * 100);
  check('clip', [{ shape: [5, 7], values: Array.from({ length: 35 }, (_, i) => (i - 17) / 7 + 0.01) }], ([x]) => ops.clip(x, -1, 1), ([x]) => x.map((v) => Math.min(1, Math.max(-1, v))));
});

test('exp is accurate over the float32 range', () => {
  const xs = Float32Array.from({ length: 2001 }, (_, i) => -87 + (i * 175) / 2000);
  const got = tidy(() => ops.exp(tensor(xs, [xs.length])).toArray());
  xs.forEach((x, i) => assert.ok(Math.abs(got[i] - Math.exp(x)) <= 4e-7 * Math.exp(x) + 1e-38, `exp(${x}) = ${got[i]}`));
});

test('sum and mean over adjacent axes', () => {
  const shape = [2, 3, 5, 7];
  const sumRef = (axes: number[]) => ([x]: Float64Array[]) => {
    const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const out = new Float64Array(size(outShape));
    const idx = new Array(4).fill(0);
    for (let e = 0; e < x.length; e++) {
      out[idx.reduce((s, v, d) => s * outShape[d] + (axes.includes(d) ? 0 : v), 0)] += x[e];
      for (let d = 3; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
    }
    return out;
  };
  for (const axes of [[0], [1, 2], [3], [1, 2, 3], [0, 1, 2, 3]]) check(`sum [${axes}]`, [{ shape }], ([x]) => ops.sum(x, axes), sumRef(axes));
  check('mean [1, 2]', [{ shape }], ([x]) => ops.mean(x, [1, 2]), (xs) => sumRef([1, 2])(xs).map((v) => v / 15));
});

test('layerNorm and its gradients', () => {
  for (const [rows, C] of [[1, 3], [5, 17], [3, 129]]) {
    check(`layerNorm ${rows}x${C}`, [{ shape: [rows, C] }, { shape: [C] }, { shape: [C] }], ([x, g, b]) => ops.layerNorm(x, g, b), ([x, g, b]) => {
      const out = new Float64Array(x.length);
      for (let r = 0; r < rows; r++) {
        const row = x.subarray(r * C, (r + 1) * C);
        const mu = row.reduce((a, v) => a + v, 0) / C;
        const variance = row.reduce((a, v) => a + (v - mu) ** 2, 0) / C;
        row.forEach((v, c) => (out[r * C + c] = ((v - mu) / Math.sqrt(variance + 1e-5)) * g[c] + b[c]));
      }
      return out;
    }, 3e-4);
  }
});

test('cross-entropy, log softmax and embedding, with gradients', () => {
  const [N, V] = [7, 13];
  const targets = Int32Array.from({ length: N }, (_, i) => (i * 5) % V);
  const logSoftmaxRef = (x: Float64Array) => {
    const out = new Float64Array(x.length);
    for (let r = 0; r < x.length / V; r++) {
      const row = x.subarray(r * V, (r + 1) * V);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      row.forEach((v, c) => (out[r * V + c] = v - lse));
    }
    return out;
  };
  check('crossEntropy', [{ shape: [N, V] }], ([x]) => ops.crossEntropy(x, targets), ([x]) => {
    const ls = logSoftmaxRef(x);
    return Float64Array.from(targets, (t, r) => -ls[r * V + t]);
  });
  check('logSoftmax', [{ shape: [N, V] }], ([x]) => ops.logSoftmax(x), ([x]) => logSoftmaxRef(x));
  const ids = Int32Array.from([3, 0, 3, 12, 5]);
  check('embedding', [{ shape: [V, 6] }], ([t]) => ops.embedding(t, ids), ([t]) => {
    const out = new Float64Array(ids.length * 6);
    ids.forEach((id, r) => out.set(t.subarray(id * 6, id * 6 + 6), r * 6));
    return out;
  });
});

function attentionRef(B: number, T: number, H: number, C: number) {
  const D = C / H;
  return ([qkv]: Float64Array[], dropMask?: Float32Array) => {
    const out = new Float64Array(B * T * C);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
      const at = (t: number, part: number, d: number) => qkv[(b * T + t) * 3 * C + part * C + h * D + d];
      const scores = Array.from({ length: i + 1 }, (_, j) => {
        let s = 0;
        for (let d = 0; d < D; d++) s += at(i, 0, d) * at(j, 1, d);
        return s / Math.sqrt(D);
      });
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const total = e.reduce((a, v) => a + v, 0);
      const keep = (j: number) => (dropMask ? dropMask[((b * H + h) * T + i) * T + j] : 1);
      for (let d = 0; d < D; d++) out[(b * T + i) * C + h * D + d] = e.reduce((a, v, j) => a + (v / total) * keep(j) * at(j, 2, d), 0);
    }
    return out;
  };
}

test('causal self-attention and its gradient', () => {
  for (const [B, T, H, C] of [[1, 1, 1, 3], [2, 5, 2, 6], [1, 17, 3, 15]]) {
    const reference = attentionRef(B, T, H, C);
    check(`attention B${B} T${T} H${H} C${C}`, [{ shape: [B * T, 3 * C] }], ([qkv]) => ops.causalSelfAttention(qkv, B, T, H), (xs) => reference(xs), 3e-4);
  }
});

test('attention with a key/value cache equals attention over the whole sequence', () => {
  const [B, T, H, C] = [2, 9, 3, 12];
  const rng = new Rng(3);
  const qkv = Float32Array.from({ length: B * T * 3 * C }, () => rng.normal());
  const whole = tidy(() => ops.causalSelfAttention(tensor(qkv, [B * T, 3 * C]), B, T, H).toArray());
  const cache = ops.attentionCache(B, 16, C);
  const rowsOf = (from: number, to: number) => {
    const out = new Float32Array(B * (to - from) * 3 * C);
    for (let b = 0; b < B; b++) out.set(qkv.subarray((b * T + from) * 3 * C, (b * T + to) * 3 * C), b * (to - from) * 3 * C);
    return out;
  };
  const first = tidy(() => ops.causalSelfAttention(tensor(rowsOf(0, 5), [B * 5, 3 * C]), B, 5, H, { cache }).toArray());
  const rest = [5, 6, 7, 8].map((t) => tidy(() => ops.causalSelfAttention(tensor(rowsOf(t, t + 1), [B, 3 * C]), B, 1, H, { cache }).toArray()));
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const expected = whole.subarray((b * T + t) * C, (b * T + t + 1) * C);
      const got = t < 5 ? first.subarray((b * 5 + t) * C, (b * 5 + t + 1) * C) : rest[t - 5].subarray(b * C, (b + 1) * C);
      assert.ok(worstError(got, expected) < 1e-5, `b ${b} t ${t}`);
    }
  }
  cache.keys.dispose();
  cache.values.dispose();
});

test('dropout: the same seed drops the same elements, at the asked rate, scaled, in both passes', () => {
  const n = 100_003;
  const x = tensor(new Float32Array(n).fill(1), [n]);
  const a = tidy(() => ops.dropout(x, 0.25, 42).toArray());
  const b = tidy(() => ops.dropout(x, 0.25, 42).toArray());
  const c = tidy(() => ops.dropout(x, 0.25, 43).toArray());
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const kept = a.filter((v) => v !== 0);
  assert.ok(Math.abs(kept.length / n - 0.75) < 0.01, `kept ${kept.length / n}`);
  assert.ok(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6));
  const v = variableOf(new Float32Array(n).fill(1), [n]);
  const { grads } = valueAndGrads(() => ops.sum(ops.dropout(v, 0.25, 42)), [v], zeros);
  assert.deepEqual(grads[0].toArray(), a, 'the gradient passes exactly where the forward pass kept');
  for (const t of [x, v, ...grads]) t.dispose();
  // Attention dropout: weights[b, h, i, j] are dropped by the mask the dropout op draws for element
  // ((b * H + h) * T + i) * T + j with the same seed; the backward pass must regenerate that mask.
  const [B, T, H, C] = [2, 6, 2, 4];
  const mask = tidy(() => ops.dropout(tensor(new Float32Array(B * H * T * T).fill(1), [B * H * T * T]), 0.3, 7).toArray());
  const plain = attentionRef(B, T, H, C);
  check('attention with dropout', [{ shape: [B * T, 3 * C] }], ([q]) => ops.causalSelfAttention(q, B, T, H, { dropout: 0.3, seed: 7 }), ([q]) => plain([q], mask), 3e-4);
});

function convRef(B: number, H: number, W: number, cIn: number, cOut: number) {
  return ([x, f]: Float64Array[]) => {
    const out = new Float64Array(B * H * W * cOut);
    for (let b = 0; b < B; b++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) for (let o = 0; o < cOut; o++) {
      let s = 0;
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
        const sy = y + ky - 1, sx = xx + kx - 1;
        if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
        for (let c = 0; c < cIn; c++) s += x[((b * H + sy) * W + sx) * cIn + c] * f[((ky * 3 + kx) * cIn + c) * cOut + o];
      }
      out[((b * H + y) * W + xx) * cOut + o] = s;
    }
    return out;
  };
}

test('conv3x3, pooling, upsampling and concat, with gradients', () => {
  for (const [B, H, W, cIn, cOut] of [[1, 1, 1, 1, 1], [2, 6, 4, 3, 5], [1, 4, 6, 17, 9]]) {
    check(`conv3x3 ${B}x${H}x${W}x${cIn}->${cOut}`, [{ shape: [B, H, W, cIn] }, { shape: [9 * cIn, cOut] }], ([x, f]) => ops.conv3x3(x, f), convRef(B, H, W, cIn, cOut), 3e-4);
  }
  const [B, H, W, C] = [2, 4, 6, 5];
  check('avgPool2', [{ shape: [B, H, W, C] }], ([x]) => ops.avgPool2(x), ([x]) => {
    const out = new Float64Array((B * H * W * C) / 4);
    for (let b = 0; b < B; b++) for (let y = 0; y < H / 2; y++) for (let xx = 0; xx < W / 2; xx++) for (let c = 0; c < C; c++) {
      let s = 0;
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) s += x[((b * H + 2 * y + dy) * W + 2 * xx + dx) * C + c];
      out[((b * (H / 2) + y) * (W / 2) + xx) * C + c] = s / 4;
    }
    return out;
  });
  check('upsample2', [{ shape: [B, 2, 3, C] }], ([x]) => ops.upsample2(x), ([x]) => {
    const out = new Float64Array(B * 4 * 6 * C);
    for (let b = 0; b < B; b++) for (let y = 0; y < 4; y++) for (let xx = 0; xx < 6; xx++) for (let c = 0; c < C; c++) {
      out[((b * 4 + y) * 6 + xx) * C + c] = x[((b * 2 + (y >> 1)) * 3 + (xx >> 1)) * C + c];
    }
    return out;
  });
  check('concat on the last axis', [{ shape: [3, 2, 4] }, { shape: [3, 2, 1] }], ([a, b]) => ops.concat([a, b], 2), ([a, b]) => {
    const out = new Float64Array(3 * 2 * 5);
    for (let r = 0; r < 6; r++) {
      out.set(a.subarray(r * 4, r * 4 + 4), r * 5);
      out[r * 5 + 4] = b[r];
    }
    return out;
  });
});

test('split along an axis gives back the blocks concat joined', () => {
  const values = Float32Array.from({ length: 24 }, (_, i) => i);
  const [a, b, c] = tidy(() => ops.split(tensor(values, [2, 3, 4]), 3, 1).map((t) => t.toArray()));
  assert.deepEqual([...a], [0, 1, 2, 3, 12, 13, 14, 15]);
  assert.deepEqual([...b], [4, 5, 6, 7, 16, 17, 18, 19]);
  assert.deepEqual([...c], [8, 9, 10, 11, 20, 21, 22, 23]);
  const joined = tidy(() => ops.concat([tensor(a, [2, 1, 4]), tensor(b, [2, 1, 4]), tensor(c, [2, 1, 4])], 1).toArray());
  assert.deepEqual(joined, values);
});

test('AdamW: the fused kernel equals the update written out', () => {
  const n = 37;
  const rng = new Rng(4);
  const [p0, g0, m0, v0] = [0, 1, 2, 3].map(() => Float32Array.from({ length: n }, () => rng.normal()));
  for (let i = 0; i < n; i++) v0[i] = Math.abs(v0[i]);
  const [p, g, m, v] = [p0, g0, m0, v0].map((values) => variableOf(values.slice(), [n], false));
  const s = { learningRate: 0.01, beta1: 0.9, beta2: 0.95, correction1: 1 - 0.9 ** 3, correction2: 1 - 0.95 ** 3, epsilon: 1e-8, weightDecay: 0.1, gradScale: 0.5 };
  ops.adamw(p, g, m, v, s);
  for (let i = 0; i < n; i++) {
    const gg = g0[i] * s.gradScale;
    const mm = 0.9 * m0[i] + 0.1 * gg;
    const vv = 0.95 * v0[i] + 0.05 * gg * gg;
    const expected = p0[i] * (1 - s.learningRate * s.weightDecay) - (s.learningRate * (mm / s.correction1)) / (Math.sqrt(vv / s.correction2) + 1e-8);
    assert.ok(Math.abs(p.data[i] - expected) < 1e-6, `p ${i}: ${p.data[i]} vs ${expected}`);
    assert.ok(Math.abs(m.data[i] - mm) < 1e-6 && Math.abs(v.data[i] - vv) < 1e-6);
  }
  for (const t of [p, g, m, v]) t.dispose();
  assert.ok(Math.abs(ops.sumOfSquares(tidy(() => tensor([3, 4], [2]))) - 25) < 1e-9);
});

test('tidy frees what it does not return, and the gradient pass leaks nothing', () => {
  const before = liveTensors();
  const kept = tidy(() => {
    ops.add(tensor([1, 2], [2]), 1);
    return ops.mul(tensor([1, 2], [2]), 3);
  });
  assert.equal(liveTensors(), before + 1);
  assert.deepEqual([...kept.data], [3, 6]);
  kept.dispose();
  const w = variableOf(Float32Array.from([1, 2, 3]), [3]);
  const afterVariable = liveTensors();
  const { value, grads } = valueAndGrads(() => tidy(() => ops.sum(ops.square(ops.mul(w, 2)))), [w], zeros);
  assert.equal(value, 56);
  assert.deepEqual([...grads[0].data], [8, 16, 24]);
  grads[0].dispose();
  assert.equal(liveTensors(), afterVariable);
  w.dispose();
  assert.equal(liveTensors(), before);
});

test('the kernels keep no static data in the memory they share with tensors', async () => {
  const { readFileSync } = await import('node:fs');
  for (const file of ['kernels.wasm', 'kernels-single.wasm']) {
    const bytes = readFileSync(new URL(`../src/engine/${file}`, import.meta.url));
    // Walk the module's sections (id byte, LEB128 size); 11 is the data section.
    let at = 8;
    const ids: number[] = [];
    while (at < bytes.length) {
      const id = bytes[at++];
      let length = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = bytes[at++];
        length |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
      ids.push(id);
      at += length;
    }
    assert.ok(!ids.includes(11), `${file} has a data section`);
  }
});

test('tensors stored past 2 GiB of engine memory read and write what the kernels see (pointers are unsigned)', async () => {
  // A long speech run grew the memory past 2 GiB; tensor views there were taken at the wrong place (a signed
  // shift of the pointer), and whole batches were transcribed from other tensors' values.
  const { getEngine } = await import('../src/engine/backend.js');
  const memory = getEngine().memory;
  const filler = memory.alloc(2 ** 31); // reserved, never touched: the pages are not made resident
  try {
    // Larger than any block earlier tests freed, so they are placed after the filler. Small integers, so
    // every partial sum is exact in float32 whatever the order of the product's additions.
    const k = 1_500_001;
    const xValue = (i: number) => (i % 3) - 1;
    const wValue = (i: number) => i % 2;
    const x = tensor(Float32Array.from({ length: 2 * k }, (_, i) => xValue(i)), [2, k]);
    assert.ok(x.ptr >= 2 ** 31, `the tensor is at ${x.ptr}, below 2 GiB`);
    assert.ok(ops.add(x, x).toArray().every((v, i) => v === 2 * xValue(i)), 'x + x');
    const w = variableOf(Float32Array.from({ length: k * 3 }, (_, i) => wValue(i)), [k, 3], false);
    const expected = Array.from({ length: 6 }, (_, at) => {
      const [row, col] = [Math.floor(at / 3), at % 3];
      let sum = 0;
      for (let i = 0; i < k; i++) sum += xValue(row * k + i) * wValue(i * 3 + col);
      return sum;
    });
    assert.deepEqual([...ops.matMul(x, w).toArray()], expected);
  } finally {
    memory.release(filler, 2 ** 31);
  }
});

test('memory: blocks freed by one shape serve the next shape up to twice as small, so varying shapes do not pile up', async () => {
  const { EngineMemory } = await import('../src/engine/memory.js');
  const memory = new EngineMemory(false, 65536);
  const rng = new Rng(1);
  // Like speech training steps: each step makes tensors sized by its batch's length, which varies 1-2x.
  for (let step = 0; step < 200; step++) {
    const length = 1 + rng.next();
    const blocks = [3, 5, 8].map((mib) => [memory.alloc(mib * length * 2 ** 20), mib * length * 2 ** 20] as const);
    for (const [ptr, bytes] of blocks) memory.release(ptr, bytes);
  }
  const top = memory.memory.buffer.byteLength / 2 ** 20;
  // One step needs at most 32 MiB; with a set of blocks per size class the memory grew to 176 MiB.
  assert.ok(top < 100, `${top} MiB for steps that each need at most 32 MiB`);
});
