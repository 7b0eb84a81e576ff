// CTC prefix beam search (Hannun et al. 2014, "First-pass large vocabulary continuous speech recognition
// using bi-directional recurrent DNNs"): keeps the `width` most probable
// transcripts so far, each with the probability of all frame paths that collapse to it, split by whether the
// path ends in a blank (so a repeated letter after a blank starts a new letter, and without one merges).
// Greedy decoding follows the single most likely path; this sums over paths, which can change the answer
// when many unlikely paths agree on one transcript. With a lexicon, a prefix survives only while it spells
// words of the lexicon (a word list, as a speech recogniser's pronunciation dictionary limits what it may
// write), and the answer must end on a whole word: the model still scores letters, the lexicon only says
// which spellings count. With a character language model (charNgram.ts), each new letter's log-probability
// under it, times a weight, plus a bonus per letter (so shorter transcripts are not favoured for having fewer
// factors), is added to the acoustic score (shallow fusion, Hannun et al. 2014, eq. 3); it forbids nothing.
import { ops } from '../engine/index.js';
import { BLANK, CTC_CHARACTERS } from '../codecs/ctcAlphabet.js';
import { normaliseTranscript } from '../data/speech.js';
import { DatasetError } from '../errors.js';
import { END, trainCharNgram, type CharNgramModel } from '../models/charNgram.js';

interface Beam {
  readonly labels: number[];
  /** log P(paths collapsing to labels that end in a blank), and in a letter. */
  blank: number;
  letter: number;
  /** The language model's weighted log-probability of `labels` plus the letter bonuses (0 without one). */
  readonly fused: number;
}

/** A character language model fused into the search: score = log P_acoustic + weight x log P_lm + bonus x letters. */
export interface LanguageModelFusion {
  readonly model: CharNgramModel;
  readonly weight: number;
  readonly bonus: number;
}

export interface BeamOptions {
  readonly width: number;
  readonly lexicon?: Lexicon;
  readonly languageModel?: LanguageModelFusion;
}

/** Words a lexicon-constrained search may write, with every prefix of every word. */
export interface Lexicon {
  readonly words: ReadonlySet<string>;
  readonly prefixes: ReadonlySet<string>;
}

