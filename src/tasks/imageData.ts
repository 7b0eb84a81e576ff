// What the image tasks (tags -> image, image -> tags) share: the train / held-out split of an image dataset,
// the tag vocabulary built from the training side, and the dataset's provenance for the weights file.
import { ConfigError } from '../errors.js';
import { isHeldOut, type SplitSpec } from '../data/split.js';
import type { ImageDataset, ImageExample } from '../data/imageDataset.js';
import { TagVocabulary } from '../codecs/tags.js';
import type { ImageItem } from '../train/imageBatches.js';
import type { EvalRecord, TrainState } from '../train/trainer.js';
import type { Provenance } from '../weights/modelFile.js';

export interface ImageSplit {
  readonly train: ImageExample[];
  readonly heldOut: ImageExample[];
}

export function splitImages(dataset: ImageDataset, split: SplitSpec): ImageSplit {
  const sides: ImageSplit = { train: [], heldOut: [] };
  for (const e of dataset.examples) (isHeldOut(e.hash, split) ? sides.heldOut : sides.train).push(e);
  return sides;
}

/** Tags seen at least `minCount` times among the training images; at least two, or there is nothing to learn. */
export function tagVocabularyOf(train: readonly ImageExample[], minCount: number): TagVocabulary {
  const vocabulary = TagVocabulary.fromTagLists(train.map((e) => e.tags), minCount);
  if (vocabulary.size < 2) throw new ConfigError(`only ${vocabulary.size} tag(s) occur ${minCount}+ times in training; need at least 2`);
  return vocabulary;
}

export function imageItem(e: ImageExample, vocabulary: TagVocabulary): ImageItem {
  return { pixels: e.image.pixels, target: vocabulary.encode(e.tags) };
}

export function imageProvenance(dataset: ImageDataset, split: SplitSpec, sides: ImageSplit, state: TrainState, r: EvalRecord | undefined): Provenance {
  return {
    dataset: {
      name: dataset.name, version: dataset.version, fingerprint: dataset.fingerprint, examples: dataset.examples.length,
      bytes: dataset.examples.length * dataset.size * dataset.size * 3, duplicateCount: dataset.duplicateCount,
    },
    split: { ...split, trainExamples: sides.train.length, heldOutExamples: sides.heldOut.length },
    steps: state.step, trainLoss: r?.trainLoss ?? NaN, heldOutLoss: r?.heldOutLoss ?? NaN, engramVersion: '',
  };
}
