// Resolves an image --data argument: "mnist" (or "mnist:N", N images per digit), "emoji", "emoji+skin-tones",
// or a folder with tags.tsv. The dataset's name is the spec, so an audit can load the same data again.
import { loadEmoji } from './emoji.js';
import type { ImageDataset, ImageExample } from './imageDataset.js';
import { loadImageFolder, type FolderOptions } from './imageFolder.js';
import { loadMnist } from './mnist.js';

export function loadImageDataset(spec: string, options: { size: number; onBadFile?: FolderOptions['onBadFile'] }): ImageDataset {
  if (spec === 'mnist') return loadMnist({ size: options.size });
  const perDigit = /^mnist:(\d+)$/.exec(spec);
  if (perDigit) return loadMnist({ size: options.size, perDigit: Number(perDigit[1]) });
  if (spec === 'emoji') return loadEmoji({ size: options.size });
  if (spec === 'emoji+skin-tones') return loadEmoji({ size: options.size, skinTones: true });
  return loadImageFolder(spec, options);
}

/**
 * Real images of the same kind known not to be in `dataset` at all: for "mnist:N", the rest of MNIST. An
 * audit's baseline draws on them beside the held-out split (a few held-out images say little). Other
 * datasets have none: their whole source is the dataset.
 */
export function loadOutsideImages(spec: string, dataset: ImageDataset): ImageExample[] {
  if (!/^mnist:\d+$/.test(spec)) return [];
  const inside = new Set(dataset.examples.map((e) => e.hash));
  return loadMnist({ size: dataset.size }).examples.filter((e) => !inside.has(e.hash));
}
