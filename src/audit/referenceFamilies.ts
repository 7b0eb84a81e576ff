// How each model family trains and scores a reference model (referenceModels.ts): a fresh model of the
// audited config, the one trainer with the audited model's settings, and the family's own per-example
// log-likelihood: -loss per character for text, -loss for a tagger, -denoising loss for a diffusion model.
import type { HashedExample } from '../data/dataset.js';
import type { ImageExample } from '../data/imageDataset.js';
import type { CharTokenizer } from '../codecs/charTokenizer.js';
import type { TagVocabulary } from '../codecs/tags.js';
import { Gpt, gptParamShapes } from '../models/gpt.js';
import type { GptConfig } from '../models/gptConfig.js';
import { Diffusion, diffusionParamShapes, type DiffusionConfig } from '../models/diffusion.js';
import { Tagger, taggerParamShapes, type TaggerConfig } from '../models/tagger.js';
import type { TrainableModel } from '../models/model.js';
import { train, type BatchSource, type NamedArray } from '../train/trainer.js';
import type { TrainConfig } from '../train/config.js';
import { TextBatches } from '../train/textBatches.js';
import { ImageBatches } from '../train/imageBatches.js';
import { paramsFromRecord, type ModelRecord } from '../weights/modelFile.js';
import { exampleLosses } from './exampleLoss.js';
import { denoisingLosses, meanOverSteps, taggerLosses } from './imageLosses.js';
import type { ReferenceFamily } from './referenceModels.js';

/** Trains with the audited settings and a new seed; keeps what the audited run would have kept. */
async function trainWeights<Batch>(model: TrainableModel<Batch> & { dispose(): void }, data: BatchSource<Batch>, config: TrainConfig, onStep: (step: number, steps: number) => void): Promise<Map<string, NamedArray>> {
  let kept: Map<string, NamedArray> | undefined;
  try {
    const result = await train(model, data, config, {
      onStep: (r) => onStep(r.step, r.steps),
      saveModel: async (state) => { kept = state.params; },
      saveCheckpoint: async () => 'no checkpoint for reference models',
    });
    return kept ?? result.state.params;
  } finally {
    model.dispose();
  }
}

/** The audited model's parameters with other weights, as a model of the same family. */
const withParams = (record: ModelRecord, params: Map<string, NamedArray>) => ({ ...record, params });

export function textReferenceFamily(record: ModelRecord, tokenizer: CharTokenizer): ReferenceFamily<HashedExample> {
  const config = record.modelConfig as unknown as GptConfig;
  return {
    hash: (e) => e.hash,
    train: (examples, heldOut, seed, onStep) => {
      const data = new TextBatches(tokenizer.encodeCorpus(examples), tokenizer.encodeCorpus(heldOut), record.trainConfig.batchSize, config.blockSize);
      return trainWeights(Gpt.init(config, seed), data, { ...record.trainConfig, seed }, onStep);
    },
    score: (params, examples) => {
      const model = new Gpt(config, paramsFromRecord(withParams(record, params), gptParamShapes(config), 'reference model'));
      try {
        return exampleLosses(model, tokenizer, examples).map((l) => -l.natsPerToken);
      } finally {
        model.dispose();
      }
    },
  };
}

const imageItems = (vocabulary: TagVocabulary, examples: readonly ImageExample[]) => examples.map((e) => ({ pixels: e.image.pixels, target: vocabulary.encode(e.tags) }));

export function diffusionReferenceFamily(record: ModelRecord, vocabulary: TagVocabulary, lossSteps: readonly number[], seed: number): ReferenceFamily<ImageExample> {
  const { minTagCount: _min, ...config } = record.modelConfig as unknown as DiffusionConfig & { minTagCount: number };
  return {
    hash: (e) => e.hash,
    train: (examples, heldOut, modelSeed, onStep) => {
      const data = new ImageBatches(imageItems(vocabulary, examples), imageItems(vocabulary, heldOut), record.trainConfig.batchSize);
      return trainWeights(Diffusion.init(config, modelSeed), data, { ...record.trainConfig, seed: modelSeed }, onStep);
    },
    score: (params, examples) => {
      const model = new Diffusion(config, paramsFromRecord(withParams(record, params), diffusionParamShapes(config), 'reference model'));
      try {
        return meanOverSteps(denoisingLosses(model, vocabulary, examples, lossSteps, seed)).map((l) => -l);
      } finally {
        model.dispose();
      }
    },
  };
}

export function taggerReferenceFamily(record: ModelRecord, vocabulary: TagVocabulary): ReferenceFamily<ImageExample> {
  const config = record.modelConfig as unknown as TaggerConfig;
  return {
    hash: (e) => e.hash,
    train: (examples, heldOut, seed, onStep) => {
      const data = new ImageBatches(imageItems(vocabulary, examples), imageItems(vocabulary, heldOut), record.trainConfig.batchSize);
      return trainWeights(Tagger.init(config, seed), data, { ...record.trainConfig, seed }, onStep);
    },
    score: (params, examples) => {
      const model = new Tagger(config, paramsFromRecord(withParams(record, params), taggerParamShapes(config), 'reference model'));
      try {
        return taggerLosses(model, vocabulary, examples).map((l) => -l);
      } finally {
        model.dispose();
      }
    },
  };
}
