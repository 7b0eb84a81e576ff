// AssemblyScript. Causal multi-head self-attention as one kernel per (batch, head) pair, forward and
// backward, reading queries, keys and values in place (from the fused [rows, 3C] projection or from a
// key/value cache) through row and batch strides, so no split, transpose or [B, H, T, T] intermediate is
// made outside it. Query i (absolute position past + i) attends to keys j <= past + i. Dropout on the
// attention weights uses the same hashed mask as the dropout kernel, regenerated in the backward pass.
import { gemm } from './gemm';
import { dropout } from './elementwise';
import { expf4, expf1, max4, sum4 } from './simd';
import { threadIndex } from './thread';

/**
 * Rows of queries (and of keys, in the backward pass) go in chunks of CHUNK, and each chunk's products stop
 * at the last key its rows may see: the causal mask's zeros are never multiplied (~40% of the work at
 * T = 128). Chunks are multiples of the product's 4 x 8 tiles.
 */
const CHUNK: i32 = 32;

/** Softmax of scale * row over the first `valid` entries; the rest are set to 0. */
function maskedSoftmax(row: usize, S: i32, valid: i32, scale: f32): void {
  const sc = f32x4.splat(scale);
  let mV = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= valid; j += 4) mV = f32x4.pmax(mV, v128.load(row + (<usize>j << 2)));
  let m = max4(mV);
  for (; j < valid; j++) m = max(m, load<f32>(row + (<usize>j << 2)));
  const mS = f32x4.splat(m * scale);
  let acc = f32x4.splat(0);
  j = 0;
  for (; j + 4 <= valid; j += 4) {
    const e = expf4(f32x4.sub(f32x4.mul(v128.load(row + (<usize>j << 2)), sc), mS));
    v128.store(row + (<usize>j << 2), e);
    acc = f32x4.add(acc, e);
  }
  let s = sum4(acc);
  for (; j < valid; j++) {
    const e = expf1(load<f32>(row + (<usize>j << 2)) * scale - m * scale);
    store<f32>(row + (<usize>j << 2), e);
    s += e;
  }
  const inv = f32x4.splat(1 / s);
  j = 0;
  for (; j + 4 <= valid; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), inv));
  for (; j < valid; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * f32x4.extract_lane(inv, 0));
  if (valid < S) memory.fill(row + (<usize>valid << 2), 0, <usize>(S - valid) << 2);
}

/**
 * out = softmax(q k^T / sqrt(D), causal) v per (batch, head) in [lo, hi) of B * H. `probs` receives the
 * attention weights [B * H, Tq, S] for the backward pass (0: not kept, sampling). `work` holds
 * 2 * Tq * S floats per thread. threshold > 0 applies dropout to the weights (seed, threshold, dropScale).
 */
export function attentionForward(
  q: usize, qRow: i32, qBatch: i32, k: usize, kRow: i32, kBatch: i32, v: usize, vRow: i32, vBatch: i32,
  out: usize, oRow: i32, oBatch: i32, probs: usize, work: usize,
  H: i32, Tq: i32, S: i32, D: i32, past: i32, seed: i32, threshold: u32, dropScale: f32, lo: i32, hi: i32,
): void {
  const scale: f32 = 1 / Mathf.sqrt(<f32>D);
  const area = Tq * S;
  const mine = work + <usize>threadIndex * (<usize>(2 * area) << 2);
  for (let bh = lo; bh < hi; bh++) {
    const b = bh / H, h = bh % H;
    const qb = q + (<usize>(b * qBatch + h * D) << 2);
    const kb = k + (<usize>(b * kBatch + h * D) << 2);
    const vb = v + (<usize>(b * vBatch + h * D) << 2);
    const ob = out + (<usize>(b * oBatch + h * D) << 2);
    const p = probs ? probs + (<usize>(bh * area) << 2) : mine;
    for (let i0 = 0; i0 < Tq; i0 += CHUNK) {
      const rows = min(CHUNK, Tq - i0), keys = min(S, past + i0 + rows);
      gemm(rows, keys, D, qb + (<usize>(i0 * qRow) << 2), qRow, 1, kb, 1, kRow, p + (<usize>(i0 * S) << 2), S, 0, 0, rows); // raw scores
    }
    for (let i = 0; i < Tq; i++) maskedSoftmax(p + (<usize>(i * S) << 2), S, min(S, past + i + 1), scale);
    let weights = p;
    if (threshold) {
      weights = mine + (<usize>area << 2);
      dropout(p - (<usize>(bh * area) << 2), weights - (<usize>(bh * area) << 2), seed, threshold, dropScale, bh * area, (bh + 1) * area);
    }
    for (let i0 = 0; i0 < Tq; i0 += CHUNK) {
      const rows = min(CHUNK, Tq - i0), keys = min(S, past + i0 + rows);
      gemm(rows, D, keys, weights + (<usize>(i0 * S) << 2), S, 1, vb, vRow, 1, ob + (<usize>(i0 * oRow) << 2), oRow, 0, 0, rows);
    }
  }
}

