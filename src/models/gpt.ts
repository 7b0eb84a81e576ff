// A decoder-only transformer (GPT-2 style, after nanoGPT): token + position embeddings, pre-LayerNorm blocks
// of causal multi-head self-attention and a GELU MLP, a final LayerNorm, and an output layer tied to the
// token embedding. One forward pass serves training (whole windows) and sampling (new tokens against a
// key/value cache of earlier positions).
import { ops, Rng, deriveSeed, tidy, variableOf, type Tensor, type Variable } from '../engine/index.js';
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

/** Keys and values of earlier positions, one attention cache per layer (all as long as each other). */
export interface KvCache {
  readonly layers: ops.AttentionCache[];
}

/** An empty cache for `batch` rows of up to blockSize positions; free it with disposeKvCache. */
export function newKvCache(config: GptConfig, batch: number): KvCache {
  return { layers: Array.from({ length: config.nLayer }, () => ops.attentionCache(batch, config.blockSize, config.nEmbd)) };
}

export function disposeKvCache(cache: KvCache): void {
  for (const layer of cache.layers) {
    layer.keys.dispose();
    layer.values.dispose();
  }
}

export const cachedLength = (cache: KvCache | undefined) => cache?.layers[0]?.length ?? 0;

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

/**
 * Everything about the GPT's computation that is fixed in code rather than in GptConfig, written into each
 * weights file's engram.model_config (as `architecture`) so that a reader, or a port to another framework,
 * needs nothing but the file.
 */
export const GPT_ARCHITECTURE = {
  layerNormEpsilon: 1e-5,
  activation: 'gelu-tanh: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))',
  bias: 'every linear layer and LayerNorm has one',
  tiedEmbeddings: 'the output layer is wte transposed; there is no separate lm_head',
  positions: 'learned absolute (wpe)',
  linearLayout: 'weights are [in, out]: y = x W + b (nn.Linear stores the transpose)',
  attention: 'causal; c_attn projects to q, k, v in that order, [C, 3C]; heads are contiguous slices of C / n_head',
  tokens: { eos: 0, sep: 1, unk: 2 },
  layout: '<eos> input <sep> output <eos>; an output ends when <eos> is generated',
  contextRestart: 'when generation fills blockSize, it restarts from the last floor(blockSize / 2) tokens',
} as const;

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

  private p(name: string): Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`missing parameter ${name}`);
    return v;
  }

  /**
   * Logits [batch * time, vocab] for token ids [batch, time] at positions cachedLength(cache) onwards. With a
   * cache, this call's keys and values are appended to it.
   */
  forward(ids: Int32Array, B: number, T: number, options: ForwardOptions): Tensor {
    const { nHead: H, dropout } = this.config;
    const past = cachedLength(options.cache);
    if (past + T > this.config.blockSize) throw new Error(`context ${past + T} exceeds blockSize ${this.config.blockSize}`);
    const rate = options.training ? dropout : 0;
    const drop = (x: Tensor, site: string) => (rate > 0 ? ops.dropout(x, rate, deriveSeed(options.seed, site)) : x);

    const positions = Int32Array.from({ length: B * T }, (_, i) => past + (i % T));
    return tidy(() => {
      let x = drop(ops.add(ops.embedding(this.p('wte'), ids), ops.embedding(this.p('wpe'), positions)), 'emb'); // [B*T, C]
      for (let layer = 0; layer < this.config.nLayer; layer++) {
        const h = `h.${layer}.`;
        const qkv = this.linear(this.layerNorm(x, h + 'ln_1'), h + 'attn.c_attn'); // [B*T, 3C]
        const heads = ops.causalSelfAttention(qkv, B, T, H, { dropout: rate, seed: rate > 0 ? deriveSeed(options.seed, 'att', layer) : 0, cache: options.cache?.layers[layer] });
        x = ops.add(x, drop(this.linear(heads, h + 'attn.c_proj'), `attn${layer}`));
        x = ops.add(x, drop(this.mlp(this.layerNorm(x, h + 'ln_2'), h), `mlp${layer}`));
      }
      x = this.layerNorm(x, 'ln_f');
      return ops.matMul(x, this.p('wte'), false, true); // tied output layer: [B*T, V]
    });
  }

  private layerNorm(x: Tensor, name: string): Tensor {
    return ops.layerNorm(x, this.p(name + '.weight'), this.p(name + '.bias'), GPT_ARCHITECTURE.layerNormEpsilon);
  }

  private linear(x: Tensor, name: string): Tensor {
    return ops.add(ops.matMul(x, this.p(name + '.weight')), this.p(name + '.bias'));
  }

  private mlp(x: Tensor, h: string): Tensor {
    return this.linear(ops.gelu(this.linear(x, h + 'mlp.c_fc')), h + 'mlp.c_proj');
  }

  /** Mean cross-entropy (nats per token) of the next-token predictions. */
  loss(batch: TokenBatch, options: LossOptions): Tensor {
    return tidy(() => ops.mean(this.tokenLosses(batch, options)));
  }

  /** Cross-entropy per position [batch * time], for per-example scores. */
  tokenLosses(batch: TokenBatch, options: LossOptions): Tensor {
    return tidy(() => ops.crossEntropy(this.forward(batch.inputs, batch.batchSize, batch.time, options), batch.targets));
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}
