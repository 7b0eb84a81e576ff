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
  /** Which index found the matches; matches shorter than exactFrom characters count as 0. */
  readonly index: { readonly engine: string; readonly exactFrom: number };
}

interface Scored {
  readonly text: string;
  readonly longest: number;
  readonly longestAt: number; // position in the training text
  readonly longestFrom: number; // position in `text`
  readonly covered: Record<string, number>;
}

function score({ lengths, at }: { lengths: Int32Array; at: Int32Array }, text: string): Scored {
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

/**
 * Where verbatim matches with the training text are looked up: a suffix array in memory (every length), or an
 * on-disk n-gram index for corpora too large for that (src/audit/indexes/), exact from `exactFrom` characters.
 */
export interface VerbatimIndex {
  readonly engine: string;
  /** Matches shorter than this are not seen (reported as 0); 1 for the suffix array. */
  readonly exactFrom: number;
  /** For each text, per position the longest match with the training text starting there, and where it is. */
  matchLengths(texts: readonly string[]): Promise<{ lengths: Int32Array; at: Int32Array }[]>;
  /** The training example (one line, input<TAB>output) around a position of the training text. */
  exampleAt(position: number): Promise<string>;
}

/** The training text (examples joined as exampleText) in a suffix array in memory. */
export function memoryVerbatimIndex(train: readonly Example[]): VerbatimIndex {
  const index = SuffixArray.fromText(train.map(exampleText).join(''));
  const starts = new Int32Array(train.length);
  let offset = 0;
  train.forEach((e, i) => {
    starts[i] = offset;
    offset += exampleText(e).length;
  });
  return {
    engine: 'memory (suffix array)', exactFrom: 1,
    matchLengths: async (texts) => texts.map((t) => index.matchLengths(t)),
    exampleAt: async (position) => {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (starts[mid] <= position) lo = mid;
        else hi = mid - 1;
      }
      return exampleText(train[lo]).trimEnd();
    },
  };
}

export async function regurgitation(
  model: Gpt, tokenizer: CharTokenizer, index: VerbatimIndex, heldOut: readonly Example[],
  settings: { temperatures: readonly number[]; samples: number; maxTokens: number; seed: number },
  onProgress?: (stage: string, done: number, total: number) => void,
): Promise<RegurgitationResult> {
  const scoreAll = async (texts: readonly string[]) => (await index.matchLengths(texts)).map((m, i) => score(m, texts[i]));
  const all: { temperature: number; scored: Scored }[] = [];
  const byTemperature: { temperature: number; stats: MatchStats }[] = [];
  for (const [t, temperature] of settings.temperatures.entries()) {
    const prefixes = Array.from({ length: settings.samples }, () => [EOS]);
    const generated = generateFromPrefixes(model, prefixes, { temperature, topK: 0, topP: 1, seed: settings.seed + t, maxTokens: settings.maxTokens });
    const scored = await scoreAll(generated.map((ids) => tokenizer.decodeWithSeparators(ids).replace(/\n$/, '')));
    scored.forEach((s) => all.push({ temperature, scored: s }));
    onProgress?.('free generation', t + 1, settings.temperatures.length);
    byTemperature.push({ temperature, stats: summarise(scored) });
  }
  const heldOutStats = summarise(await scoreAll(heldOut.map((e) => exampleText(e).trimEnd())));
  const worst: RegurgitationCase[] = [];
  for (const { temperature, scored } of all.sort((a, b) => b.scored.longest - a.scored.longest).slice(0, 8).filter((w) => w.scored.longest > 0)) {
    const match = scored.text.slice(scored.longestFrom, scored.longestFrom + scored.longest);
    worst.push({ temperature, generated: scored.text, match, trainingExample: await index.exampleAt(scored.longestAt) });
  }
  return { samplesPerTemperature: settings.samples, byTemperature, heldOut: heldOutStats, worst, index: { engine: index.engine, exactFrom: index.exactFrom } };
}
