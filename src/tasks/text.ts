// The text-to-text task end to end: dataset -> split -> character tokenizer -> GPT -> trainer -> weights
// file, and back from a weights file to a model that generates. The CLI, the demo, the benchmark and the
// tests all go through here, so there is one way to train and one way to load.
import { ConfigError, DatasetError, WeightsFormatError } from '../errors.js';
import { splitDataset, type Dataset, type SplitSpec } from '../data/index.js';
import { canaryCopies, canaryHashes, makeCanaries, type CanarySpec } from '../data/canaries.js';
import { CharTokenizer, type CharVocabulary } from '../codecs/charTokenizer.js';
import { Gpt, GPT_ARCHITECTURE, gptParamShapes } from '../models/gpt.js';
import { GPT_DEFAULTS, type GptConfig } from '../models/gptConfig.js';
import { TextBatches } from '../train/textBatches.js';
import type { EvalRecord, StepRecord, TrainState } from '../train/trainer.js';
import { checkpointPathFor, checkSameRun, findCheckpoint, runTraining, type RunTrainingResult } from './runTraining.js';
import type { TrainConfig } from '../train/config.js';
import { loadModelFile, paramsFromRecord, type ModelRecord, type Provenance } from '../weights/modelFile.js';
import type { Storage } from '../weights/storage.js';
import { generateTokens, type GenerateOptions } from '../sample/generateText.js';

export const TEXT_TASK = 'text';
export type TextModelSettings = Omit<GptConfig, 'vocabSize'>;
export const SPLIT_DEFAULTS: SplitSpec = { splitSeed: 0, heldOutFraction: 0.05 };

/** Words no dictionary has: what a model writes for them is pattern, not memory (the demo and the studio ask them). */
export const MADE_UP_WORDS = ['glorpish', 'frindle', 'snackrifice', 'blorft', 'quibbleton'];

export interface TextTrainRequest {
  readonly dataset: Dataset;
  readonly out: string;
  readonly model: TextModelSettings;
  readonly train: TrainConfig;
  readonly split: SplitSpec;
  readonly storage: Storage;
  /** Continue from the checkpoint beside `out`. */
  readonly resume?: boolean;
  /** Random secrets to insert into the training data, for the audit's exposure measure. */
  readonly canaries?: CanarySpec;
  readonly onStep?: (record: StepRecord) => void;
  readonly onEval?: (record: EvalRecord) => void;
  readonly stopRequested?: () => boolean;
}

export type TextTrainOutcome = RunTrainingResult;
export { checkpointPathFor };

export async function trainTextModel(req: TextTrainRequest): Promise<TextTrainOutcome> {
  const checkpoint = checkpointPathFor(req.out);
  const resumed = req.resume ? await loadModelFile(req.storage, checkpoint, { task: TEXT_TASK }) : undefined;
  if (req.resume && !resumed?.trainState) throw new ConfigError(`${checkpoint} is not a checkpoint (no training state)`);
  if (resumed) checkResume(resumed, req);
  const split = splitDataset(req.dataset, req.split);
  const canaries = req.canaries ? makeCanaries(req.canaries) : [];
  const trainExamples = [...split.train, ...canaryCopies(canaries)];
  const tokenizer = resumed ? CharTokenizer.fromJSON(resumed.vocabulary as CharVocabulary) : CharTokenizer.fromExamples(trainExamples);
  const trainStream = tokenizer.encodeCorpus(trainExamples);
  const heldOutStream = tokenizer.encodeCorpus(split.heldOut);
  const config: GptConfig = { ...req.model, vocabSize: tokenizer.size };
  const model = Gpt.init(config, req.train.seed);
  const data = new TextBatches(trainStream, heldOutStream, req.train.batchSize, config.blockSize);
  const provenance = (state: TrainState, record?: EvalRecord): Provenance => ({
    dataset: {
      name: req.dataset.name, version: req.dataset.version, fingerprint: req.dataset.fingerprint,
      examples: req.dataset.examples.length, bytes: req.dataset.bytes, duplicateCount: req.dataset.duplicateCount,
    },
    split: { ...req.split, trainExamples: split.train.length, heldOutExamples: split.heldOut.length },
    canaries: req.canaries && { count: req.canaries.count, repeats: req.canaries.repeats, hashes: canaryHashes(canaries) },
    steps: state.step,
    trainLoss: record?.trainLoss ?? NaN,
    heldOutLoss: record?.heldOutLoss ?? NaN,
    engramVersion: '',
  });
  const recordOf = (state: TrainState, evalRecord: EvalRecord | undefined, withState: boolean): ModelRecord => ({
    kind: model.kind, task: TEXT_TASK, modelConfig: { ...config, architecture: GPT_ARCHITECTURE }, trainConfig: req.train,
    vocabulary: tokenizer.toJSON(), provenance: provenance(state, evalRecord), params: state.params,
    trainState: withState ? state : undefined,
  });
  try {
    return await runTraining({
      model, data, train: req.train, storage: req.storage, out: req.out, resume: resumed?.trainState,
      recordOf, onStep: req.onStep, onEval: req.onEval, stopRequested: req.stopRequested,
    });
  } finally {
    model.dispose();
  }
}

