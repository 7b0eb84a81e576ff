// Resolves a --data argument to a dataset: "wordnet", "wordnet:adv" (one part of speech), or a file path.
import type { Dataset } from './dataset.js';
import { readTextFile } from './textFile.js';
import { loadWordnet, wordnetParts } from './wordnet.js';

export * from './dataset.js';
export * from './split.js';
export { parseLines, textDataset } from './textFile.js';
export { lemmasOf, loadWordnet, WORDNET_PARTS, wordnetFromFiles, wordnetParts } from './wordnet.js';

export function loadTextDataset(spec: string): Dataset {
  if (spec === 'wordnet' || spec.startsWith('wordnet:')) return loadWordnet(wordnetParts(spec));
  return readTextFile(spec);
}
