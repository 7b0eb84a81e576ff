// Any UTF-8 text file as a dataset: one example per non-empty line. A line with a tab is an
// (input, output) pair split at the first tab; a line without one is an output with an empty input.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatasetError } from '../errors.js';
import { makeDataset, type Dataset, type Example } from './dataset.js';

export function readTextFile(file: string): Dataset {
  let bytes: Uint8Array;
  try {
    if (statSync(file).isDirectory()) throw new DatasetError(`data path ${file} is a directory, not a text file`);
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(`cannot read data file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return textDataset(path.basename(file), bytes);
}

/** A text file's bytes as a dataset (named by the file's base name), however they were read: disk or a dropped file. */
export function textDataset(baseName: string, bytes: Uint8Array): Dataset {
  if (bytes.length === 0) throw new DatasetError(`data file ${baseName} is empty`);
  if (bytes.includes(0)) throw new DatasetError(`data file ${baseName} looks binary (it contains NUL bytes); engram reads UTF-8 text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DatasetError(`data file ${baseName} is not valid UTF-8 text`);
  }
  const examples = parseLines(text);
  if (examples.length === 0) throw new DatasetError(`data file ${baseName} has no non-empty lines`);
  return makeDataset(`file:${baseName}`, `bytes=${bytes.length}`, examples);
}

export function parseLines(text: string): Example[] {
  const examples: Example[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    const tab = line.indexOf('\t');
    examples.push(tab < 0 ? { input: '', output: line } : { input: line.slice(0, tab), output: line.slice(tab + 1) });
  }
  return examples;
}
