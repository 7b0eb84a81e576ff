// The training and held-out sides of a model's split as plain arrays, rebuilt from its weights file and its
// dataset exactly as training built them (the same split, canaries and vocabulary): what `engram export`
// hands to PyTorch's train.py, so training can go on elsewhere on the same data.
import { DatasetError } from '../errors.js';
import { splitDataset, type Dataset } from '../data/index.js';
import { canaryCopies, canaryHashes, makeCanaries } from '../data/canaries.js';
import type { ImageDataset } from '../data/imageDataset.js';
import { CharTokenizer, type CharVocabulary } from '../codecs/charTokenizer.js';
import { TagVocabulary, type TagVocabularyJSON } from '../codecs/tags.js';
import type { ModelRecord } from '../weights/modelFile.js';
import type { NamedTensor } from '../weights/safetensors.js';
import { imageItem, splitImages } from './imageData.js';

function checkSameData(record: ModelRecord, fingerprint: string, name: string): void {
  const trained = record.provenance.dataset;
  if (trained.fingerprint !== fingerprint) throw new DatasetError(`dataset ${name} is not the one the model was trained on (${trained.name}); pass that data with --data`);
}

/** train_tokens and held_out_tokens (U16): the token streams a text model was trained and evaluated on. */
export function textTrainingArrays(record: ModelRecord, dataset: Dataset, canarySeed: number): NamedTensor[] {
  checkSameData(record, dataset.fingerprint, dataset.name);
  const { splitSeed, heldOutFraction } = record.provenance.split;
  const split = splitDataset(dataset, { splitSeed, heldOutFraction });
  const planted = record.provenance.canaries;
  const canaries = planted ? makeCanaries({ count: planted.count, repeats: planted.repeats, seed: canarySeed }) : [];
  if (planted && JSON.stringify(canaryHashes(canaries)) !== JSON.stringify(planted.hashes)) {
    throw new DatasetError(`--canary-seed ${canarySeed} does not rebuild the canaries this model was trained with; pass the seed used in training`);
  }
  const tokenizer = CharTokenizer.fromJSON(record.vocabulary as CharVocabulary);
  const stream = (name: string, examples: Parameters<CharTokenizer['encodeCorpus']>[0]): NamedTensor => {
    const data = tokenizer.encodeCorpus(examples);
    return { name, dtype: 'U16', shape: [data.length], data };
  };
  return [stream('train_tokens', [...split.train, ...canaryCopies(canaries)]), stream('held_out_tokens', split.heldOut)];
}

/** {train, held_out}_pixels [N, size, size, 3] and _targets [N, tags] (F32): an image model's examples. */
export function imageTrainingArrays(record: ModelRecord, dataset: ImageDataset): NamedTensor[] {
  checkSameData(record, dataset.fingerprint, dataset.name);
  const { splitSeed, heldOutFraction } = record.provenance.split;
  const sides = splitImages(dataset, { splitSeed, heldOutFraction });
  const vocabulary = TagVocabulary.fromJSON(record.vocabulary as TagVocabularyJSON);
  const s = dataset.size;
  return (['train', 'heldOut'] as const).flatMap((side) => {
    const items = sides[side].map((e) => imageItem(e, vocabulary));
    const pixels = new Float32Array(items.length * s * s * 3);
    const targets = new Float32Array(items.length * vocabulary.size);
    items.forEach((item, i) => {
      pixels.set(item.pixels, i * s * s * 3);
      targets.set(item.target, i * vocabulary.size);
    });
    const prefix = side === 'train' ? 'train' : 'held_out';
    return [
      { name: `${prefix}_pixels`, dtype: 'F32' as const, shape: [items.length, s, s, 3], data: pixels },
      { name: `${prefix}_targets`, dtype: 'F32' as const, shape: [items.length, vocabulary.size], data: targets },
    ];
  });
}
