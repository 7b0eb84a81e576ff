// A decoder-only transformer (GPT-2 style, after nanoGPT): token + position embeddings, pre-LayerNorm blocks
// of causal multi-head self-attention and a GELU MLP, a final LayerNorm, and an output layer tied to the
// token embedding. One forward pass serves training (whole windows) and sampling (new tokens against a
// key/value cache of earlier positions).
import { tf, ops, Rng, deriveSeed, variableOf } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import type { GptConfig } from './gptConfig.js';
import type { LossOptions, Params, TrainableModel } from './model.js';

/** A window of token ids and, for each position, the id that follows it. */
export interface TokenBatch {
  readonly batchSize: number;
  readonly time: number;
  readonly inputs: Int32Array; // [batch * time]
  readonly targets: Int32Array; // [batch * time]
}

/** Keys and values of earlier positions per layer, each [batch * heads, length, headSize]. */
export interface KvCache {
  readonly keys: tf.Tensor3D[];
  readonly values: tf.Tensor3D[];
  readonly length: number;
}

interface ForwardOptions {
  readonly training: boolean;
  readonly seed: number;
  readonly cache?: KvCache;
}

export function validateGptConfig(c: GptConfig): void {
  const positive = ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const;
  for (const key of positive) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new ConfigError(`${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new ConfigError(`nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new ConfigError(`dropout must be in [0, 1), got ${c.dropout}`);
}

/** Parameter names and shapes, in a fixed order (the order they are written to the weights file). */
export function gptParamShapes(c: GptConfig): [string, number[]][] {
  const C = c.nEmbd;
  const shapes: [string, number[]][] = [
    ['wte', [c.vocabSize, C]],
    ['wpe', [c.blockSize, C]],
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const h = `h.${i}.`;
    shapes.push(
      [h + 'ln_1.weight', [C]], [h + 'ln_1.bias', [C]],
      [h + 'attn.c_attn.weight', [C, 3 * C]], [h + 'attn.c_attn.bias', [3 * C]],
      [h + 'attn.c_proj.weight', [C, C]], [h + 'attn.c_proj.bias', [C]],
      [h + 'ln_2.weight', [C]], [h + 'ln_2.bias', [C]],
      [h + 'mlp.c_fc.weight', [C, 4 * C]], [h + 'mlp.c_fc.bias', [4 * C]],
      [h + 'mlp.c_proj.weight', [4 * C, C]], [h + 'mlp.c_proj.bias', [C]],
    );
  }
  shapes.push(['ln_f.weight', [C]], ['ln_f.bias', [C]]);
  return shapes;
}

/** GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 * layers), LayerNorm gain 1. */
function initialValues(name: string, size: number, c: GptConfig, rng: Rng): Float32Array {
  const values = new Float32Array(size);
  if (name.endsWith('.bias')) return values;
  if (name.includes('ln_')) return values.fill(1);
  const std = name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * c.nLayer) : 0.02;
  for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
  return values;
}

export class Gpt implements TrainableModel<TokenBatch> {
  readonly kind = 'gpt';

  constructor(readonly config: GptConfig, readonly params: Params) {
    validateGptConfig(config);
  }

