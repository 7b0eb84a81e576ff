// The image-to-tags task end to end: image dataset -> split -> tag vocabulary -> CNN tagger -> the one
// trainer -> weights file, and back to a model that tags an image.
import { WeightsFormatError } from '../errors.js';
import type { RgbImage } from '../data/imageFile.js';
import { TagVocabulary, type TagVocabularyJSON } from '../codecs/tags.js';
import { Tagger, taggerParamShapes, type TaggerConfig } from '../models/tagger.js';
import { trainOnImages, type ImageRunOutcome, type ImageRunRequest } from './imageData.js';
import { loadModelFile, paramsFromRecord, type ModelRecord } from '../weights/modelFile.js';
import type { Storage } from '../weights/storage.js';

export const TAGGER_TASK = 'image-to-tags';

export interface TaggerSettings {
  readonly channels: readonly number[];
  /** Tags seen fewer times in training are left out of the vocabulary. */
  readonly minTagCount: number;
}

export const TAGGER_SETTINGS_DEFAULTS: TaggerSettings = { channels: [32, 64, 128], minTagCount: 2 };

export interface TaggerTrainRequest extends ImageRunRequest {
  readonly settings: TaggerSettings;
}

export async function trainTagger(req: TaggerTrainRequest): Promise<ImageRunOutcome & { multiLabel: boolean }> {
  const outcome = await trainOnImages(req, {
    task: TAGGER_TASK, settings: req.settings,
    // Single-label data (one tag per image, such as digits) trains a softmax; anything else independent sigmoids.
    build: (vocabulary, multiLabel) => {
      const config: TaggerConfig = { imageSize: req.dataset.size, channels: req.settings.channels, numTags: vocabulary.size, multiLabel };
      return { model: Tagger.init(config, req.train.seed), config };
    },
  });
  return { ...outcome, multiLabel: outcome.multiTag };
}

export interface LoadedTagger {
  readonly model: Tagger;
  readonly vocabulary: TagVocabulary;
  readonly record: ModelRecord;
}

export async function loadTagger(storage: Storage, location: string): Promise<LoadedTagger> {
  return taggerFromRecord(await loadModelFile(storage, location, { kind: 'tagger', task: TAGGER_TASK }), location);
}

/** A tagger from a weights file already read. */
export function taggerFromRecord(record: ModelRecord, location: string): LoadedTagger {
  if (record.kind !== 'tagger' || record.task !== TAGGER_TASK) throw new WeightsFormatError(`${location} holds a ${record.kind} model (${record.task}); this needs a tagger`);
  const vocabulary = TagVocabulary.fromJSON(record.vocabulary as TagVocabularyJSON);
  const config = record.modelConfig as unknown as TaggerConfig;
  if (config.numTags !== vocabulary.size) throw new WeightsFormatError(`${location}: ${vocabulary.size} tags in the vocabulary, ${config.numTags} outputs in the model`);
  const params = paramsFromRecord(record, taggerParamShapes(config), location);
  return { model: new Tagger(config, params), vocabulary, record };
}

/** The most probable tags of one image (already at the model's size), highest first. */
export function tagImage(loaded: LoadedTagger, image: RgbImage, top = 5): { tag: string; probability: number }[] {
  const probs = loaded.model.predict(image.pixels, 1);
  return [...probs].map((probability, i) => ({ tag: loaded.vocabulary.tags[i], probability }))
    .sort((a, b) => b.probability - a.probability).slice(0, top);
}
