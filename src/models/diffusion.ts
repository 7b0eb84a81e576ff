// tags -> image: a small conditional denoising diffusion model (Ho et al. 2020, DDPM). A UNet with residual
// blocks predicts the noise added to an image at step t, given t (sinusoidal embedding) and the image's
// tags (a learned embedding of the multi-hot tag vector). Tags are dropped at random during training so
// the same network also predicts unconditionally: that is classifier-free guidance (Ho & Salimans 2022).
import { ops, Rng, tensor, tidy, type Tensor, type Variable } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { heInitParams, type LossOptions, type Params, type TrainableModel } from './model.js';
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
  /** Noise schedule: DDPM's linear betas, or the cosine schedule (the default; see alphaBars). */
  readonly schedule: NoiseSchedule;
  /** What the network predicts: the noise (DDPM), or v = sqrt(a) noise - sqrt(1 - a) image (the default). */
  readonly prediction: Prediction;
}

export type NoiseSchedule = 'linear' | 'cosine';
/**
 * Predicting v (Salimans & Ho 2022) rather than the noise makes the loss at high noise levels be about the
 * image itself, which is where the overall shape, and so what the tags ask for, is decided. With noise
 * prediction the tags barely changed the loss on MNIST at 16 px and samples ignored them: a judge tagger
 * agreed with the asked-for digit on 17-20% of samples after 1,500 steps, 55% with v-prediction.
 */
export type Prediction = 'eps' | 'v';

export const DIFFUSION_DEFAULTS: Omit<DiffusionConfig, 'numTags'> = { imageSize: 32, channels: [32, 64], embedDim: 64, timesteps: 1000, tagDropout: 0.1, schedule: 'cosine', prediction: 'v' };

/**
 * alpha-bar_t, the share of signal variance left after t steps. Linear: betas from 1e-4 to 0.02 (DDPM, Ho et al.
 * 2020). Cosine: alpha-bar_t = f(t + 1) / f(0), f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2), s = 0.008, each
 * beta at most 0.999 (Nichol & Dhariwal 2021). On 16-32 px images the linear schedule leaves the last ~40% of
 * steps as near-pure noise, where there is almost nothing to learn. (Alone it did not make the tags matter
 * on MNIST at 16 px; v-prediction did, see Prediction.)
 */
