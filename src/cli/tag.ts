// engram tag MODEL image.png: the tags a tagger sees in an image, with probabilities.
import { readFileSync } from 'node:fs';
import { ConfigError, DatasetError } from '../errors.js';
import { decodeImage, resize } from '../data/imageFile.js';
import { loadTagger, tagImage } from '../tasks/tagger.js';
import { FileStorage } from '../weights/storage.js';
import { numberFlag, parseCommand } from './flags.js';

export const TAG_HELP = `usage: engram tag MODEL IMAGE... [--top K]

Prints the K most probable tags (default 5) of each PNG or JPEG image, resized to the model's size.`;

export async function tagCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, { top: { type: 'string' } });
  if (values.help) return console.log(TAG_HELP);
  if (positionals.length < 2) throw new ConfigError('engram tag needs a tagger and at least one image: engram tag MODEL image.png');
  const [file, ...images] = positionals;
  const loaded = await loadTagger(new FileStorage(), file);
  const size = loaded.model.config.imageSize;
  for (const imageFile of images) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(imageFile);
    } catch {
      throw new DatasetError(`cannot read image ${imageFile}`);
    }
    const tags = tagImage(loaded, resize(decodeImage(bytes, imageFile), size), numberFlag(values, 'top', 5));
    console.log(`${imageFile}: ${tags.map((t) => `${t.tag} ${(100 * t.probability).toFixed(1)}%`).join(', ')}`);
  }
  loaded.model.dispose();
}
