// A speech model's per-frame logits for each of a list of utterances, computed in batches of 16: what every
// way of reading a recogniser's output (decoding, choosing a voice's warp) starts from.
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