export function makeLexicon(words: Iterable<string>): Lexicon {
  const set = new Set([...words].filter((w) => /^[a-z']+$/.test(w)));
  const prefixes = new Set<string>();
  for (const w of set) for (let i = 0; i <= w.length; i++) prefixes.add(w.slice(0, i));
  return { words: set, prefixes };
}

/** Shallow fusion's settings; chosen on the 150-voice WordNet nouns' unseen voices (README "Speech to text"). */
export const LANGUAGE_MODEL_DEFAULTS = { order: 8, weight: 1, bonus: 2 } as const;

/** A character language model counted from texts (each normalised as transcripts are), fused with these settings. */
export function languageModelFrom(texts: Iterable<string>, source: string, o: Partial<Omit<LanguageModelFusion, 'model'> & { order: number }> = {}): LanguageModelFusion {
  const { order, weight, bonus } = { ...LANGUAGE_MODEL_DEFAULTS, ...o };
  const normalised = [...texts].map(normaliseTranscript).filter(Boolean);
  if (normalised.length === 0) throw new DatasetError(`${source} has no text for a language model: none of its lines has a letter`);
  return { model: trainCharNgram(normalised, order, CTC_CHARACTERS), weight, bonus };
}

/** A word list as a person writes it (words separated by spaces or new lines, any case), for --lexicon and the studio. */
export function parseLexicon(text: string, source: string): Lexicon {
  const lexicon = makeLexicon(text.split(/\s+/).map(normaliseTranscript).filter(Boolean));
  if (lexicon.words.size === 0) throw new DatasetError(`${source} lists no words (letters and apostrophes, separated by spaces or new lines)`);
  return lexicon;
}

const SPACE = CTC_CHARACTERS.indexOf(' ') + 1;
const partialWord = (labels: readonly number[]) => {
  const from = labels.lastIndexOf(SPACE) + 1;
  return labels.slice(from).map((v) => CTC_CHARACTERS[v - 1]).join('');
};

/** May a transcript whose last (partial) word is `word` grow by `v` and still spell lexicon words? */
function allowed(lexicon: Lexicon, word: string, v: number): boolean {
  if (v === SPACE) return lexicon.words.has(word);
  return lexicon.prefixes.has(word + CTC_CHARACTERS[v - 1]);
}

/** The widest search a lexicon's retries go to before giving up with an empty transcript. */
const MAX_LEXICON_WIDTH = 256;

const logAdd = (a: number, b: number) => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));
const total = (b: Beam) => logAdd(b.blank, b.letter);

const textOf = (labels: readonly number[]) => labels.map((v) => CTC_CHARACTERS[v - 1]).join('');

/**
 * A score below which a transcript that is not yet a beam cannot be among the next frame's `width` best, so
 * the search need not build it (nor ask the language model about it): each beam staying as it is scores at
 * least its own blank and repeated-letter paths (other paths can only add), so the width-th best of those is
 * a floor under the width-th best next beam. A new transcript has one parent, so its score is exactly its
 * parent's paths plus the letter, and the language model's log-probability is at most 0 (weight >= 0). The
 * search keeps the same beams as without the skip, in the same order.
 */
function survivalFloor(beams: ReadonlyMap<string, Beam>, p: (v: number) => number, width: number): number {
  if (beams.size < width) return -Infinity;
  const stays = [...beams.values()].map((b) => logAdd(total(b) + p(BLANK), b.labels.length > 0 ? b.letter + p(b.labels.at(-1)!) : -Infinity) + b.fused);
  // Less a margin far above rounding, so a sum computed in another order is never wrongly below it.
  return stays.sort((a, b) => b - a)[width - 1] - 1e-9;
}

/** A whole transcript's language-model score as the search adds it up: weighted log-probabilities of its letters and its end, plus a bonus per letter. */
export function fusedScore(lm: LanguageModelFusion, text: string): number {
  let score = lm.weight * lm.model.logProb(text, END);
  for (let i = 0; i < text.length; i++) score += lm.weight * lm.model.logProb(text.slice(0, i), text[i]) + lm.bonus;
  return score;
}

/** The most probable transcript of `frames` rows of logits [frames, V] starting at `offset`, by prefix beam search. */
export function beamSearchFrames(logits: Float32Array, frames: number, V: number, offset: number, o: BeamOptions): string {
  return beamSearchCandidates(logits, frames, V, offset, o)[0] ?? '';
}

/** The transcripts left in the beam at the last frame (whole lexicon words only), most probable first. */
export function beamSearchCandidates(logits: Float32Array, frames: number, V: number, offset: number, o: BeamOptions): string[] {
  const { lexicon, languageModel: lm } = o;
  const ranked = (b: Beam) => total(b) + b.fused;
  let beams = new Map<string, Beam>([['', { labels: [], blank: 0, letter: -Infinity, fused: 0 }]]);
  const logProbs = ops.logProbabilities(logits, frames, V, offset);
  for (let t = 0; t < frames; t++) {
    const p = (v: number) => logProbs[t * V + v];
    const next = new Map<string, Beam>();
    const floor = survivalFloor(beams, p, o.width);
    // Beams that are another beam plus one letter: the paths into them from their parent are never skipped.
    const children = new Map<string, Set<number>>();
    for (const { labels } of beams.values()) {
      const parent = labels.slice(0, -1).join(',');
      if (labels.length > 0) children.set(parent, (children.get(parent) ?? new Set()).add(labels.at(-1)!));
    }
    // `fused`: the parent's language-model score plus, for a new letter, that letter's.
    const at = (labels: number[], fused: number) => {
      const key = labels.join(',');
      let beam = next.get(key);
      if (!beam) next.set(key, (beam = { labels, blank: -Infinity, letter: -Infinity, fused }));
      return beam;
    };
    for (const [key, beam] of beams) {
      const stay = at(beam.labels, beam.fused);
      const context = lm ? textOf(beam.labels) : '';
      const grown = (v: number) => (lm ? beam.fused + lm.weight * lm.model.logProb(context, CTC_CHARACTERS[v - 1]) + lm.bonus : 0);
      stay.blank = logAdd(stay.blank, total(beam) + p(BLANK));
      const last = beam.labels.at(-1);
      const word = lexicon ? partialWord(beam.labels) : '';
      for (let v = 0; v < V; v++) {
        if (v === BLANK) continue;
        // A new transcript below the floor cannot be kept (see survivalFloor): skip it, and its language model score.
        const acoustic = (v === last ? beam.blank : total(beam)) + p(v);
        if (acoustic + beam.fused + (lm ? lm.bonus : 0) < floor && !children.get(key)?.has(v)) {
          if (v === last) stay.letter = logAdd(stay.letter, beam.letter + p(v));
          continue;
        }
        const grows = !lexicon || allowed(lexicon, word, v);
        if (v === last) {
          // The same letter again merges with the last one, unless a blank came between them.
          stay.letter = logAdd(stay.letter, beam.letter + p(v));
          if (grows) {
            const extended = at([...beam.labels, v], grown(v));
            extended.letter = logAdd(extended.letter, beam.blank + p(v));
          }
        } else if (grows) {
          const extended = at([...beam.labels, v], grown(v));
          extended.letter = logAdd(extended.letter, total(beam) + p(v));
        }
      }
    }
    beams = new Map([...next].sort((a, b) => ranked(b[1]) - ranked(a[1])).slice(0, o.width));
  }
  const finished = [...beams.values()].filter((b) => !lexicon || lexicon.words.has(partialWord(b.labels)));
  // Every beam still inside a word: the whole words fell out of the beam, so search again wider.
  if (finished.length === 0) return lexicon && o.width < MAX_LEXICON_WIDTH ? beamSearchCandidates(logits, frames, V, offset, { ...o, width: o.width * 4 }) : [];
  // The language model also says how likely the transcript is to end here.
  const final = (b: Beam) => ranked(b) + (lm ? lm.weight * lm.model.logProb(textOf(b.labels), END) : 0);
  return finished.map((b) => ({ text: textOf(b.labels), score: final(b) })).sort((a, b) => b.score - a.score).map((c) => c.text);
}
