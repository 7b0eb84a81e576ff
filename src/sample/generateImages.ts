// Image generation from the diffusion model by DDIM (Song et al. 2021): a few denoising steps from pure
// noise. The temperature is DDIM's eta, the scale of the noise injected at each step: 0 is deterministic,
// 1 behaves like DDPM ancestral sampling. Guidance w mixes conditional and unconditional noise predictions,
// out = out_uncond + w (out_cond - out_uncond) on the network's output, noise or v alike, as both are linear in
// it (classifier-free guidance; w = 1 is plain conditioning).
import { ops, tensor, tidy, Rng, deriveSeed } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import type { Diffusion } from '../models/diffusion.js';

export interface ImageSamplingOptions {
  readonly samples: number;
  readonly steps: number;
  readonly temperature: number;
  readonly guidance: number;
  readonly seed: number;
}

export const IMAGE_SAMPLING_DEFAULTS: ImageSamplingOptions = { samples: 16, steps: 50, temperature: 0, guidance: 2, seed: 0 };

/** Images [size * size * 3] in [0, 1], one per sample, conditioned on the multi-hot `tags`. */
export function sampleImages(model: Diffusion, tags: Float32Array, o: ImageSamplingOptions): Float32Array[] {
  if (!(o.temperature >= 0)) throw new ConfigError(`temperature must be >= 0, got ${o.temperature}`);
  if (!Number.isInteger(o.steps) || o.steps < 1 || o.steps > model.config.timesteps) throw new ConfigError(`steps must be between 1 and ${model.config.timesteps}`);
  const { imageSize: s, numTags, timesteps } = model.config;
  const n = o.samples;
  const rng = new Rng(deriveSeed(o.seed, 'images'));
  const gaussian = () => Float32Array.from({ length: n * s * s * 3 }, () => rng.normal());
  const schedule = Array.from({ length: o.steps }, (_, i) => Math.round(((timesteps - 1) * (o.steps - 1 - i)) / Math.max(1, o.steps - 1)));
  const conditioned = new Float32Array(2 * n * numTags);
  for (let b = 0; b < n; b++) conditioned.set(tags, b * numTags); // first n rows conditioned, last n unconditional
  let x = tensor(gaussian(), [n, s, s, 3]);
  schedule.forEach((t, i) => {
    const aT = model.alphaBar[t];
    const aPrev = i + 1 < schedule.length ? model.alphaBar[schedule[i + 1]] : 1;
    const sigma = o.temperature * Math.sqrt((1 - aPrev) / (1 - aT)) * Math.sqrt(Math.max(0, 1 - aT / aPrev));
    const z = sigma > 0 ? gaussian() : undefined;
    const next = tidy(() => {
      const both = model.predict(ops.concat([x, x], 0), new Array(2 * n).fill(t), tensor(conditioned, [2 * n, numTags]));
      const [cond, uncond] = ops.split(both, 2, 0);
      const guided = ops.add(uncond, ops.mul(ops.sub(cond, uncond), o.guidance));
      const x0 = ops.clip(model.denoised(x, guided, t).image, -1, 1);
      // The noise consistent with the clipped x0. Keeping the unclipped prediction instead carries the large
      // early-step errors (x0 is divided by sqrt(alpha-bar) ~ 0.006 at t = T) into every later step.
      const eps = ops.div(ops.sub(x, ops.mul(x0, Math.sqrt(aT))), Math.sqrt(1 - aT));
      let prev = ops.add(ops.mul(x0, Math.sqrt(aPrev)), ops.mul(eps, Math.sqrt(Math.max(0, 1 - aPrev - sigma * sigma))));
      if (z) prev = ops.add(prev, ops.mul(tensor(z, [n, s, s, 3]), sigma));
      return prev;
    });
    x.dispose();
    x = next;
  });
  const pixels = tidy(() => ops.clip(ops.div(ops.add(x, 1), 2), 0, 1).toArray()); // back to [0, 1]
  x.dispose();
  return Array.from({ length: n }, (_, b) => pixels.slice(b * s * s * 3, (b + 1) * s * s * 3));
}