export function alphaBars(timesteps: number, schedule: NoiseSchedule = 'linear'): Float64Array {
  const out = new Float64Array(timesteps);
  const f = (t: number) => Math.cos(((t / timesteps + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  let product = 1;
  for (let t = 0; t < timesteps; t++) {
    const beta = schedule === 'cosine' ? Math.min(0.999, 1 - f(t + 1) / f(t)) : 1e-4 + ((0.02 - 1e-4) * t) / Math.max(1, timesteps - 1);
    product *= 1 - beta;
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
    this.alphaBar = alphaBars(config.timesteps, config.schedule);
  }

  static init(config: DiffusionConfig, seed: number): Diffusion {
    // Biases, the last conv of each block and the output conv start at zero, so blocks begin as identities.
    const zero = (name: string, shape: number[]) => shape.length === 1 || name.endsWith('conv2') || name === 'out.conv';
    return new Diffusion(config, heInitParams(diffusionParamShapes(config), seed, (name, shape) => !zero(name, shape)));
  }

  private p(name: string): Variable {
    return this.params.get(name)!;
  }

  /** Sinusoidal embedding of the timestep (as in the Transformer), then a two-layer MLP: [B, E]. */
  private timeEmbedding(t: number[]): Tensor {
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
    const h = ops.relu(ops.add(ops.matMul(tensor(values, [t.length, E]), this.p('time.w1')), this.p('time.b1')));
    return ops.matMul(h, this.p('time.w2'));
  }

  private resBlock(x: Tensor, emb: Tensor, name: string): Tensor {
    const [B, hh, ww, cin] = x.shape;
    const conv = (input: Tensor, w: string, b: string) => ops.add(ops.conv3x3(input, this.p(w)), this.p(b));
    let h = ops.relu(conv(x, `${name}.conv1`, `${name}.bias1`));
    const cout = h.shape[3];
    h = ops.add(h, ops.reshape(ops.matMul(emb, this.p(`${name}.emb`)), [B, 1, 1, cout]));
    h = conv(ops.relu(h), `${name}.conv2`, `${name}.bias2`);
    const skip = cin === cout ? x : ops.reshape(ops.matMul(ops.reshape(x, [-1, cin]), this.p(`${name}.skip`)), [B, hh, ww, cout]);
    return ops.add(h, skip);
  }

  /** The network's raw output [B, s, s, 3] (noise or v) for noisy images x_t at steps t, tag vectors (zeros = none). */
  predict(xt: Tensor, t: number[], tags: Tensor): Tensor {
    return tidy(() => {
      const emb = ops.add(this.timeEmbedding(t), ops.matMul(tags, this.p('tags.w')));
      const h0 = ops.add(ops.conv3x3(xt, this.p('in.conv')), this.p('in.bias'));
      const d1 = this.resBlock(h0, emb, 'down1'); // [B, s, s, c1]
      const d2 = this.resBlock(ops.avgPool2(d1), emb, 'down2'); // [B, s/2, s/2, c2]
      const m = this.resBlock(d2, emb, 'mid');
      const u = this.resBlock(ops.concat([ops.upsample2(m), d1], 3), emb, 'up');
      return ops.add(ops.conv3x3(ops.relu(u), this.p('out.conv')), this.p('out.bias'));
    });
  }

  /** The clean image and the noise implied by the network's output for x_t at step t (one t for the batch). */
  denoised(xt: Tensor, output: Tensor, t: number): { image: Tensor; noise: Tensor } {
    const a = Math.sqrt(this.alphaBar[t]);
    const sigma = Math.sqrt(1 - this.alphaBar[t]);
    if (this.config.prediction === 'v') {
      // x_t = a x0 + sigma eps and v = a eps - sigma x0 (a^2 + sigma^2 = 1) give x0 and eps back.
      return { image: ops.sub(ops.mul(xt, a), ops.mul(output, sigma)), noise: ops.add(ops.mul(output, a), ops.mul(xt, sigma)) };
    }
    return { image: ops.div(ops.sub(xt, ops.mul(output, sigma)), a), noise: output };
  }

  /**
   * Noises each image at a step (random, or `step` for all) and scores the prediction of the noise (or of v),
   * mean squared error per image. `dropTags` drops each image's tags with probability tagDropout, as training does.
   */
  exampleLosses(batch: ImageBatch, o: { seed: number; step?: number; dropTags?: boolean }): Tensor {
    const { imageSize: s, numTags, timesteps, tagDropout } = this.config;
    const rng = new Rng(o.seed);
    const B = batch.batchSize;
    const steps = Array.from({ length: B }, () => o.step ?? rng.int(timesteps));
    const noise = Float32Array.from({ length: B * s * s * 3 }, () => rng.normal());
    const tags = batch.targets.slice();
    for (let b = 0; b < B; b++) if (o.dropTags && rng.next() < tagDropout) tags.fill(0, b * numTags, (b + 1) * numTags);
    return tidy(() => {
      const x0 = ops.sub(ops.mul(tensor(batch.pixels, [B, s, s, 3]), 2), 1); // pixels to [-1, 1]
      const eps = tensor(noise, [B, s, s, 3]);
      const a = tensor(steps.map((t) => Math.sqrt(this.alphaBar[t])), [B, 1, 1, 1]);
      const sigma = tensor(steps.map((t) => Math.sqrt(1 - this.alphaBar[t])), [B, 1, 1, 1]);
      const xt = ops.add(ops.mul(x0, a), ops.mul(eps, sigma));
      const target = this.config.prediction === 'v' ? ops.sub(ops.mul(eps, a), ops.mul(x0, sigma)) : eps;
      const predicted = this.predict(xt, steps, tensor(tags, [B, numTags]));
      return ops.mean(ops.square(ops.sub(predicted, target)), [1, 2, 3]);
    });
  }

  loss(batch: ImageBatch, options: LossOptions): Tensor {
    return tidy(() => ops.mean(this.exampleLosses(batch, { seed: options.seed, dropTags: options.training })));
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}
