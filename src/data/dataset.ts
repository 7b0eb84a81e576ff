// A dataset is a list of (input, output) examples with a name, a version and content hashes.
// The hashes make the dataset checkable: the weights file stores the fingerprint, and the audit later
// rebuilds which examples were trained on from the dataset and the weights file alone.
import { createHash } from 'node:crypto';
import { DatasetError } from '../errors.js';

export interface Example {
  readonly input: string;
  readonly output: string;
}

export interface HashedExample extends Example {
  /** sha256 of the example's content, hex; equal content gives an equal hash. */
  readonly hash: string;
}

export interface Dataset {
  readonly name: string;
  readonly version: string;
  readonly examples: readonly HashedExample[];
  /** sha256 over the example hashes in order. */
  readonly fingerprint: string;
  /** UTF-8 bytes of all inputs and outputs. */
  readonly bytes: number;
  /** Examples whose exact content occurs more than once, counted beyond the first occurrence. */
  readonly duplicateCount: number;
  /** Occurrences of each hash (only hashes seen more than once). */
  readonly duplicates: ReadonlyMap<string, number>;
}

export function exampleHash(example: Example): string {
  // The unit separator cannot occur in real text, so ("a", "bc") and ("ab", "c") hash differently.
  return createHash('sha256').update(`${example.input}\u001f${example.output}`).digest('hex');
}

const utf8 = new TextEncoder();

export function makeDataset(name: string, version: string, examples: readonly Example[]): Dataset {
  if (examples.length === 0) throw new DatasetError(`dataset ${name} has no examples`);
  const fingerprintHash = createHash('sha256');
  const counts = new Map<string, number>();
  let bytes = 0;
  const hashed = examples.map((e) => {
    const hash = exampleHash(e);
    fingerprintHash.update(hash);
    counts.set(hash, (counts.get(hash) ?? 0) + 1);
    bytes += utf8.encode(e.input).length + utf8.encode(e.output).length;
    return { input: e.input, output: e.output, hash };
  });
  const duplicates = new Map([...counts].filter(([, n]) => n > 1));
  let duplicateCount = 0;
  for (const n of duplicates.values()) duplicateCount += n - 1;
  return { name, version, examples: hashed, fingerprint: fingerprintHash.digest('hex'), bytes, duplicateCount, duplicates };
}
