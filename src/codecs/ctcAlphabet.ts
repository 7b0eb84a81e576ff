// The characters a speech model writes, with CTC's blank at index 0: space, apostrophe and a-z.
export const BLANK = 0;
export const CTC_CHARACTERS = " 'abcdefghijklmnopqrstuvwxyz";
export const CTC_VOCAB_SIZE = CTC_CHARACTERS.length + 1;

/** Label ids (1-based: 0 is the blank) of a normalised transcript. */
export function encodeTranscript(text: string): Int32Array {
  return Int32Array.from([...text].map((c) => CTC_CHARACTERS.indexOf(c) + 1).filter((id) => id > 0));
}

/** Text of a label path: repeats collapsed, blanks dropped (the CTC rule). */
export function collapsePath(path: ArrayLike<number>): string {
  let out = '';
  let previous = -1;
  for (let t = 0; t < path.length; t++) {
    const id = path[t];
    if (id !== previous && id !== BLANK) out += CTC_CHARACTERS[id - 1];
    previous = id;
  }
  return out;
}