/**
 * Gradients of attentionForward for (batch, head) pairs [lo, hi), written (not added) into dq, dk, dv,
 * which share the strides of q, k, v. dS = P (dP - rowsum(dP P)) / sqrt(D); dq = dS k, dk = dS^T q.
 */
export function attentionBackward(
  q: usize, k: usize, v: usize, row: i32, batch: i32, dOut: usize, dRow: i32, dBatch: i32,
  dq: usize, dk: usize, dv: usize, probs: usize, work: usize,
  H: i32, T: i32, D: i32, seed: i32, threshold: u32, dropScale: f32, lo: i32, hi: i32,
): void {
  const scale: f32 = 1 / Mathf.sqrt(<f32>D);
  const area = T * T;
  const mine = work + <usize>threadIndex * (<usize>(2 * area) << 2);
  const dP = mine;
  const dropped = mine + (<usize>area << 2);
  for (let bh = lo; bh < hi; bh++) {
    const b = bh / H, h = bh % H;
    const at = <usize>(b * batch + h * D) << 2;
    const dAt = <usize>(b * dBatch + h * D) << 2;
    const p = probs + (<usize>(bh * area) << 2);
    const shift = <usize>(bh * area) << 2;
    let weights = p;
    if (threshold) {
      weights = dropped;
      dropout(p - shift, dropped - shift, seed, threshold, dropScale, bh * area, (bh + 1) * area);
    }
    const dO = dOut + dAt;
    for (let j0 = 0; j0 < T; j0 += CHUNK) {
      // dv[j] = sum over queries i >= j0 of W[i, j] dO[i] (W is 0 above the diagonal)
      const rows = min(CHUNK, T - j0);
      const diagonal = <usize>(j0 * T + j0) << 2;
      gemm(rows, D, T - j0, weights + diagonal, 1, T, dO + (<usize>(j0 * dRow) << 2), dRow, 1, dv + at + (<usize>(j0 * row) << 2), row, 0, 0, rows);
    }
    for (let i0 = 0; i0 < T; i0 += CHUNK) {
      // dW[i, j] = dO[i] . v[j] for keys j the chunk's queries may see
      const rows = min(CHUNK, T - i0);
      gemm(rows, i0 + rows, D, dO + (<usize>(i0 * dRow) << 2), dRow, 1, v + at, 1, row, dP + (<usize>(i0 * T) << 2), T, 0, 0, rows);
    }
    if (threshold) dropout(dP - shift, dP - shift, seed, threshold, dropScale, bh * area, (bh + 1) * area);
    for (let i = 0; i < T; i++) {
      const valid = i + 1;
      const pr = p + (<usize>(i * T) << 2), dr = dP + (<usize>(i * T) << 2);
      let acc = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= valid; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(pr + (<usize>j << 2)), v128.load(dr + (<usize>j << 2))));
      let s = sum4(acc);
      for (; j < valid; j++) s += load<f32>(pr + (<usize>j << 2)) * load<f32>(dr + (<usize>j << 2));
      const sV = f32x4.splat(s), sc = f32x4.splat(scale);
      j = 0;
      for (; j + 4 <= valid; j += 4) {
        const o = <usize>j << 2;
        v128.store(dr + o, f32x4.mul(f32x4.mul(v128.load(pr + o), f32x4.sub(v128.load(dr + o), sV)), sc));
      }
      for (; j < valid; j++) {
        const o = <usize>j << 2;
        store<f32>(dr + o, load<f32>(pr + o) * (load<f32>(dr + o) - s) * scale);
      }
      if (valid < T) memory.fill(dr + (<usize>valid << 2), 0, <usize>(T - valid) << 2); // dS is 0 above the diagonal
    }
    for (let i0 = 0; i0 < T; i0 += CHUNK) {
      const rows = min(CHUNK, T - i0);
      // dq[i] = sum over keys j <= i of dS[i, j] k[j]
      gemm(rows, D, i0 + rows, dP + (<usize>(i0 * T) << 2), T, 1, k + at, row, 1, dq + at + (<usize>(i0 * row) << 2), row, 0, 0, rows);
      // dk[j] = sum over queries i >= j of dS[i, j] q[i]
      const diagonal = <usize>(i0 * T + i0) << 2;
      gemm(rows, D, T - i0, dP + diagonal, 1, T, q + at + (<usize>(i0 * row) << 2), row, 1, dk + at + (<usize>(i0 * row) << 2), row, 0, 0, rows);
    }
  }
}
