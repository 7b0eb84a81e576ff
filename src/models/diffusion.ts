// tags -> image: a small conditional denoising diffusion model (Ho et al. 2020, DDPM). A UNet with residual
// blocks predicts the noise added to an image at step t, given t (sinusoidal embedding) and the image's
// tags (a learned embedding of the multi-hot tag vector). Tags are dropped at random during training so
// the same network also predicts unconditionally: that is classifier-free guidance (Ho & Salimans 2022).
import { tf, ops, Rng, deriveSeed, variableOf } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import type { LossOptions, Params, TrainableModel } from './model.js';
import type { ImageBatch } from './tagger.js';

export interface DiffusionConfig {
  readonly imageSize: number;
  /** Channels at full and at half resolution. */
  readonly channels: readonly [number, number];
  readonly numTags: number;
  readonly embedDim: number;
  /** Diffusion steps of the training noise schedule. */
  readonly timesteps: number;
  /** Probability of dropping the tags in training (for guidance). */
  readonly tagDropout: number;
}

export const DIFFUSION_DEFAULTS: Omit<DiffusionConfig, 'numTags'> = { imageSize: 32, channels: [32, 64], embedDim: 64, timesteps: 1000, tagDropout: 0.1 };

/** Linear beta schedule from 1e-4 to 0.02 (DDPM); returns the cumulative products alpha-bar_t. */
export function alphaBars(timesteps: number): Float64Array {
  const out = new Float64Array(timesteps);
  let product = 1;
  for (let t = 0; t < timesteps; t++) {
    product *= 1 - (1e-4 + ((0.02 - 1e-4) * t) / Math.max(1, timesteps - 1));
    out[t] = product;
  }
  return out;
}

export function diffusionParamShapes(c: DiffusionConfig): [string, number[]][] {
  const [c1, c2] = c.channels;
  const E = c.embedDim;
  const res = (name: string, cin: number, cout: number): [string, number[]][] => [
    [`${name}.conv1`, [9 * cin, cout]], [`${name}.bias1`, [cout]], [`${name}.emb`, [E, cout]],
    [`${name}.conv2`, [9 * cout, cout]], [`${name}.bias2`, [cout]],
    ...(cin !== cout ? ([[`${name}.skip`, [cin, cout]]] as [string, number[]][]) : []),
  ];
  return [
    ['time.w1', [E, E]], ['time.b1', [E]], ['time.w2', [E, E]], ['tags.w', [c.numTags, E]],
    ['in.conv', [27, c1]], ['in.bias', [c1]],
    ...res('down1', c1, c1), ...res('down2', c1, c2), ...res('mid', c2, c2), ...res('up', c2 + c1, c1),
    ['out.conv', [9 * c1, 3]], ['out.bias', [3]],
  ];
}

export class Diffusion implements TrainableModel<ImageBatch> {
  readonly kind = 'diffusion';
  readonly alphaBar: Float64Array;

  constructor(readonly config: DiffusionConfig, readonly params: Params) {
    if (config.imageSize % 2 !== 0) throw new ConfigError(`image size must be even, got ${config.imageSize}`);
    this.alphaBar = alphaBars(config.timesteps);
  }

  static init(config: DiffusionConfig, seed: number): Diffusion {
    const rng = new Rng(deriveSeed(seed, 'init'));
    const params: Params = new Map();
    for (const [name, shape] of diffusionParamShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      const isBias = shape.length === 1;
      // He init; the last conv of each block and the output start at zero so blocks begin as identities.
      const zero = name.endsWith('conv2') || name === 'out.conv';
      if (!isBias && !zero) for (let i = 0; i < size; i++) values[i] = rng.normal() * Math.sqrt(2 / shape[0]);
      params.set(name, variableOf(values, shape));
    }
    return new Diffusion(config, params);
  }

  private p(name: string): tf.Variable {
    return this.params.get(name)!;
  }

  /** Sinusoidal embedding of the timestep (as in the Transformer), then a two-layer MLP: [B, E]. */
  private timeEmbedding(t: number[]): tf.Tensor2D {
    const E = this.config.embedDim;
    const half = E / 2;
    const values = new Float32Array(t.length * E);
    t.forEach((step, b) => {
      for (let i = 0; i < half; i++) {
        const angle = step / 10000 ** (i / half);
        values[b * E + i] = Math.sin(angle);
        values[b * E + half + i] = Math.cos(angle);
      }
    });
    const h = tf.relu(tf.add(ops.matMul(tf.tensor2d(values, [t.length, E]), this.p('time.w1')), this.p('time.b1')));
    return ops.matMul(h, this.p('time.w2'));
  }

