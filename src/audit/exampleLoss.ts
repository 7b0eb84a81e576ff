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

export interface ExampleTokenScores extends ExampleLoss {
  /** Per scored token (output characters and the closing <eos>): log p(token | everything before it). */
  readonly logProbs: Float64Array;
  /** Per scored token: mean and standard deviation of log p(z) for z drawn from the model's own next-token
   *  distribution there (Min-K%++ normalises by them, Zhang et al. 2024). */
  readonly expectedLogProb: Float64Array;
  readonly logProbSpread: Float64Array;
}

/** Scores examples in batches; see scoredWindow for sequences longer than the context. */
export function exampleLosses(model: Gpt, tokenizer: CharTokenizer, examples: readonly Example[], batchSize = 32, onBatch?: (done: number) => void): ExampleTokenScores[] {
  const out: ExampleTokenScores[] = [];
  const limit = model.config.blockSize + 1;
  const V = model.config.vocabSize;
  for (let start = 0; start < examples.length; start += batchSize) {
    const seqs = examples.slice(start, start + batchSize).map((e) => scoredWindow([...tokenizer.encodeExample(e), EOS], limit));
    const time = Math.max(...seqs.map((s) => s.length)) - 1;
    const inputs = new Int32Array(seqs.length * time).fill(EOS);
    seqs.forEach((s, b) => inputs.set(s.slice(0, -1), b * time));
    const logits = model.forward(inputs, seqs.length, time, { training: false, seed: 0 });
    const values = logits.toArray();
    logits.dispose();
    for (const [b, s] of seqs.entries()) {
      // Score the targets after <sep>: the output characters and the <eos> that ends them.
      const first = Math.max(s.indexOf(SEP), 0); // target index t predicts s[t + 1]
      const n = Math.max(s.length - 1 - first, 0);
      const scores = { logProbs: new Float64Array(n), expectedLogProb: new Float64Array(n), logProbSpread: new Float64Array(n) };
      for (let j = 0; j < n; j++) {
        const t = first + j;
        const row = values.subarray((b * time + t) * V, (b * time + t + 1) * V);
        const d = logSoftmaxMoments(row, s[t + 1]);
        scores.logProbs[j] = d.logProb;
        scores.expectedLogProb[j] = d.mean;
        scores.logProbSpread[j] = d.std;
      }
      const total = scores.logProbs.reduce((a, x) => a - x, 0);
      out.push({ ...scores, natsPerToken: n > 0 ? total / n : NaN, scoredTokens: n });
    }
    onBatch?.(Math.min(start + batchSize, examples.length));
  }
  return out;
}

/** log p(target) under softmax(row), and the mean and spread of log p(z) for z ~ softmax(row), in float64. */
function logSoftmaxMoments(row: Float32Array, target: number): { logProb: number; mean: number; std: number } {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const logZ = max + Math.log(sum);
  let mean = 0;
  let square = 0;
  for (let i = 0; i < row.length; i++) {
    const lp = row[i] - logZ;
    const p = Math.exp(lp);
    mean += p * lp;
    square += p * lp * lp;
  }
  return { logProb: row[target] - logZ, mean, std: Math.sqrt(Math.max(square - mean * mean, 0)) };
}
