// Twemoji (Twitter's emoji, CC-BY 4.0) from the emoji-datasource-twitter npm package: 64x64 PNGs with names,
// short names, category and subcategory -> tags. Near-duplicate groups: the skin-tone variants of one emoji,
// and emoji drawn identically (flags such as Norway, Bouvet Island and Svalbard share one drawing).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { decodeImage, resize, toBytes } from './imageFile.js';
import { imageExample, makeImageDataset, type ImageDataset, type ImageExample } from './imageDataset.js';

interface EmojiEntry {
  name: string | null;
  unified: string;
  image: string;
  short_names: string[];
  category: string;
  subcategory: string;
  has_img_twitter: boolean;
  skin_variations?: Record<string, { unified: string; image: string; has_img_twitter: boolean }>;
}

const SKIN_TONES: Record<string, string> = {
  '1F3FB': 'light skin tone', '1F3FC': 'medium-light skin tone', '1F3FD': 'medium skin tone',
  '1F3FE': 'medium-dark skin tone', '1F3FF': 'dark skin tone',
};

/** Tags: short names, the words of the name, category and subcategory, lower case, without repeats. */
export function emojiTags(entry: Pick<EmojiEntry, 'name' | 'short_names' | 'category' | 'subcategory'>): string[] {
  const words = (entry.name ?? '').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 1);
  const tags = [...entry.short_names.map((s) => s.replaceAll('_', ' ')), ...words, entry.category.toLowerCase(), entry.subcategory];
  return [...new Set(tags)];
}

export interface EmojiOptions {
  readonly size?: number;
  readonly skinTones?: boolean;
  readonly limit?: number;
}

export function loadEmoji(options: EmojiOptions = {}): ImageDataset {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('emoji-datasource-twitter/package.json');
  const dir = path.dirname(pkgFile);
  const version = `emoji-datasource-twitter@${(JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version}`;
  return emojiFromFiles(readFileSync(path.join(dir, 'emoji.json'), 'utf8'), (image) => readFileSync(path.join(dir, 'img', 'twitter', '64', image)), version, options);
}

/** The images a dataset of these options needs, by file name (a browser fetches them before building it). */
export function emojiImagesNeeded(emojiJson: string, options: EmojiOptions): string[] {
  return emojiEntries(emojiJson).slice(0, options.limit).flatMap((e) => [e.image, ...(options.skinTones ? Object.values(e.skin_variations ?? {}).filter((v) => v.has_img_twitter).map((v) => v.image) : [])]);
}

function emojiEntries(emojiJson: string): EmojiEntry[] {
  return (JSON.parse(emojiJson) as EmojiEntry[]).filter((e) => e.has_img_twitter).sort((a, b) => a.unified.localeCompare(b.unified));
}

/** The dataset from emoji.json's text and each 64 px PNG's bytes, however they were read (disk, or fetched in a browser). */
export function emojiFromFiles(emojiJson: string, png: (image: string) => Uint8Array, version: string, options: EmojiOptions = {}): ImageDataset {
  const size = options.size ?? 32;
  const entries = emojiEntries(emojiJson);
  const load = (image: string) => resize(decodeImage(png(image), image), size);
  const examples: ImageExample[] = [];
  const groupOfDrawing = new Map<string, string>(); // pixel hash -> the first emoji drawn so
  for (const entry of entries.slice(0, options.limit ?? entries.length)) {
    const tags = emojiTags(entry);
    const image = load(entry.image);
    const drawing = createHash('sha256').update(toBytes(image)).digest('hex');
    if (!groupOfDrawing.has(drawing)) groupOfDrawing.set(drawing, entry.unified);
    const group = groupOfDrawing.get(drawing)!;
    examples.push(imageExample(tags, image, group, entry.image));
    if (!options.skinTones) continue;
    for (const [tone, variant] of Object.entries(entry.skin_variations ?? {})) {
      if (!variant.has_img_twitter) continue;
      const toneTags = tone.split('-').map((t) => SKIN_TONES[t]).filter(Boolean);
      examples.push(imageExample([...tags, ...toneTags], load(variant.image), group, variant.image));
    }
  }
  return makeImageDataset(options.skinTones ? 'emoji+skin-tones' : 'emoji', version, size, examples);
}
