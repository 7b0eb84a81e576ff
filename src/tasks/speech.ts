// The speech-to-text task end to end: speech dataset -> split (by utterance or by speaker) -> CTC alphabet ->
// speech model -> the one trainer -> weights file, and back from a weights file to a model that transcribes.
import { ConfigError, WeightsFormatError } from '../errors.js';
import { BLANK, CTC_CHARACTERS, CTC_VOCAB_SIZE } from '../codecs/ctcAlphabet.js';
import { logMelEnergies, standardise } from '../codecs/logMel.js';
import { resample, SAMPLE_RATE, type Waveform } from '../data/audio.js';
import { splitSpeech, standardisedOver, trimSilence, type SpeechDataset, type SpeechExample, type SpeechSplitSpec } from '../data/speech.js';
import { SpeechModel, speechParamShapes, SPEECH_DEFAULTS, type SpeechConfig } from '../models/speech.js';
import { TRAIN_DEFAULTS, type TrainConfig } from '../train/config.js';
import { fitsCtc, SpeechBatches, speechItem } from '../train/speechBatches.js';
import type { EvalRecord, StepRecord, TrainState } from '../train/trainer.js';
import { paramsFromRecord, type ModelRecord, type Provenance } from '../weights/modelFile.js';
import type { Storage } from '../weights/storage.js';
import { transcribeFeatures, type TranscribeOptions } from '../sample/ctcDecode.js';
import { transcribeTogether } from '../sample/ensemble.js';
import { runTraining, type RunTrainingResult } from './runTraining.js';

export const SPEECH_TASK = 'speech-to-text';
export type SpeechModelSettings = Omit<SpeechConfig, 'vocabSize'>;
export { SPEECH_DEFAULTS };
export const SPEECH_SPLIT_DEFAULTS: SpeechSplitSpec = { splitSeed: 0, heldOutFraction: 0.1, by: 'utterance' };
export const SPEECH_TRAIN_DEFAULTS: TrainConfig = { ...TRAIN_DEFAULTS, steps: 3000, batchSize: 16, learningRate: 2e-3, minLearningRate: 2e-4, warmupSteps: 100, weightDecay: 0, evalEvery: 250, evalBatches: 4, keep: 'best' };

export { speechItem, transcribeFeatures, type TranscribeOptions };

export interface SpeechTrainRequest {
  readonly dataset: SpeechDataset;
  readonly out: string;
  readonly model: SpeechModelSettings;
  readonly train: TrainConfig;
  readonly split: SpeechSplitSpec;
  readonly storage: Storage;
  readonly onStep?: (record: StepRecord) => void;
  readonly onEval?: (record: EvalRecord) => void;
  readonly stopRequested?: () => boolean;
}

export async function trainSpeechModel(req: SpeechTrainRequest): Promise<RunTrainingResult & { unfit: number }> {
  const config: SpeechConfig = { ...req.model, vocabSize: CTC_VOCAB_SIZE };
  const sides = splitSpeech(standardisedOver(req.dataset, config.standardiseOver), req.split);
  const items = (xs: readonly SpeechExample[]) => xs.map(speechItem).filter(fitsCtc);
  const train = items(sides.train);
  const model = SpeechModel.init(config, req.train.seed);
  const provenance = (state: TrainState, r?: EvalRecord): Provenance => ({
    dataset: { name: req.dataset.name, version: req.dataset.version, fingerprint: req.dataset.fingerprint, examples: req.dataset.examples.length, bytes: Math.round(req.dataset.seconds * SAMPLE_RATE * 2), duplicateCount: 0 },
    split: { ...req.split, trainExamples: sides.train.length, heldOutExamples: sides.heldOut.length },
    steps: state.step, trainLoss: r?.trainLoss ?? NaN, heldOutLoss: r?.heldOutLoss ?? NaN, engramVersion: '',
  });
  try {
    const result = await runTraining({
      model, data: new SpeechBatches(train, items(sides.heldOut), req.train.batchSize, { voiceWarp: config.voiceWarp, masks: config.masks, speakerPools: config.standardiseOver === 'speaker', closeTrims: config.closeTrims }), train: req.train, storage: req.storage, out: req.out,
      recordOf: (state, r, withState): ModelRecord => ({
        kind: model.kind, task: SPEECH_TASK, modelConfig: { ...config }, trainConfig: req.train, vocabulary: { characters: CTC_CHARACTERS, blank: BLANK },
        provenance: provenance(state, r), params: state.params, trainState: withState ? state : undefined,
      }),
      onStep: req.onStep, onEval: req.onEval, stopRequested: req.stopRequested,
    });
    return { ...result, unfit: sides.train.length - train.length };
  } finally {
    model.dispose();
  }
}

export interface LoadedSpeechModel {
  readonly model: SpeechModel;
  readonly record: ModelRecord;
}

export function speechModelFromRecord(record: ModelRecord, location: string): LoadedSpeechModel {
  if (record.kind !== 'speech-ctc' || record.task !== SPEECH_TASK) throw new WeightsFormatError(`${location} holds a ${record.kind} model (${record.task}); this needs a speech model`);
  // Files from before global context lack the flag and the weights; files from before the warp or close trims were
  // trained without them; files from before speaker standardisation read features standardised over each utterance.
  const config = { ...SPEECH_DEFAULTS, globalContext: false, voiceWarp: 0, standardiseOver: 'utterance', closeTrims: 0, ...record.modelConfig } as SpeechConfig;
  return { model: new SpeechModel(config, paramsFromRecord(record, speechParamShapes(config), location)), record };
}

/**
 * Transcripts of recordings, trimmed of silence as training recordings are. A model that standardises its
 * features over a speaker hears the recordings given together as one voice (one person's recordings: the
 * more, the better its statistics), unless `separately`, when each recording is its own voice. With
 * `together`, more models hear them too, and each recording's transcript is the one all of them find most
 * probable (ensemble.ts).
 */
export function transcribe(loaded: LoadedSpeechModel, waves: readonly Waveform[], o: TranscribeOptions & { separately?: boolean; together?: readonly LoadedSpeechModel[] }): string[] {
  const models = [loaded, ...(o.together ?? [])].map((m) => m.model);
  const over = loaded.model.config.standardiseOver;
  const unlike = models.find((m) => m.config.standardiseOver !== over);
  if (unlike) throw new ConfigError(`models heard together must read features alike: one standardises them over each ${over}, another over each ${unlike.config.standardiseOver}`);
  const utterances = waves.map((w) => logMelEnergies(trimSilence(resample(w, SAMPLE_RATE).samples)));
  const pooled = over === 'speaker' && !o.separately;
  const features = pooled ? standardise(utterances) : utterances.flatMap((u) => standardise([u]));
  const heard = utterances.map((u, i) => ({ frames: u.frames, features: features[i] }));
  // Adapted to a voice: each file its own warp when each is a voice of its own.
  return transcribeTogether(models, o.adaptVoice && !pooled ? heard.map((u) => [u]) : [heard], o);
}
