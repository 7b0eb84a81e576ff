// Character-level tokenizer. The vocabulary is every character seen in the training examples plus three
// special symbols; it is stored in the weights file, so a model file alone can encode and decode.
// An example becomes  <eos> input <sep> output  and the next example's <eos> ends it.
import { InputError, WeightsFormatError } from '../errors.js';
import type { Example } from '../data/dataset.js';

export const EOS = 0; // separates examples: begins each one, and generating it ends an output
export const SEP = 1; // between input and output
export const UNK = 2; // any character outside the vocabulary
const SPECIALS = ['<eos>', '<sep>', '<unk>'] as const;

export interface CharVocabulary {
  readonly specials: readonly string[];
  readonly chars: readonly string[];
}

export class CharTokenizer {
  private readonly idOf = new Map<string, number>();

  constructor(readonly chars: readonly string[]) {
    chars.forEach((c, i) => this.idOf.set(c, SPECIALS.length + i));
  }

  static fromExamples(examples: readonly Example[]): CharTokenizer {
    const seen = new Set<string>();
    for (const e of examples) {
      for (const c of e.input) seen.add(c);
      for (const c of e.output) seen.add(c);
    }
    // Sort by code point so the same data always gives the same ids.
    return new CharTokenizer([...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  static fromJSON(vocab: CharVocabulary): CharTokenizer {
    if (!Array.isArray(vocab?.chars) || JSON.stringify(vocab.specials) !== JSON.stringify(SPECIALS)) {
      throw new WeightsFormatError('weights file has no usable character vocabulary');
    }
    return new CharTokenizer(vocab.chars);
  }

  toJSON(): CharVocabulary {
    return { specials: [...SPECIALS], chars: [...this.chars] };
  }

  get size(): number {
    return SPECIALS.length + this.chars.length;
  }

  /** Characters of `text` that are not in the vocabulary, each once, in order of appearance. */
  unknownChars(text: string): string[] {
    return [...new Set([...text].filter((c) => !this.idOf.has(c)))];
  }

  /** Encodes text; characters outside the vocabulary become <unk>. Iterates code points, not UTF-16 units. */
  encode(text: string): number[] {
    return Array.from(text, (c) => this.idOf.get(c) ?? UNK);
  }

  /** Like encode, but throws an InputError naming the characters outside the vocabulary. */
  encodeStrict(text: string, what = 'text'): number[] {
    const unknown = this.unknownChars(text);
    if (unknown.length > 0) {
      const shown = unknown.map((c) => JSON.stringify(c)).join(', ');
      throw new InputError(`${what} has characters the model never saw in training: ${shown}`);
    }
    return this.encode(text);
  }

  /** Text of the ids; <unk> shows as U+FFFD and the structural symbols <eos>, <sep> as nothing. */
  decode(ids: Iterable<number>): string {
    let out = '';
    for (const id of ids) {
      if (id === UNK) out += '\uFFFD';
      else if (id >= SPECIALS.length) out += this.chars[id - SPECIALS.length] ?? '\uFFFD';
    }
    return out;
  }

  /** Text with the structure kept: <sep> as a tab and <eos> as a newline, as in exampleText(). */
  decodeWithSeparators(ids: Iterable<number>): string {
    let out = '';
    for (const id of ids) out += id === SEP ? '\t' : id === EOS ? '\n' : this.decode([id]);
    return out;
  }

  /** <eos> input <sep> output: one example as the model sees it (the next <eos> ends it). */
  encodeExample(example: Example): number[] {
    return [EOS, ...this.encode(example.input), SEP, ...this.encode(example.output)];
  }

  /** The prefix from which the model generates an output for `input`. */
  encodePrompt(input: string): number[] {
    return [EOS, ...this.encodeStrict(input, 'prompt'), SEP];
  }

  /** All examples as one stream of token ids, ending in <eos>, for training on random windows. */
  encodeCorpus(examples: readonly Example[]): Uint16Array {
    const parts = examples.map((e) => this.encodeExample(e));
    const stream = new Uint16Array(parts.reduce((n, p) => n + p.length, 0) + 1);
    let at = 0;
    for (const p of parts) {
      stream.set(p, at);
      at += p.length;
    }
    stream[at] = EOS;
    return stream;
  }
}
