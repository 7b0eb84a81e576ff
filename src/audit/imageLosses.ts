// Per-image losses the image audits score membership by: the diffusion model's denoising loss at chosen
// timesteps (noise fixed by the seed, so every model sees the same noise) and the tagger's loss.
import { deriveSeed } from '../engine/index.js';
import type { ImageExample } from '../data/imageDataset.js';
import type { TagVocabulary } from '../codecs/tags.js';
import type { Diffusion } from '../models/diffusion.js';
import type { Tagger } from '../models/tagger.js';
import { stackImages } from '../train/imageBatches.js';

const BATCH = 64;

const batchOf = (vocabulary: TagVocabulary, part: readonly ImageExample[]) =>
  stackImages(part.map((e) => ({ pixels: e.image.pixels, target: vocabulary.encode(e.tags) })));

/** Per image, the denoising loss at each timestep of `steps`. */
export function denoisingLosses(model: Diffusion, vocabulary: TagVocabulary, examples: readonly ImageExample[], steps: readonly number[], seed: number, onBatch?: (done: number) => void): number[][] {
  const rows: number[][] = examples.map(() => []);
  for (let start = 0; start < examples.length; start += BATCH) {
    const part = examples.slice(start, start + BATCH);
    const batch = batchOf(vocabulary, part);
    steps.forEach((step) => {
      const losses = model.exampleLosses(batch, { seed: deriveSeed(seed, 'membership', start, step), step });
      losses.toArray().forEach((l, i) => rows[start + i].push(l));
      losses.dispose();
    });
    onBatch?.(start + part.length);
  }
  return rows;
}

/** The denoising loss averaged over the timesteps: the image model's membership score (lower = member). */
export const meanOverSteps = (rows: readonly number[][]) => rows.map((r) => r.reduce((a, b) => a + b, 0) / r.length);

/** Per image, the tagger's loss (nats). */
export function taggerLosses(model: Tagger, vocabulary: TagVocabulary, examples: readonly ImageExample[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < examples.length; i += BATCH) {
    const l = model.exampleLosses(batchOf(vocabulary, examples.slice(i, i + BATCH)));
    out.push(...l.toArray());
    l.dispose();
  }
  return out;
}