  private resBlock(x: tf.Tensor4D, emb: tf.Tensor2D, name: string): tf.Tensor4D {
    const [B, , , cin] = x.shape;
    const conv = (input: tf.Tensor4D, w: string, b: string) => tf.add(ops.conv3x3(input, this.p(w)), this.p(b)) as tf.Tensor4D;
    let h = tf.relu(conv(x, `${name}.conv1`, `${name}.bias1`)) as tf.Tensor4D;
    const cout = h.shape[3];
    h = tf.add(h, tf.reshape(ops.matMul(emb, this.p(`${name}.emb`)), [B, 1, 1, cout])) as tf.Tensor4D;
    h = conv(tf.relu(h) as tf.Tensor4D, `${name}.conv2`, `${name}.bias2`);
    const [, hh, ww] = x.shape;
    const skip = cin === cout ? x : (tf.reshape(ops.matMul(tf.reshape(x, [-1, cin]), this.p(`${name}.skip`)), [B, hh, ww, cout]) as tf.Tensor4D);
    return tf.add(h, skip) as tf.Tensor4D;
  }

  /** Predicted noise [B, s, s, 3] for noisy images x_t at steps t, with tag vectors (all zeros = unconditional). */
  predictNoise(xt: tf.Tensor4D, t: number[], tags: tf.Tensor2D): tf.Tensor4D {
    const emb = tf.add(this.timeEmbedding(t), ops.matMul(tags, this.p('tags.w'))) as tf.Tensor2D;
    const s = this.config.imageSize;
    const h0 = tf.add(ops.conv3x3(xt, this.p('in.conv')), this.p('in.bias')) as tf.Tensor4D;
    const d1 = this.resBlock(h0, emb, 'down1'); // [B, s, s, c1]
    const d2 = this.resBlock(tf.avgPool(d1, 2, 2, 'valid'), emb, 'down2'); // [B, s/2, s/2, c2]
    const m = this.resBlock(d2, emb, 'mid');
    const up = tf.image.resizeNearestNeighbor(m, [s, s]);
    const u = this.resBlock(tf.concat([up, d1], 3) as tf.Tensor4D, emb, 'up');
    return tf.add(ops.conv3x3(tf.relu(u) as tf.Tensor4D, this.p('out.conv')), this.p('out.bias')) as tf.Tensor4D;
  }

  /** Noises each image at a random step and scores the noise prediction (mean squared error), per image. */
  exampleLosses(batch: ImageBatch, seed: number, fixedStep?: number): tf.Tensor1D {
    const { imageSize: s, numTags, timesteps, tagDropout } = this.config;
    const rng = new Rng(seed);
    const B = batch.batchSize;
    const steps = Array.from({ length: B }, () => fixedStep ?? rng.int(timesteps));
    const noise = Float32Array.from({ length: B * s * s * 3 }, () => rng.normal());
    const tags = batch.targets.slice();
    for (let b = 0; b < B; b++) if (fixedStep === undefined && rng.next() < tagDropout) tags.fill(0, b * numTags, (b + 1) * numTags);
    return tf.tidy(() => {
      const x0 = tf.sub(tf.mul(tf.tensor4d(batch.pixels, [B, s, s, 3]), 2), 1); // pixels to [-1, 1]
      const eps = tf.tensor4d(noise, [B, s, s, 3]);
      const a = tf.tensor4d(steps.map((t) => Math.sqrt(this.alphaBar[t])), [B, 1, 1, 1]);
      const sigma = tf.tensor4d(steps.map((t) => Math.sqrt(1 - this.alphaBar[t])), [B, 1, 1, 1]);
      const xt = tf.add(tf.mul(x0, a), tf.mul(eps, sigma)) as tf.Tensor4D;
      const predicted = this.predictNoise(xt, steps, tf.tensor2d(tags, [B, numTags]));
      return tf.mean(tf.square(tf.sub(predicted, eps)), [1, 2, 3]) as tf.Tensor1D;
    });
  }

  loss(batch: ImageBatch, options: LossOptions): tf.Scalar {
    return tf.tidy(() => tf.mean(this.exampleLosses(batch, options.seed)) as tf.Scalar);
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}
