// Random batches of images with target vectors, for any image model (the tagger; later the diffusion model).
// Like TextBatches, the batch for step s is a pure function of (seed, s), so resume stays exact.
import { Rng, deriveSeed } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import type { ImageBatch } from '../models/tagger.js';
import type { BatchSource } from './trainer.js';

export interface ImageItem {
  readonly pixels: Float32Array; // [size * size * 3]
  readonly target: Float32Array; // [numTags]
}

export function stackImages(items: readonly ImageItem[]): ImageBatch {
  const px = items[0].pixels.length;
  const tags = items[0].target.length;
  const pixels = new Float32Array(items.length * px);
  const targets = new Float32Array(items.length * tags);
  items.forEach((item, i) => {
    pixels.set(item.pixels, i * px);
    targets.set(item.target, i * tags);
  });
  return { batchSize: items.length, pixels, targets };
}

export class ImageBatches implements BatchSource<ImageBatch> {
  readonly itemsPerBatch: number;

  constructor(private readonly train: readonly ImageItem[], private readonly heldOut: readonly ImageItem[], private readonly batchSize: number) {
    if (train.length === 0 || heldOut.length === 0) throw new DatasetError(`need images on both sides of the split (train ${train.length}, held-out ${heldOut.length})`);
    this.itemsPerBatch = batchSize;
  }

  trainBatch(step: number, seed: number): ImageBatch {
    const rng = new Rng(deriveSeed(seed, 'batch', step));
    return stackImages(Array.from({ length: this.batchSize }, () => this.train[rng.int(this.train.length)]));
  }

  evalBatches(split: 'train' | 'heldOut', count: number): ImageBatch[] {
    const items = split === 'train' ? this.train : this.heldOut;
    const rng = new Rng(deriveSeed(0, 'eval', split));
    return Array.from({ length: count }, () => stackImages(Array.from({ length: Math.min(this.batchSize, items.length) }, () => items[rng.int(items.length)])));
  }
}
