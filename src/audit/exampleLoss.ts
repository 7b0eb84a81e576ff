// Per-example loss of a text model: the mean negative log-likelihood (nats per character) of an example's
// output given its input, the quantity the loss-threshold membership attack and the code length build on.
import { EOS, SEP, type CharTokenizer } from '../codecs/charTokenizer.js';
import type { Example } from '../data/dataset.js';
import type { Gpt } from '../models/gpt.js';

export interface ExampleLoss {
  /** Mean nats per scored token (output characters and the closing <eos>). */
  readonly natsPerToken: number;
  readonly scoredTokens: number;
}

/**
 * The part of an example's tokens ([<eos>, input, <sep>, output, <eos>]) the model reads: all of it when it
 * fits the context (blockSize + 1 tokens: blockSize predictions), else the window that keeps <sep> and as
 * much of the output as fits, cutting the input from the left (and, for an output longer than the
 * context, the output's end). Cutting from the right instead would score input characters.
 */
export function scoredWindow(tokens: readonly number[], limit: number): number[] {
  if (tokens.length <= limit) return [...tokens];
  const sep = tokens.indexOf(SEP);
  const start = Math.max(0, Math.min(sep, tokens.length - limit));
  return tokens.slice(start, start + limit);
}

/** Scores examples in batches; see scoredWindow for sequences longer than the context. */
export function exampleLosses(model: Gpt, tokenizer: CharTokenizer, examples: readonly Example[], batchSize = 32, onBatch?: (done: number) => void): ExampleLoss[] {
  const out: ExampleLoss[] = [];
  const limit = model.config.blockSize + 1;
  for (let start = 0; start < examples.length; start += batchSize) {
    const seqs = examples.slice(start, start + batchSize).map((e) => scoredWindow([...tokenizer.encodeExample(e), EOS], limit));
    const time = Math.max(...seqs.map((s) => s.length)) - 1;
    const inputs = new Int32Array(seqs.length * time).fill(EOS);
    const targets = new Int32Array(seqs.length * time).fill(EOS);
    seqs.forEach((s, b) => {
      inputs.set(s.slice(0, -1), b * time);
      targets.set(s.slice(1), b * time);
    });
    const losses = model.tokenLosses({ batchSize: seqs.length, time, inputs, targets }, { training: false, seed: 0 });
    const values = losses.toArray();
    losses.dispose();
    seqs.forEach((s, b) => {
      // Score the targets after <sep>: the output characters and the <eos> that ends them.
      const first = s.indexOf(SEP); // target index t predicts s[t + 1]
      let total = 0;
      let count = 0;
      for (let t = Math.max(first, 0); t < s.length - 1; t++) {
        total += values[b * time + t];
        count++;
      }
      out.push({ natsPerToken: count > 0 ? total / count : NaN, scoredTokens: count });
    });
    onBatch?.(Math.min(start + batchSize, examples.length));
  }
  return out;
}
