// Tag vocabulary: the tags seen at least `minCount` times in the training images, in a fixed order; encodes a
// tag list as a multi-hot vector (or a one-hot one for single-label data such as digits). Stored in the
// weights file, so a tagger file alone can name its outputs.
import { InputError, WeightsFormatError } from '../errors.js';

export interface TagVocabularyJSON {
  readonly tags: readonly string[];
}

export class TagVocabulary {
  private readonly index = new Map<string, number>();

  constructor(readonly tags: readonly string[]) {
    tags.forEach((t, i) => this.index.set(t, i));
  }

  static fromTagLists(lists: readonly (readonly string[])[], minCount = 1): TagVocabulary {
    const counts = new Map<string, number>();
    for (const list of lists) for (const t of new Set(list)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const kept = [...counts].filter(([, n]) => n >= minCount).map(([t]) => t).sort();
    return new TagVocabulary(kept);
  }

  static fromJSON(json: TagVocabularyJSON): TagVocabulary {
    if (!Array.isArray(json?.tags)) throw new WeightsFormatError('weights file has no tag vocabulary');
    return new TagVocabulary(json.tags);
  }

  toJSON(): TagVocabularyJSON {
    return { tags: [...this.tags] };
  }

  get size(): number {
    return this.tags.length;
  }

  /** Multi-hot over the vocabulary; tags outside it are ignored. */
  encode(tags: readonly string[]): Float32Array {
    const out = new Float32Array(this.tags.length);
    for (const t of tags) {
      const i = this.index.get(t);
      if (i !== undefined) out[i] = 1;
    }
    return out;
  }

  /** Throws naming unknown tags and the closest known ones (for prompts such as --tags "smiling, cat"). */
  checkKnown(tags: readonly string[]): void {
    const unknown = tags.filter((t) => !this.index.has(t));
    if (unknown.length === 0) return;
    const close = (t: string) => this.tags.filter((k) => k.includes(t) || t.includes(k)).slice(0, 5);
    throw new InputError(unknown.map((t) => `unknown tag "${t}"${close(t).length ? ` (close: ${close(t).join(', ')})` : ''}`).join('; '));
  }
}
