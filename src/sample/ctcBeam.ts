// CTC prefix beam search (Hannun et al. 2014, "First-pass large vocabulary continuous speech recognition
// using bi-directional recurrent DNNs"; without a language model): keeps the `width` most probable
// transcripts so far, each with the probability of all frame paths that collapse to it, split by whether the
// path ends in a blank (so a repeated letter after a blank starts a new letter, and without one merges).
// Greedy decoding follows the single most likely path; this sums over paths, which can change the answer
// when many unlikely paths agree on one transcript. With a lexicon, a prefix survives only while it spells
// words of the lexicon (a word list, as a speech recogniser's pronunciation dictionary limits what it may
// write), and the answer must end on a whole word: the model still scores letters, the lexicon only says
// which spellings count.
import { ops } from '../engine/index.js';
import { BLANK, CTC_CHARACTERS } from '../codecs/ctcAlphabet.js';
import { normaliseTranscript } from '../data/speech.js';
import { DatasetError } from '../errors.js';

interface Beam {
  readonly labels: number[];
  /** log P(paths collapsing to labels that end in a blank), and in a letter. */
  blank: number;
  letter: number;
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

/** The most probable transcript of `frames` rows of logits [frames, V] starting at `offset`, by prefix beam search. */
export function beamSearchFrames(logits: Float32Array, frames: number, V: number, offset: number, width: number, lexicon?: Lexicon): string {
  let beams = new Map<string, Beam>([['', { labels: [], blank: 0, letter: -Infinity }]]);
  const logProbs = ops.logProbabilities(logits, frames, V, offset);
  for (let t = 0; t < frames; t++) {
    const p = (v: number) => logProbs[t * V + v];
    const next = new Map<string, Beam>();
    const at = (labels: number[]) => {
      const key = labels.join(',');
      let beam = next.get(key);
      if (!beam) next.set(key, (beam = { labels, blank: -Infinity, letter: -Infinity }));
      return beam;
    };
    for (const beam of beams.values()) {
      const stay = at(beam.labels);
      stay.blank = logAdd(stay.blank, total(beam) + p(BLANK));
      const last = beam.labels.at(-1);
      const word = lexicon ? partialWord(beam.labels) : '';
      for (let v = 0; v < V; v++) {
        if (v === BLANK) continue;
        const grows = !lexicon || allowed(lexicon, word, v);
        if (v === last) {
          // The same letter again merges with the last one, unless a blank came between them.
          stay.letter = logAdd(stay.letter, beam.letter + p(v));
          if (grows) {
            const extended = at([...beam.labels, v]);
            extended.letter = logAdd(extended.letter, beam.blank + p(v));
          }
        } else if (grows) {
          const extended = at([...beam.labels, v]);
          extended.letter = logAdd(extended.letter, total(beam) + p(v));
        }
      }
    }
    beams = new Map([...next].sort((a, b) => total(b[1]) - total(a[1])).slice(0, width));
  }
  const finished = [...beams.values()].filter((b) => !lexicon || lexicon.words.has(partialWord(b.labels)));
  // Every beam still inside a word: the whole words fell out of the beam, so search again wider.
  if (finished.length === 0) return lexicon && width < MAX_LEXICON_WIDTH ? beamSearchFrames(logits, frames, V, offset, width * 4, lexicon) : '';
  const best = finished.reduce((a, b) => (total(b) > total(a) ? b : a));
  return best.labels.map((v) => CTC_CHARACTERS[v - 1]).join('');
}
