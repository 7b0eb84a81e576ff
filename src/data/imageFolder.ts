// Any folder of PNG/JPEG images with a tags file: `tags.tsv`, one line per image, "file.png<TAB>tag, tag".
// Images of any size are resized; files that are not readable images are skipped and counted, or stop the
// load, as the caller chooses.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatasetError } from '../errors.js';
import { decodeImage, resize } from './imageFile.js';
import { imageExample, makeImageDataset, type ImageDataset, type ImageExample } from './imageDataset.js';

export interface FolderOptions {
  readonly size?: number;
  /** What to do with a file listed in tags.tsv that is not a readable image. */
  readonly onBadFile?: 'skip' | 'stop';
}

export interface FolderDataset extends ImageDataset {
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

export function parseTagsFile(text: string): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [file, list = ''] = line.split('\t');
    tags.set(file.trim(), list.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
  }
  return tags;
}

export function loadImageFolder(dir: string, options: FolderOptions = {}): FolderDataset {
  const size = options.size ?? 32;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(`image folder ${dir} does not exist`);
  const tagsFile = path.join(dir, 'tags.tsv');
  if (!existsSync(tagsFile)) {
    const images = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f));
    throw new DatasetError(images.length === 0 ? `image folder ${dir} is empty (no .png or .jpg files)` : `image folder ${dir} has ${images.length} images but no tags.tsv ("file.png<TAB>tag, tag" per line)`);
  }
  const tags = parseTagsFile(readFileSync(tagsFile, 'utf8'));
  if (tags.size === 0) throw new DatasetError(`${tagsFile} lists no images`);
  const examples: ImageExample[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const root = realpathSync(dir);
  for (const [file, fileTags] of [...tags].sort(([a], [b]) => a.localeCompare(b))) {
    const full = path.join(dir, file);
    // An entry may only name a file inside the folder: no absolute paths, no "..", no symlinks out.
    const outside = path.isAbsolute(file) || file.split(/[\\/]/).includes('..') || (existsSync(full) && !realpathSync(full).startsWith(root + path.sep));
    if (outside) throw new DatasetError(`${tagsFile} lists ${file}, which is outside ${dir}; entries must name files inside the folder`);
    try {
      if (!existsSync(full)) throw new DatasetError(`${file} is listed in tags.tsv but missing`);
      examples.push(imageExample(fileTags, resize(decodeImage(readFileSync(full), file), size), file, file));
    } catch (err) {
      if (!(err instanceof DatasetError) || options.onBadFile === 'stop') throw err;
      skipped.push({ file, reason: err.message });
    }
  }
  if (examples.length === 0) throw new DatasetError(`no readable images in ${dir} (${skipped.length} skipped: ${skipped[0]?.reason})`);
  return { ...makeImageDataset(`folder:${path.basename(path.resolve(dir))}`, `images=${examples.length}`, size, examples), skipped };
}
