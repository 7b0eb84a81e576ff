// A speech model's per-frame logits for each of a list of utterances, computed in batches of 16: what every
// way of reading a recogniser's output (decoding, choosing a voice's warp, models heard together) starts from.
import { ops } from '../engine/index.js';
import { BLANK, encodeTranscript } from '../codecs/ctcAlphabet.js';
import { TIME_REDUCTION, type SpeechModel } from '../models/speech.js';
import { stackUtterances } from '../train/speechBatches.js';

export type UtteranceFrames = { readonly features: Float32Array; readonly frames: number };

/** Calls `visit` for each utterance in order with the logits [outputFrames, V] found at `offset` in `values`. */
export function forEachUtteranceLogits(model: SpeechModel, utterances: readonly UtteranceFrames[], visit: (values: Float32Array, outputFrames: number, offset: number) => void): void {
  const V = model.config.vocabSize;
  for (let i = 0; i < utterances.length; i += 16) {
    const batch = stackUtterances(utterances.slice(i, i + 16).map((u) => ({ ...u, labels: new Int32Array() })));
    const logits = model.logits(batch.features, batch.batchSize, batch.time, batch.outputFrames);
    const values = logits.toArray();
    logits.dispose();
    const T = batch.time / TIME_REDUCTION;
    for (let b = 0; b < batch.batchSize; b++) visit(values, batch.outputFrames[b], b * T * V);
  }
}

/** A deterministic decoding of one utterance's logits [frames, V] at `offset`: the transcripts it proposes, best first. */
export type ProposeFrames = (logits: Float32Array, frames: number, V: number, offset: number) => readonly string[];

/** What a model makes of one recording: its per-frame log-probabilities and the transcripts it proposes. */
export interface Reading {
  readonly logProbs: Float64Array;
  readonly frames: number;
  /** Most probable first (by the model and any language model); one, the greedy path's, without a search. */
  readonly candidates: readonly string[];
}

export interface HeardVoice {
  readonly readings: Reading[];
  /** Mean over every output frame of the log-probability of the first candidates (all their alignments, CTC). */
  readonly score: number;
}

/** A voice's recordings read by `propose`, and how probable the model finds what it wrote first. */
export function readUtterances(model: SpeechModel, utterances: readonly UtteranceFrames[], propose: ProposeFrames): HeardVoice {
  const V = model.config.vocabSize;
  const readings: Reading[] = [];
  let total = 0;
  let frames = 0;
  forEachUtteranceLogits(model, utterances, (values, outputFrames, offset) => {
    const logProbs = ops.logProbabilities(values, outputFrames, V, offset);
    const candidates = propose(values, outputFrames, V, offset);
    readings.push({ logProbs, frames: outputFrames, candidates });
    total -= ops.ctcExample(logProbs, outputFrames, V, encodeTranscript(candidates[0] ?? ''), BLANK, false).loss;
    frames += outputFrames;
  });
  return { readings, score: total / frames };
}

/** The first candidate of each reading: what a single model writes. */
export const firstCandidates = (readings: readonly Reading[]): string[] => readings.map((r) => r.candidates[0] ?? '');
