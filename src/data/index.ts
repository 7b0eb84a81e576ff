// Resolves a --data argument to a dataset: "wordnet", "wordnet:adv" (one part of speech), or a file path.
import { DatasetError } from '../errors.js';
import type { Dataset } from './dataset.js';
import { readTextFile } from './textFile.js';
import { loadWordnet, WORDNET_PARTS, type WordnetPart } from './wordnet.js';

export * from './dataset.js';
export * from './split.js';
export { parseLines } from './textFile.js';
export { loadWordnet, WORDNET_PARTS } from './wordnet.js';

export function loadTextDataset(spec: string): Dataset {
  if (spec === 'wordnet') return loadWordnet();
  if (spec.startsWith('wordnet:')) {
    const parts = spec.slice('wordnet:'.length).split('+');
    for (const p of parts) {
      if (!(WORDNET_PARTS as readonly string[]).includes(p)) {
        throw new DatasetError(`unknown WordNet part "${p}"; use one of ${WORDNET_PARTS.join(', ')}`);
      }
    }
    return loadWordnet(parts as WordnetPart[]);
  }
  return readTextFile(spec);
}
