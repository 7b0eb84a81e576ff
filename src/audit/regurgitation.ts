// Regurgitation in free generation: sample without a prompt at several temperatures and measure, for each
// sample, the longest substring that occurs verbatim in the training set and the fraction of its characters
// inside such matches of length >= L. Baseline: the same statistics for held-out examples, which were never
// trained on but share the training set's language (Carlini et al. 2021 "Extracting Training Data from
// Large Language Models"; McCoy et al. 2023 "How much do language models copy from their training data?").
import { EOS, type CharTokenizer } from '../codecs/charTokenizer.js';
import type { Example } from '../data/dataset.js';
import type { Gpt } from '../models/gpt.js';
import { generateFromPrefixes } from '../sample/generateText.js';
import { mean } from './stats.js';
import { SuffixArray } from './suffixArray.js';

export const MATCH_THRESHOLDS = [16, 32, 64] as const;

/** An example as one line of the training text the suffix array is built over. */
export function exampleText(e: Example): string {
  return `${e.input}\t${e.output}\n`;
}

export interface MatchStats {
  readonly texts: number;
  readonly meanLongest: number;
  readonly medianLongest: number;
  readonly longest: readonly number[];
  /** Fraction of characters inside a verbatim match of length >= L, per threshold. */
  readonly coverage: Record<string, number>;
}

export interface RegurgitationCase {
  readonly temperature: number;
  readonly generated: string;
  readonly match: string;
  readonly trainingExample: string;
}

export interface RegurgitationResult {
  readonly samplesPerTemperature: number;
  readonly byTemperature: { readonly temperature: number; readonly stats: MatchStats }[];
  readonly heldOut: MatchStats;
  readonly worst: RegurgitationCase[];
}

interface Scored {
  readonly text: string;
  readonly longest: number;
  readonly longestAt: number; // position in the training text
  readonly longestFrom: number; // position in `text`
  readonly covered: Record<string, number>;
}

function score(index: SuffixArray, text: string): Scored {
  const { lengths, at } = index.matchLengths(text);
  let longest = 0;
  let from = 0;
  lengths.forEach((l, i) => {
    if (l > longest) [longest, from] = [l, i];
  });
  const covered: Record<string, number> = {};
  for (const L of MATCH_THRESHOLDS) {
    const inside = new Uint8Array(text.length);
    lengths.forEach((l, i) => {
      if (l >= L) inside.fill(1, i, i + l);
    });
    covered[L] = inside.reduce((a, b) => a + b, 0);
  }
  return { text, longest, longestAt: longest > 0 ? at[from] : -1, longestFrom: from, covered };
}

function summarise(scored: readonly Scored[]): MatchStats {
  const longest = scored.map((s) => s.longest);
  const sorted = [...longest].sort((a, b) => a - b);
  const chars = scored.reduce((n, s) => n + s.text.length, 0);
  const coverage = Object.fromEntries(MATCH_THRESHOLDS.map((L) => [L, scored.reduce((n, s) => n + s.covered[L], 0) / Math.max(chars, 1)]));
  return { texts: scored.length, meanLongest: mean(longest), medianLongest: sorted[Math.floor(sorted.length / 2)] ?? 0, longest, coverage };
}

export function regurgitation(
  model: Gpt, tokenizer: CharTokenizer, train: readonly Example[], heldOut: readonly Example[],
  settings: { temperatures: readonly number[]; samples: number; maxTokens: number; seed: number },
  onProgress?: (stage: string, done: number, total: number) => void,
): RegurgitationResult {
  onProgress?.('suffix array over the training text', 0, 1);
  const trainText = train.map(exampleText).join('');
  const starts = new Int32Array(train.length);
  let offset = 0;
  train.forEach((e, i) => {
    starts[i] = offset;
    offset += exampleText(e).length;
  });
  const index = SuffixArray.fromText(trainText);
  onProgress?.('suffix array over the training text', 1, 1);
  const exampleAt = (position: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= position) lo = mid;
      else hi = mid - 1;
    }
    return exampleText(train[lo]).trimEnd();
  };

  const all: { temperature: number; scored: Scored }[] = [];
  const byTemperature = settings.temperatures.map((temperature, t) => {
    const prefixes = Array.from({ length: settings.samples }, () => [EOS]);
    const generated = generateFromPrefixes(model, prefixes, { temperature, topK: 0, topP: 1, seed: settings.seed + t, maxTokens: settings.maxTokens });
    const scored = generated.map((ids) => score(index, tokenizer.decodeWithSeparators(ids).replace(/\n$/, '')));
    scored.forEach((s) => all.push({ temperature, scored: s }));
    onProgress?.('free generation', t + 1, settings.temperatures.length);
    return { temperature, stats: summarise(scored) };
  });
  const heldOutStats = summarise(heldOut.map((e) => score(index, exampleText(e).trimEnd())));
  const worst = all.sort((a, b) => b.scored.longest - a.scored.longest).slice(0, 8).filter((w) => w.scored.longest > 0).map(({ temperature, scored }) => ({
    temperature,
    generated: scored.text,
    match: scored.text.slice(scored.longestFrom, scored.longestFrom + scored.longest),
    trainingExample: exampleAt(scored.longestAt),
  }));
  return { samplesPerTemperature: settings.samples, byTemperature, heldOut: heldOutStats, worst };
}
