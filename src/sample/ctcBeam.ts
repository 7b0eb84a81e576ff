// CTC prefix beam search (Hannun et al. 2014, "First-pass large vocabulary continuous speech recognition
// using bi-directional recurrent DNNs"; without a language model): keeps the `width` most probable
// transcripts so far, each with the probability of all frame paths that collapse to it, split by whether the
// path ends in a blank (so a repeated letter after a blank starts a new letter, and without one merges).
// Greedy decoding follows the single most likely path; this sums over paths, which can change the answer
// when many unlikely paths agree on one transcript.
import { ops } from '../engine/index.js';
import { BLANK, CTC_CHARACTERS } from '../codecs/ctcAlphabet.js';

interface Beam {
  readonly labels: number[];
  /** log P(paths collapsing to labels that end in a blank), and in a letter. */
  blank: number;
  letter: number;
}

const logAdd = (a: number, b: number) => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));
const total = (b: Beam) => logAdd(b.blank, b.letter);

/** The most probable transcript of `frames` rows of logits [frames, V] starting at `offset`, by prefix beam search. */
export function beamSearchFrames(logits: Float32Array, frames: number, V: number, offset: number, width: number): string {
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
      for (let v = 0; v < V; v++) {
        if (v === BLANK) continue;
        const extended = at([...beam.labels, v]);
        if (v === last) {
          // The same letter again merges with the last one, unless a blank came between them.
          stay.letter = logAdd(stay.letter, beam.letter + p(v));
          extended.letter = logAdd(extended.letter, beam.blank + p(v));
        } else {
          extended.letter = logAdd(extended.letter, total(beam) + p(v));
        }
      }
    }
    beams = new Map([...next].sort((a, b) => total(b[1]) - total(a[1])).slice(0, width));
  }
  const best = [...beams.values()].reduce((a, b) => (total(b) > total(a) ? b : a));
  return best.labels.map((v) => CTC_CHARACTERS[v - 1]).join('');
}
