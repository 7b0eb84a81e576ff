// The fused layers of engram's networks, each one kernel forward and one backward: LayerNorm, dropout,
// embedding lookup, softmax cross-entropy, (log) softmax, and causal self-attention with an optional
// key/value cache for sampling.
import { record } from '../autograd.js';
import { Tensor, empty, intTensor, zeros } from '../tensor.js';
import { run, ELEMENT_GRAIN } from './run.js';

/** LayerNorm over the last axis of x [rows, C] (Ba et al. 2016). */
export function layerNorm(x: Tensor, gain: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const C = x.shape.at(-1)!;
  const rows = x.size / C;
  const out = empty(x.shape);
  const mean = empty([rows]);
  const rstd = empty([rows]);
  run('layerNormForward', [x.ptr, gain.ptr, bias.ptr, out.ptr, mean.ptr, rstd.ptr, C, eps], rows, 64);
  return keepFor(record(out, [x, gain, bias], (g) => {
    const dx = empty(x.shape);
    run('layerNormBackward', [x.ptr, gain.ptr, g.ptr, mean.ptr, rstd.ptr, dx.ptr, C], rows, 64);
    const dGain = empty(gain.shape);
    const dBias = empty(bias.shape);
    run('layerNormParamGrads', [x.ptr, g.ptr, mean.ptr, rstd.ptr, dGain.ptr, dBias.ptr, rows, C], C, 16, 4);
    return [dx, dGain, dBias];
  }), [mean, rstd]);
}

/** Frees what an op saved for its backward pass when no backward pass will come. */
function keepFor(out: Tensor, saved: Tensor[]): Tensor {
  if (!out.requiresGrad) for (const t of saved) t.dispose();
  return out;
}

/** The hashed-mask threshold for dropping with probability `rate`. */
function dropThreshold(rate: number): number {
  return Math.min(0xffffffff, Math.round(rate * 2 ** 32));
}

/**
 * Inverted dropout: each element zeroed with probability `rate`, the rest scaled by 1 / (1 - rate). The
 * mask is a hash of (seed, position), so the same seed drops the same elements.
 */
export function dropout(x: Tensor, rate: number, seed: number): Tensor {
  if (rate <= 0) return x;
  const args = (from: Tensor, to: Tensor) => [from.ptr, to.ptr, seed | 0, dropThreshold(rate), 1 / (1 - rate)];
  const out = empty(x.shape);
  run('dropout', args(x, out), x.size, ELEMENT_GRAIN, 4);
  return record(out, [x], (g) => {
    const dx = empty(x.shape);
    run('dropout', args(g, dx), x.size, ELEMENT_GRAIN, 4);
    return [dx];
  });
}

/** Rows of table [V, C] picked by ids: [ids.length, C]. The gradient adds each row's gradient back. */
export function embedding(table: Tensor, ids: Int32Array): Tensor {
  const [V, C] = table.shape;
  for (const id of ids) if (!(id >= 0 && id < V)) throw new Error(`embedding id ${id} outside [0, ${V})`);
  const idTensor = intTensor(ids);
  const out = empty([ids.length, C]);
  run('gatherRows', [table.ptr, idTensor.ptr, out.ptr, C], ids.length, 256);
  return keepFor(record(out, [table], (g) => {
    const dTable = zeros(table.shape);
    run('scatterAddRows', [g.ptr, idTensor.ptr, dTable.ptr, ids.length, C], C, 16, 4);
    return [dTable];
  }), [idTensor]);
}

/** Cross-entropy of each row of logits [N, V] against its target id: [N] (nats). */
export function crossEntropy(logits: Tensor, targets: Int32Array): Tensor {
  const [N, V] = logits.shape;
  if (targets.length !== N) throw new Error(`crossEntropy: ${targets.length} targets for ${N} rows`);
  const t = intTensor(targets);
  const out = empty([N]);
  run('crossEntropyForward', [logits.ptr, t.ptr, out.ptr, V], N, 128);
  return keepFor(record(out, [logits], (g) => {
    const dLogits = empty(logits.shape);
    run('crossEntropyBackward', [logits.ptr, t.ptr, g.ptr, dLogits.ptr, V], N, 128);
    return [dLogits];
  }), [t]);
}

