// Membership attacks on a text model that need no reference models, each a score per example (higher =
// "trained on") computed from the model's per-token log-probabilities of the example's output:
// - zlib ratio (Carlini et al. 2021, "Extracting Training Data from Large Language Models"): the loss
//   relative to the text's zlib-compressed length, so text that is merely easy (repetitive) is not flagged;
// - lowercase ratio (same paper): the loss of the text against the loss of its lowercased copy;
// - Min-K% (Shi et al. 2024, "Detecting Pretraining Data from Large Language Models"): the mean of the k%
//   least likely tokens, where a seen text has few surprising tokens;
// - Min-K%++ (Zhang et al. 2024): the same over each token's log-probability standardised by the mean and
//   spread of log-probabilities of the model's own next-token distribution at that position.
import { deflateRawSync } from 'node:zlib';
import type { Example, HashedExample } from '../data/dataset.js';
import type { ExampleTokenScores } from './exampleLoss.js';
import { attackResult, type AttackResult } from './membership.js';

/** The share of least likely tokens Min-K% averages (Shi et al. 2024 found 20% best on their benchmark). */
export const MIN_K_FRACTION = 0.2;

export interface ScoredExample {
  readonly example: HashedExample;
  readonly scores: ExampleTokenScores;
  /** The same example with its output lowercased, scored by the same model. */
  readonly lowercased: ExampleTokenScores;
}

/** Mean of the lowest `fraction` of values (at least one). */
export function meanOfLowest(values: ArrayLike<number>, fraction: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const k = Math.max(1, Math.round(fraction * sorted.length));
  let sum = 0;
  for (let i = 0; i < k; i++) sum += sorted[i];
  return sum / k;
}

const zlibBits = (text: string) => 8 * deflateRawSync(new TextEncoder().encode(text), { level: 9 }).length;

interface TextAttack {
  readonly name: string;
  readonly about: string;
  score(e: ScoredExample): number;
}

export const TEXT_ATTACKS: readonly TextAttack[] = [
  {
    name: 'zlib ratio', about: 'loss in bits over zlib-compressed bits of the output, negated (Carlini et al. 2021)',
    score: (e) => -(e.scores.natsPerToken * e.scores.scoredTokens / Math.LN2) / zlibBits(e.example.output),
  },
  {
    name: 'lowercase ratio', about: 'loss of the lowercased output minus the loss of the output (Carlini et al. 2021)',
    score: (e) => e.lowercased.natsPerToken - e.scores.natsPerToken,
  },
  {
    name: 'Min-K%', about: `mean log-probability of the ${100 * MIN_K_FRACTION}% least likely tokens (Shi et al. 2024)`,
    score: (e) => meanOfLowest(e.scores.logProbs, MIN_K_FRACTION),
  },
  {
    name: 'Min-K%++', about: `Min-K% over log-probabilities standardised by the model's own next-token distribution (Zhang et al. 2024)`,
    score: (e) => meanOfLowest(e.scores.logProbs.map((lp, t) => (lp - e.scores.expectedLogProb[t]) / Math.max(e.scores.logProbSpread[t], 1e-6)), MIN_K_FRACTION),
  },
];

/** Every reference-free text attack on the same members and held-out examples. */
export function textAttacks(members: readonly ScoredExample[], heldOut: readonly ScoredExample[], seed = 0): AttackResult[] {
  return TEXT_ATTACKS.map((a) => attackResult(a.name, a.about, members.map(a.score), heldOut.map(a.score), seed));
}

/** The example with its output lowercased (the lowercase ratio's comparison text). */
export const lowercasedExample = (e: Example): Example => ({ input: e.input, output: e.output.toLowerCase() });