  static init(config: GptConfig, seed: number): Gpt {
    validateGptConfig(config);
    const rng = new Rng(deriveSeed(seed, 'init'));
    const params: Params = new Map();
    for (const [name, shape] of gptParamShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      params.set(name, variableOf(initialValues(name, size, config, rng), shape));
    }
    return new Gpt(config, params);
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`missing parameter ${name}`);
    return v;
  }

  /** Logits [batch * time, vocab] for token ids [batch, time] at positions cache.length onwards. */
  forward(ids: Int32Array, B: number, T: number, options: ForwardOptions): { logits: tf.Tensor2D; cache: KvCache } {
    const { nEmbd: C, vocabSize: V, dropout } = this.config;
    const past = options.cache?.length ?? 0;
    if (past + T > this.config.blockSize) throw new Error(`context ${past + T} exceeds blockSize ${this.config.blockSize}`);
    const drop = (x: tf.Tensor, site: string) =>
      options.training && dropout > 0 ? tf.dropout(x, dropout, undefined, deriveSeed(options.seed, site)) : x;

    // Embedding lookup as one-hot x matrix: the wasm backend has no gradient kernel for gather.
    const tokens = tf.reshape(ops.matMul(oneHotRows(ids, V), this.p('wte')), [B, T, C]);
    const positions = tf.slice(this.p('wpe'), [past, 0], [T, C]); // [T, C]
    let x = tf.reshape(drop(tf.add(tokens, positions), 'emb'), [B * T, C]) as tf.Tensor2D;

    const mask = causalMask(T, past);
    const keys: tf.Tensor3D[] = [];
    const values: tf.Tensor3D[] = [];
    for (let layer = 0; layer < this.config.nLayer; layer++) {
      const h = `h.${layer}.`;
      const attn = this.attention(this.layerNorm(x, h + 'ln_1'), B, T, layer, mask, options, keys, values);
      x = tf.add(x, drop(attn, `attn${layer}`)) as tf.Tensor2D;
      x = tf.add(x, drop(this.mlp(this.layerNorm(x, h + 'ln_2'), h), `mlp${layer}`)) as tf.Tensor2D;
    }
    x = this.layerNorm(x, 'ln_f');
    const logits = ops.matMulTransposeB(x, this.p('wte')); // tied output layer: [B*T, V]
    return { logits, cache: { keys, values, length: past + T } };
  }

  private layerNorm(x: tf.Tensor2D, name: string): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(normed, this.p(name + '.weight')), this.p(name + '.bias'));
  }

  private linear(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.add(ops.matMul(x, this.p(name + '.weight')), this.p(name + '.bias'));
  }

  private mlp(x: tf.Tensor2D, h: string): tf.Tensor2D {
    return this.linear(gelu(this.linear(x, h + 'mlp.c_fc')), h + 'mlp.c_proj');
  }

  private attention(
    x: tf.Tensor2D, B: number, T: number, layer: number, mask: tf.Tensor2D,
    options: ForwardOptions, keysOut: tf.Tensor3D[], valuesOut: tf.Tensor3D[],
  ): tf.Tensor2D {
    const { nHead: H, nEmbd: C } = this.config;
    const D = C / H;
    const qkv = this.linear(x, `h.${layer}.attn.c_attn`); // [B*T, 3C]
    // [B*T, 3C] -> three [B*T, C] -> [B, H, T, D] -> [B*H, T, D]
    const toHeads = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]), [B * H, T, D]) as tf.Tensor3D;
    let [q, k, v] = tf.split(qkv, 3, 1).map(toHeads);
    if (options.cache) {
      k = tf.concat([options.cache.keys[layer], k], 1) as tf.Tensor3D;
      v = tf.concat([options.cache.values[layer], v], 1) as tf.Tensor3D;
    }
    keysOut.push(k);
    valuesOut.push(v);
    const scores = tf.add(tf.mul(ops.batchMatMul(q, ops.transposeLastTwo(k)), 1 / Math.sqrt(D)), mask); // [B*H, T, past+T]
    let weights = tf.softmax(scores) as tf.Tensor3D;
    if (options.training && this.config.dropout > 0) {
      weights = tf.dropout(weights, this.config.dropout, undefined, deriveSeed(options.seed, 'att', layer)) as tf.Tensor3D;
    }
    const y = ops.batchMatMul(weights, v); // [B*H, T, D]
    const merged = tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, D]), [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D;
    return this.linear(merged, `h.${layer}.attn.c_proj`);
  }

  /** Mean cross-entropy (nats per token) of the next-token predictions. */
  loss(batch: TokenBatch, options: LossOptions): tf.Scalar {
    return tf.tidy(() => tf.mean(this.tokenLosses(batch, options)) as tf.Scalar);
  }

  /** Cross-entropy per position [batch * time], for per-example scores. */
  tokenLosses(batch: TokenBatch, options: LossOptions): tf.Tensor1D {
    return tf.tidy(() => {
      const { logits } = this.forward(batch.inputs, batch.batchSize, batch.time, options);
      const targets = oneHotRows(batch.targets, this.config.vocabSize);
      return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), targets), -1)) as tf.Tensor1D;
    });
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}

/** One-hot rows [ids.length, depth] built in JS: the wasm OneHot kernel ignores dtype and returns int bits. */
function oneHotRows(ids: Int32Array, depth: number): tf.Tensor2D {
  const values = new Float32Array(ids.length * depth);
  ids.forEach((id, row) => (values[row * depth + id] = 1));
  return tf.tensor2d(values, [ids.length, depth]);
}

/** GELU, tanh approximation (Hendrycks & Gimpel 2016), as in GPT-2. */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** Additive mask [T, past + T]: query i (absolute past + i) may attend to keys j <= past + i. */
function causalMask(T: number, past: number): tf.Tensor2D {
  const S = past + T;
  const values = new Float32Array(T * S);
  for (let i = 0; i < T; i++) for (let j = past + i + 1; j < S; j++) values[i * S + j] = -1e9;
  return tf.tensor2d(values, [T, S]);
}