/** log softmax over the last axis. */
export function logSoftmax(x: Tensor): Tensor {
  const V = x.shape.at(-1)!;
  const out = empty(x.shape);
  run('softmaxRows', [x.ptr, out.ptr, V, 1], x.size / V, 128);
  return record(out, [x], (g) => {
    const dx = empty(x.shape);
    run('logSoftmaxGrad', [out.ptr, g.ptr, dx.ptr, V], x.size / V, 128);
    return [dx];
  });
}

/** softmax over the last axis (no gradient: for prediction). */
export function softmax(x: Tensor): Tensor {
  const V = x.shape.at(-1)!;
  const out = empty(x.shape);
  run('softmaxRows', [x.ptr, out.ptr, V, 0], x.size / V, 128);
  return out;
}

/** Keys and values of earlier positions per layer, each [batch, capacity, C]; `length` positions filled. */
export interface AttentionCache {
  readonly keys: Tensor;
  readonly values: Tensor;
  length: number;
}

export function attentionCache(batch: number, capacity: number, channels: number): AttentionCache {
  return { keys: empty([batch, capacity, channels]), values: empty([batch, capacity, channels]), length: 0 };
}

/**
 * Causal multi-head self-attention on qkv [B * T, 3C] (queries, keys, values side by side, heads of C / H
 * channels each) -> [B * T, C], the heads' outputs side by side. With a cache, this call's keys and values
 * are appended to it and the queries attend to every cached position before them (no gradient).
 */
export function causalSelfAttention(
  qkv: Tensor, B: number, T: number, H: number, o: { dropout?: number; seed?: number; cache?: AttentionCache } = {},
): Tensor {
  const C = qkv.shape[1] / 3;
  const D = C / H;
  const rate = o.dropout ?? 0;
  const threshold = rate > 0 ? dropThreshold(rate) : 0;
  const dropScale = rate > 0 ? 1 / (1 - rate) : 1;
  const seed = (o.seed ?? 0) | 0;
  const out = empty([B * T, C]);
  const cache = o.cache;
  if (cache) {
    const capacity = cache.keys.shape[1];
    if (cache.length + T > capacity) throw new Error(`attention cache full: ${cache.length} + ${T} > ${capacity}`);
    appendToCache(qkv, cache, B, T, C);
    const S = cache.length + T;
    const work = empty([2, 2 * T * S]);
    run('attentionForward', [
      qkv.ptr, 3 * C, 3 * C * T, cache.keys.ptr, C, capacity * C, cache.values.ptr, C, capacity * C,
      out.ptr, C, C * T, 0, work.ptr, H, T, S, D, cache.length, 0, 0, 1,
    ], B * H, headsPerThread(T, S, D));
    work.dispose();
    cache.length += T;
    return out;
  }
  const probs = empty([B * H, T, T]);
  const work = empty([2, 2 * T * T]);
  const kAt = qkv.ptr + 4 * C;
  const vAt = qkv.ptr + 8 * C;
  run('attentionForward', [
    qkv.ptr, 3 * C, 3 * C * T, kAt, 3 * C, 3 * C * T, vAt, 3 * C, 3 * C * T,
    out.ptr, C, C * T, probs.ptr, work.ptr, H, T, T, D, 0, seed, threshold, dropScale,
  ], B * H, headsPerThread(T, T, D));
  work.dispose();
  return keepFor(record(out, [qkv], (g) => {
    const dqkv = empty(qkv.shape);
    const scratch = empty([2, 2 * T * T]);
    run('attentionBackward', [
      qkv.ptr, kAt, vAt, 3 * C, 3 * C * T, g.ptr, C, C * T, dqkv.ptr, dqkv.ptr + 4 * C, dqkv.ptr + 8 * C,
      probs.ptr, scratch.ptr, H, T, D, seed, threshold, dropScale,
    ], B * H, headsPerThread(T, T, D));
    scratch.dispose();
    return [dqkv];
  }), [probs]);
}

/** (batch, head) pairs worth giving a second thread: about 2^14 multiply-adds each side. */
function headsPerThread(queries: number, keys: number, D: number): number {
  return Math.max(1, Math.ceil(16384 / (queries * keys * D)));
}

function appendToCache(qkv: Tensor, cache: AttentionCache, B: number, T: number, C: number): void {
  const src = qkv.data;
  const keys = cache.keys.data;
  const values = cache.values.data;
  const capacity = cache.keys.shape[1];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * 3 * C;
      const at = (b * capacity + cache.length + t) * C;
      keys.set(src.subarray(row + C, row + 2 * C), at);
      values.set(src.subarray(row + 2 * C, row + 3 * C), at);
    }
  }
}
