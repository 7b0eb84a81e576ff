// A character n-gram language model with interpolated Kneser-Ney smoothing (Kneser & Ney 1995; the
// interpolated form of Chen & Goodman 1998, "An Empirical Study of Smoothing Techniques for Language
// Modeling"), for CTC beam search to weigh how English a spelling looks (shallow fusion). Unlike a lexicon it
// forbids nothing: every string over the alphabet has a probability, so a recogniser with it still writes
// words it has never seen, only less readily than ones spelt like the text it was counted from.
//
// Each text is read as START^(order-1) + text + END. For the highest order the counts are how often each
// n-gram occurs; for lower orders, in how many different contexts it follows (its continuation count), which
// is what makes "ew" likely after any letter only if it follows many different ones.

const START = '\u0002';
export const END = '\u0003';

interface ContextCounts {
  /** Count (or continuation count) of each next character after this context. */
  readonly next: Map<string, number>;
  total: number;
}

export interface CharNgramModel {
  readonly order: number;
  /** log P(next | the text so far); `next` is one character of the alphabet, or END. */
  logProb(textSoFar: string, next: string): number;
}

/** Absolute discount; 0.75 is Kneser & Ney's usual choice and close to Chen & Goodman's n1 / (n1 + 2 n2). */
const DISCOUNT = 0.75;

export function trainCharNgram(texts: Iterable<string>, order: number, alphabet: string): CharNgramModel {
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`an n-gram order is a whole number from 1 up (got ${order})`);
  const symbols = new Set([...alphabet, END]);
  // levels[k]: contexts of length k -> next-character counts.
  const levels = Array.from({ length: order }, () => new Map<string, ContextCounts>());
  const add = (level: Map<string, ContextCounts>, context: string, next: string) => {
    let c = level.get(context);
    if (!c) level.set(context, (c = { next: new Map(), total: 0 }));
    c.next.set(next, (c.next.get(next) ?? 0) + 1);
    c.total++;
  };
  let counted = 0;
  for (const text of texts) {
    if ([...text].some((ch) => !symbols.has(ch))) continue;
    const padded = START.repeat(order - 1) + text + END;
    for (let i = order - 1; i < padded.length; i++) add(levels[order - 1], padded.slice(i - order + 1, i), padded[i]);
    counted++;
  }
  if (counted === 0) throw new RangeError('a character language model needs at least one text written in its alphabet');
  // Continuation counts: each distinct (context, next) at level k+1 adds one to (context minus its first character, next) at level k.
  for (let k = order - 2; k >= 0; k--) {
    for (const [context, counts] of levels[k + 1]) for (const next of counts.next.keys()) add(levels[k], context.slice(1), next);
  }
  const uniform = 1 / symbols.size;
  const start = START.repeat(order - 1);
  const probability = (context: string, next: string): number => {
    const lower = context.length === 0 ? uniform : probability(context.slice(1), next);
    const c = levels[context.length].get(context);
    if (!c) return lower;
    const count = c.next.get(next) ?? 0;
    return Math.max(count - DISCOUNT, 0) / c.total + (DISCOUNT * c.next.size / c.total) * lower;
  };
  return {
    order,
    logProb(textSoFar, next) {
      if (!symbols.has(next)) throw new RangeError(`"${next}" is not in this language model's alphabet`);
      return Math.log(probability((start + textSoFar).slice(textSoFar.length), next));
    },
  };
}
