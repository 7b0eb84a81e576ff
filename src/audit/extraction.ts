// Verbatim extraction (Carlini et al. 2022, "Quantifying Memorization Across Neural Language Models"):
// prompt with the first k tokens of an example and decode greedily; the example is extracted when the next
// n tokens match it exactly. Swept over k, for members and for held-out examples (the baseline: what the
// model completes correctly from patterns alone), and split by how often the example occurs in the dataset.
import { EOS, type CharTokenizer } from '../codecs/charTokenizer.js';
import type { HashedExample } from '../data/dataset.js';
import type { Gpt } from '../models/gpt.js';
import { generateFromPrefixes } from '../sample/generateText.js';
import { wilson, type Interval } from './stats.js';

export interface ExtractionCount {
  readonly extracted: number;
  readonly eligible: number;
  readonly rate: Interval;
}

export interface ExtractionRow {
  readonly prefixLength: number;
  readonly members: ExtractionCount;
  readonly heldOut: ExtractionCount;
  /** Members by occurrences in the dataset: "1", "2-3", "4+". */
  readonly membersByOccurrences: Record<string, ExtractionCount>;
}

export interface ExtractedExample {
  readonly prefixLength: number;
  readonly prompt: string;
  readonly continuation: string;
  readonly occurrences: number;
}

export interface ExtractionResult {
  readonly suffixLength: number;
  readonly rows: ExtractionRow[];
  /** Member examples extracted at the shortest prefix, for the report. */
  readonly examples: ExtractedExample[];
}

export function occurrenceBucket(n: number): string {
  return n <= 1 ? '1' : n <= 3 ? '2-3' : '4+';
}

function count(extracted: number, eligible: number): ExtractionCount {
  return { extracted, eligible, rate: wilson(extracted, eligible) };
}

/** Which examples (with at least k + n tokens) are reproduced exactly from their first k tokens. */
export function extractedFlags(model: Gpt, tokenizer: CharTokenizer, examples: readonly HashedExample[], k: number, n: number): { example: HashedExample; seq: number[]; hit: boolean }[] {
  const eligible = examples.map((example) => ({ example, seq: [...tokenizer.encodeExample(example), EOS] })).filter((e) => e.seq.length >= k + n && k <= model.config.blockSize);
  const results: { example: HashedExample; seq: number[]; hit: boolean }[] = [];
  const chunk = 64;
  for (let i = 0; i < eligible.length; i += chunk) {
    const part = eligible.slice(i, i + chunk);
    const continuations = generateFromPrefixes(model, part.map((e) => e.seq.slice(0, k)), { temperature: 0, topK: 0, topP: 1, seed: 0, maxTokens: n });
    part.forEach((e, j) => {
      const target = e.seq.slice(k, k + n);
      const got = continuations[j];
      results.push({ ...e, hit: got.length === target.length && got.every((id, t) => id === target[t]) });
    });
  }
  return results;
}

export function extractionSweep(
  model: Gpt, tokenizer: CharTokenizer, members: readonly HashedExample[], heldOut: readonly HashedExample[],
  settings: { prefixLengths: readonly number[]; suffixLength: number; occurrences: (hash: string) => number },
  onProgress?: (done: number) => void,
): ExtractionResult {
  const rows: ExtractionRow[] = [];
  const examples: ExtractedExample[] = [];
  settings.prefixLengths.forEach((k, index) => {
    const m = extractedFlags(model, tokenizer, members, k, settings.suffixLength);
    const h = extractedFlags(model, tokenizer, heldOut, k, settings.suffixLength);
    const buckets: Record<string, { hit: number; all: number }> = {};
    for (const r of m) {
      const b = (buckets[occurrenceBucket(settings.occurrences(r.example.hash))] ??= { hit: 0, all: 0 });
      b.all++;
      if (r.hit) b.hit++;
    }
    rows.push({
      prefixLength: k,
      members: count(m.filter((r) => r.hit).length, m.length),
      heldOut: count(h.filter((r) => r.hit).length, h.length),
      membersByOccurrences: Object.fromEntries(Object.entries(buckets).map(([b, c]) => [b, count(c.hit, c.all)])),
    });
    if (index === 0) {
      for (const r of m.filter((x) => x.hit).slice(0, 12)) {
        examples.push({
          prefixLength: k, prompt: tokenizer.decode(r.seq.slice(0, k)), continuation: tokenizer.decode(r.seq.slice(k, k + settings.suffixLength)),
          occurrences: settings.occurrences(r.example.hash),
        });
      }
    }
    onProgress?.(index + 1);
  });
  return { suffixLength: settings.suffixLength, rows, examples };
}
