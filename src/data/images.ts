// Resolves an image --data argument: "mnist", "emoji", "emoji+skin-tones", or a folder with tags.tsv.
import { loadEmoji } from './emoji.js';
import type { ImageDataset } from './imageDataset.js';
import { loadImageFolder, type FolderOptions } from './imageFolder.js';
import { loadMnist } from './mnist.js';

export function loadImageDataset(spec: string, options: { size: number; onBadFile?: FolderOptions['onBadFile']; perDigit?: number }): ImageDataset {
  if (spec === 'mnist') return loadMnist({ size: options.size, perDigit: options.perDigit });
  if (spec === 'emoji') return loadEmoji({ size: options.size });
  if (spec === 'emoji+skin-tones') return loadEmoji({ size: options.size, skinTones: true });
  return loadImageFolder(spec, options);
}
