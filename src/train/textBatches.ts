// Random windows of a token stream as GPT batches (nanoGPT's get_batch). The window starts for step s come
// from a stream seeded by (seed, s), so batches need no state and a resumed run sees the same batches.
import { Rng, deriveSeed } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import type { TokenBatch } from '../models/gpt.js';
import type { BatchSource } from './trainer.js';

export function windowBatch(stream: Uint16Array, starts: number[], time: number): TokenBatch {
  const inputs = new Int32Array(starts.length * time);
  const targets = new Int32Array(starts.length * time);
  starts.forEach((start, b) => {
    for (let t = 0; t < time; t++) {
      inputs[b * time + t] = stream[start + t];
      targets[b * time + t] = stream[start + t + 1];
    }
  });
  return { batchSize: starts.length, time, inputs, targets };
}

export class TextBatches implements BatchSource<TokenBatch> {
  readonly itemsPerBatch: number;
  private readonly time: number;

  constructor(
    private readonly train: Uint16Array,
    private readonly heldOut: Uint16Array,
    private readonly batchSize: number,
    blockSize: number,
  ) {
    // A tiny dataset may be shorter than the context: train on windows as long as the data allows.
    this.time = Math.min(blockSize, train.length - 1, heldOut.length - 1);
    if (this.time < 1) throw new DatasetError('dataset too small: need at least two tokens on each side of the split');
    this.itemsPerBatch = batchSize * this.time;
  }

  private starts(stream: Uint16Array, rng: Rng, count: number): number[] {
    return Array.from({ length: count }, () => rng.int(stream.length - this.time));
  }

  trainBatch(step: number, seed: number): TokenBatch {
    const rng = new Rng(deriveSeed(seed, 'batch', step));
    return windowBatch(this.train, this.starts(this.train, rng, this.batchSize), this.time);
  }

  evalBatches(split: 'train' | 'heldOut', count: number): TokenBatch[] {
    const stream = split === 'train' ? this.train : this.heldOut;
    const rng = new Rng(deriveSeed(0, 'eval', split)); // fixed: every evaluation sees the same windows
    return Array.from({ length: count }, () => windowBatch(stream, this.starts(stream, rng, this.batchSize), this.time));
  }
}
