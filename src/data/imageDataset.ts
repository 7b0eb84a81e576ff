// An image dataset: (tags -> image) examples with content hashes, a fingerprint and near-duplicate groups,
// the image counterpart of dataset.ts. Images are RGB [size, size, 3] in [0, 1].
import { createHash } from 'node:crypto';
import { DatasetError } from '../errors.js';
import { toBytes, type RgbImage } from './imageFile.js';

export interface ImageExample {
  readonly tags: readonly string[];
  readonly image: RgbImage;
  /** sha256 over the tags and the 8-bit pixels. */
  readonly hash: string;
  /** Examples sharing a group are near-duplicates (e.g. one emoji in five skin tones). */
  readonly group: string;
  /** Where it came from, for reports (file name or index). */
  readonly source: string;
}

export interface ImageDataset {
  readonly name: string;
  readonly version: string;
  readonly size: number;
  readonly examples: readonly ImageExample[];
  readonly fingerprint: string;
  readonly duplicateCount: number;
  /** Groups with more than one member: near-duplicates. */
  readonly nearDuplicateGroups: number;
}

export function imageExample(tags: readonly string[], image: RgbImage, group: string, source: string): ImageExample {
  const hash = createHash('sha256').update(tags.join('\u001f')).update('\u001e').update(toBytes(image)).digest('hex');
  return { tags, image, hash, group, source };
}

export function makeImageDataset(name: string, version: string, size: number, examples: readonly ImageExample[]): ImageDataset {
  if (examples.length === 0) throw new DatasetError(`image dataset ${name} has no images`);
  const fingerprint = createHash('sha256');
  const seen = new Set<string>();
  const groups = new Map<string, number>();
  let duplicateCount = 0;
  for (const e of examples) {
    fingerprint.update(e.hash);
    if (seen.has(e.hash)) duplicateCount++;
    seen.add(e.hash);
    groups.set(e.group, (groups.get(e.group) ?? 0) + 1);
  }
  const nearDuplicateGroups = [...groups.values()].filter((n) => n > 1).length;
  return { name, version, size, examples, fingerprint: fingerprint.digest('hex'), duplicateCount, nearDuplicateGroups };
}
