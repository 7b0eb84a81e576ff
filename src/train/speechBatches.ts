// Batches of utterances for the one trainer: random utterances per step (a pure function of seed and step),
// log-mel features zero-padded to the longest in the batch, rounded up to the model's time reduction.
import { deriveSeed, Rng } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import { MEL_BINS, warpedMelPositions } from '../codecs/logMel.js';
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

  constructor(private readonly train: readonly SpeechItem[], private readonly heldOut: readonly SpeechItem[], private readonly batchSize: number, private readonly voiceWarp = 0) {
    if (train.length === 0 || heldOut.length === 0) throw new DatasetError('speech training needs utterances on both sides of the split');
    this.itemsPerBatch = batchSize;
  }

  trainBatch(step: number, seed: number): SpeechBatch {
    const rng = new Rng(deriveSeed(seed, 'batch', step));
    return stackUtterances(Array.from({ length: this.batchSize }, () => augment(this.train[rng.int(this.train.length)], rng, this.voiceWarp)));
  }

  evalBatches(split: 'train' | 'heldOut', count: number): SpeechBatch[] {
    const items = split === 'train' ? this.train : this.heldOut;
    const rng = new Rng(deriveSeed(0, 'eval', split));
    return Array.from({ length: count }, () => stackUtterances(Array.from({ length: this.batchSize }, () => items[rng.int(items.length)])));
  }
}

/**
 * Training-time augmentation, seeded by the step: a tempo change (the frames stretched or squeezed by 0.7-1.3,
 * linear interpolation; speakers differ most in speed), with `voiceWarp` > 0 a vocal tract warp (the mel axis
 * read at frequencies scaled by 1 +- voiceWarp, Jaitly & Hinton 2013: speakers differ next in formants), and a
 * band of up to 6 mel filters and a stretch of up to 8 frames masked (SpecAugment, Park et al. 2019), so no
 * single band or moment carries a word. An utterance that the stretch would make too short for its
 * transcript keeps its tempo. Without the warp the random draws are those of engram before it had one.
 */
export function augment(item: SpeechItem, rng: Rng, voiceWarp = 0): SpeechItem {
  const rate = 0.7 + 0.6 * rng.next();
  let frames = Math.max(1, Math.round(item.frames * rate));
  if (!fitsCtc({ ...item, frames })) frames = item.frames;
  const positions = voiceWarp > 0 ? warpedMelPositions(1 + voiceWarp * (2 * rng.next() - 1)) : undefined;
  const features = new Float32Array(frames * MEL_BINS);
  for (let f = 0; f < frames; f++) {
    const at = frames === 1 ? 0 : (f * (item.frames - 1)) / (frames - 1);
    const lo = Math.floor(at);
    const hi = Math.min(item.frames - 1, lo + 1);
    const w = at - lo;
    for (let m = 0; m < MEL_BINS; m++) {
      const bin = positions ? positions[m] : m;
      const below = Math.floor(bin);
      const above = Math.min(MEL_BINS - 1, below + 1);
      const v = bin - below;
      const read = (frame: number) => (1 - v) * item.features[frame * MEL_BINS + below] + v * item.features[frame * MEL_BINS + above];
      features[f * MEL_BINS + m] = (1 - w) * read(lo) + w * read(hi);
    }
  }
  const band = rng.int(7);
  const low = rng.int(MEL_BINS - band + 1);
  for (let f = 0; f < frames; f++) features.fill(0, f * MEL_BINS + low, f * MEL_BINS + low + band);
  const span = Math.min(rng.int(9), Math.floor(frames / 4));
  const start = rng.int(Math.max(1, frames - span + 1));
  features.fill(0, start * MEL_BINS, (start + span) * MEL_BINS);
  return { features, frames, labels: item.labels };
}