function checkResume(checkpoint: ModelRecord, req: TextTrainRequest): void {
  const canariesDiffer = JSON.stringify(checkpoint.provenance.canaries?.hashes ?? []) !== JSON.stringify(req.canaries ? canaryHashes(makeCanaries(req.canaries)) : []);
  checkSameRun(checkpoint, { dataset: req.dataset, modelSettings: req.model, train: req.train, split: req.split }, canariesDiffer ? ['canaries'] : []);
}

/** The settings a checkpoint was made with, so --resume can reuse them without repeating every flag. */
export async function readResumeSettings(storage: Storage, out: string): Promise<{ model: TextModelSettings; train: TrainConfig; split: SplitSpec; canaries?: { count: number; repeats: readonly number[] } } | undefined> {
  const record = await findCheckpoint(storage, out, TEXT_TASK);
  if (!record) return undefined;
  const { vocabSize: _vocab, ...model } = record.modelConfig as unknown as GptConfig;
  const { splitSeed, heldOutFraction } = record.provenance.split;
  const canaries = record.provenance.canaries && { count: record.provenance.canaries.count, repeats: record.provenance.canaries.repeats };
  return { model, train: record.trainConfig, split: { splitSeed, heldOutFraction }, canaries };
}

export interface LoadedTextModel {
  readonly model: Gpt;
  readonly tokenizer: CharTokenizer;
  readonly record: ModelRecord;
}

export async function loadTextModel(storage: Storage, location: string): Promise<LoadedTextModel> {
  return textModelFromRecord(await loadModelFile(storage, location, { kind: 'gpt', task: TEXT_TASK }), location);
}

/** A text model from a weights file already read (callers that inspect the record first need not read twice). */
export function textModelFromRecord(record: ModelRecord, location: string): LoadedTextModel {
  if (record.kind !== 'gpt' || record.task !== TEXT_TASK) throw new WeightsFormatError(`${location} holds a ${record.kind} model (${record.task}); this needs a gpt model`);
  const tokenizer = CharTokenizer.fromJSON(record.vocabulary as CharVocabulary);
  const config = { ...GPT_DEFAULTS, ...record.modelConfig } as GptConfig;
  if (config.vocabSize !== tokenizer.size) throw new WeightsFormatError(`${location}: vocabulary has ${tokenizer.size} symbols but the model ${config.vocabSize}`);
  const params = paramsFromRecord(record, gptParamShapes(config), location);
  return { model: new Gpt(config, params), tokenizer, record };
}

/** Outputs generated for `input`, decoded to text. */
export function generateText(loaded: LoadedTextModel, input: string, options: GenerateOptions): string[] {
  const prefix = loaded.tokenizer.encodePrompt(input);
  return generateTokens(loaded.model, prefix, options).map((ids) => loaded.tokenizer.decode(ids));
}
