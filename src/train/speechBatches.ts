// Batches of utterances for the one trainer: random utterances per step (a pure function of seed and step),
// log-mel features zero-padded to the longest in the batch, rounded up to the model's time reduction.
import { deriveSeed, Rng } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import { MEL_BINS } from '../codecs/logMel.js';
import { TIME_REDUCTION, type SpeechBatch } from '../models/speech.js';
import type { BatchSource } from './trainer.js';
import { encodeTranscript } from '../codecs/ctcAlphabet.js';
import type { SpeechExample } from '../data/speech.js';

export interface SpeechItem {
  readonly features: Float32Array;
  readonly frames: number;
  readonly labels: Int32Array;
}

/** An utterance as the trainer sees it: its features and its transcript's labels. */
export const speechItem = (e: SpeechExample): SpeechItem => ({ features: e.features, frames: e.frames, labels: encodeTranscript(e.text) });

export function stackUtterances(items: readonly SpeechItem[]): SpeechBatch {
  const time = Math.ceil(Math.max(...items.map((i) => i.frames)) / TIME_REDUCTION) * TIME_REDUCTION;
  const features = new Float32Array(items.length * time * MEL_BINS);
  items.forEach((item, b) => features.set(item.features, b * time * MEL_BINS));
  return {
    batchSize: items.length, time, features,
    outputFrames: Int32Array.from(items, (i) => Math.ceil(i.frames / TIME_REDUCTION)),
    labels: items.map((i) => i.labels),
  };
}

/** CTC needs an output frame per label, and one more between repeated letters. */
export function fitsCtc(item: SpeechItem): boolean {
  let needed = item.labels.length;
  for (let i = 1; i < item.labels.length; i++) if (item.labels[i] === item.labels[i - 1]) needed++;
  return Math.ceil(item.frames / TIME_REDUCTION) >= needed;
}

export class SpeechBatches implements BatchSource<SpeechBatch> {
  readonly itemsPerBatch: number;

  constructor(private readonly train: readonly SpeechItem[], private readonly heldOut: readonly SpeechItem[], private readonly batchSize: number) {
    if (train.length === 0 || heldOut.length === 0) throw new DatasetError('speech training needs utterances on both sides of the split');
    this.itemsPerBatch = batchSize;
  }

  trainBatch(step: number, seed: number): SpeechBatch {
    const rng = new Rng(deriveSeed(seed, 'batch', step));
    return stackUtterances(Array.from({ length: this.batchSize }, () => this.train[rng.int(this.train.length)]));
  }

  evalBatches(split: 'train' | 'heldOut', count: number): SpeechBatch[] {
    const items = split === 'train' ? this.train : this.heldOut;
    const rng = new Rng(deriveSeed(0, 'eval', split));
    return Array.from({ length: count }, () => stackUtterances(Array.from({ length: this.batchSize }, () => items[rng.int(items.length)])));
  }
}
