// Batches of utterances for the one trainer: random utterances per step (a pure function of seed and step),
// log-mel features zero-padded to the longest in the batch, rounded up to the model's time reduction.
import { deriveSeed, Rng } from '../engine/index.js';
import { DatasetError } from '../errors.js';
import { filterStatistics, MEL_BINS, standardise, standardiseWith, warpedMelPositions } from '../codecs/logMel.js';
import { TIME_REDUCTION, type SpeechBatch } from '../models/speech.js';
import type { BatchSource } from './trainer.js';
import { encodeTranscript } from '../codecs/ctcAlphabet.js';
import { voiceOf, type SpeechExample } from '../data/speech.js';

/** What a batch is made of: features and the transcript's labels. */
export interface LabelledFrames {
  readonly features: Float32Array;
  readonly frames: number;
  readonly labels: Int32Array;
}

export interface SpeechItem extends LabelledFrames {
  /** Log filter energies before standardisation, and whose voice they are: for statistics pooled in training. */
  readonly energies: Float32Array;
  readonly voice: string;
}

/** An utterance as the trainer sees it: its features and its transcript's labels. */
export const speechItem = (e: SpeechExample): SpeechItem => ({ features: e.features, frames: e.frames, labels: encodeTranscript(e.text), energies: e.energies, voice: voiceOf(e) });

/** Training-time changes to each utterance, drawn anew every step. */
export interface SpeechAugmentation {
  /** The largest vocal tract warp (0: none). */
  readonly voiceWarp?: number;
  /** SpecAugment masks of each kind. */
  readonly masks?: number;
  /** Standardise each utterance over a random group of its speaker's utterances (a speaker-standardised model). */
  readonly speakerPools?: boolean;
  /** The share of utterances trimmed close at the start (trimmedClose, 15-40 dB under their loudest frame). */
  readonly closeTrims?: number;
}

/**
 * The utterance with its start cut up to the first frame less than `belowDb` quieter than its loudest, as a
 * recording trimmed close is: the Free Spoken Digit Dataset's are (george's "two" starts 14 dB under its
 * peak, lucas's recordings 45 dB), and a quiet first consonant goes with the silence. Unchanged when what
 * is left is too short for its transcript.
 */
export function trimmedClose(item: SpeechItem, belowDb: number): SpeechItem {
  const loudness = frameLoudness(item);
  const floor = Math.max(...loudness) - (belowDb * Math.LN10) / 10;
  const first = loudness.findIndex((l) => l >= floor);
  const frames = item.frames - first;
  if (first === 0 || !fitsCtc({ frames, labels: item.labels })) return item;
  const energies = item.energies.subarray(first * MEL_BINS);
  // Standardised again as it is now heard (a speaker-standardised model's pool does this itself).
  return { ...item, frames, energies, features: standardise([{ frames, energies }])[0] };
}

const loudnessOf = new WeakMap<SpeechItem, Float64Array>();

/** Each frame's log energy summed over the filters (worked out once per utterance: trims are drawn every step). */
function frameLoudness(item: SpeechItem): Float64Array {
  let loudness = loudnessOf.get(item);
  if (!loudness) {
    loudness = Float64Array.from({ length: item.frames }, (_, f) => {
      const row = item.energies.subarray(f * MEL_BINS, (f + 1) * MEL_BINS);
      const top = Math.max(...row);
      return top + Math.log(row.reduce((sum, e) => sum + Math.exp(e - top), 0));
    });
    loudnessOf.set(item, loudness);
  }
  return loudness;
}

/**
 * A speaker-standardised model hears a voice through statistics pooled over however many of its recordings
 * there are: one file, or hundreds. Trained on statistics over the utterance and 0-63 more of its speaker's
 * (log-uniform, so a lone recording is drawn one time in ten), it hears either (measured in the README).
 */
const LARGEST_POOL = 64;

/** The utterance standardised over itself and a random number of other utterances of its voice. */
export function standardisedInPool(item: SpeechItem, voice: readonly SpeechItem[], rng: Rng): SpeechItem {
  const size = Math.round(Math.exp(rng.next() * Math.log(Math.min(voice.length, LARGEST_POOL))));
  const pool = [item, ...Array.from({ length: size - 1 }, () => voice[rng.int(voice.length)])];
  return { ...item, features: standardiseWith(item, filterStatistics(pool)) };
}

export function stackUtterances(items: readonly LabelledFrames[]): SpeechBatch {
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
export function fitsCtc(item: Pick<LabelledFrames, 'frames' | 'labels'>): boolean {
  let needed = item.labels.length;
  for (let i = 1; i < item.labels.length; i++) if (item.labels[i] === item.labels[i - 1]) needed++;
  return Math.ceil(item.frames / TIME_REDUCTION) >= needed;
}

export class SpeechBatches implements BatchSource<SpeechBatch> {
  readonly itemsPerBatch: number;

  private readonly voices = new Map<string, SpeechItem[]>();

  constructor(private readonly train: readonly SpeechItem[], private readonly heldOut: readonly SpeechItem[], private readonly batchSize: number, private readonly augmentation: SpeechAugmentation = {}) {
    if (train.length === 0 || heldOut.length === 0) throw new DatasetError('speech training needs utterances on both sides of the split');
    this.itemsPerBatch = batchSize;
    if (augmentation.speakerPools) for (const item of train) (this.voices.get(item.voice) ?? this.voices.set(item.voice, []).get(item.voice)!).push(item);
  }

  trainBatch(step: number, seed: number): SpeechBatch {
    const rng = new Rng(deriveSeed(seed, 'batch', step));
    const { voiceWarp = 0, masks = 1, speakerPools = false, closeTrims = 0 } = this.augmentation;
    return stackUtterances(Array.from({ length: this.batchSize }, () => {
      const drawn = this.train[rng.int(this.train.length)];
      // Without close trims the draws are those of engram before it had them.
      const item = closeTrims > 0 && rng.next() < closeTrims ? trimmedClose(drawn, 15 + 25 * rng.next()) : drawn;
      return augment(speakerPools ? standardisedInPool(item, this.voices.get(item.voice)!, rng) : item, rng, voiceWarp, masks);
    }));
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
export function augment(item: LabelledFrames, rng: Rng, voiceWarp = 0, masks = 1): LabelledFrames {
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
  for (let mask = 0; mask < masks; mask++) {
    const band = rng.int(7);
    const low = rng.int(MEL_BINS - band + 1);
    for (let f = 0; f < frames; f++) features.fill(0, f * MEL_BINS + low, f * MEL_BINS + low + band);
    const span = Math.min(rng.int(9), Math.floor(frames / 4));
    const start = rng.int(Math.max(1, frames - span + 1));
    features.fill(0, start * MEL_BINS, (start + span) * MEL_BINS);
  }
  return { features, frames, labels: item.labels };
}
