// Training with files, for every task: runs the one trainer with hooks that write the model file (best or
// last weights) and the resumable checkpoint beside it, each through the task's own record builder.
import { ConfigError, DatasetError } from '../errors.js';
import type { SplitSpec } from '../data/split.js';
import type { TrainableModel } from '../models/model.js';
import type { TrainConfig } from '../train/config.js';
import { train, type BatchSource, type EvalRecord, type StepRecord, type TrainResult, type TrainState } from '../train/trainer.js';
import { loadModelFile, saveModelFile, type ModelRecord } from '../weights/modelFile.js';
import type { Storage } from '../weights/storage.js';

/** model.safetensors -> model.ckpt.safetensors */
export function checkpointPathFor(out: string): string {
  return out.endsWith('.safetensors') ? out.replace(/\.safetensors$/, '.ckpt.safetensors') : `${out}.ckpt`;
}

export interface RunTrainingRequest<Batch> {
  readonly model: TrainableModel<Batch>;
  readonly data: BatchSource<Batch>;
  readonly train: TrainConfig;
  readonly storage: Storage;
  readonly out: string;
  /** The weights file's record for a state: with `withState`, a checkpoint (optimizer moments included). */
  readonly recordOf: (state: TrainState, evalRecord: EvalRecord | undefined, withState: boolean) => ModelRecord;
  readonly resume?: TrainState;
  readonly onStep?: (record: StepRecord) => void;
  readonly onEval?: (record: EvalRecord) => void;
  readonly stopRequested?: () => boolean;
}

export interface RunTrainingResult extends TrainResult {
  readonly modelBytes: number;
  readonly parameterCount: number;
  readonly checkpoint: string;
}

export async function runTraining<Batch>(req: RunTrainingRequest<Batch>): Promise<RunTrainingResult> {
  const checkpoint = checkpointPathFor(req.out);
  let modelBytes = 0;
  let lastEval: EvalRecord | undefined;
  const result = await train(req.model, req.data, req.train, {
    onStep: req.onStep,
    onEval: (r) => {
      lastEval = r;
      req.onEval?.(r);
    },
    stopRequested: req.stopRequested,
    saveModel: async (state, r) => {
      modelBytes = await saveModelFile(req.storage, req.out, req.recordOf(state, r, false));
    },
    saveCheckpoint: async (state) => {
      await saveModelFile(req.storage, checkpoint, req.recordOf(state, lastEval, true));
      return `${checkpoint} (step ${state.step})`;
    },
  }, req.resume);
  const parameterCount = [...result.state.params.values()].reduce((n, a) => n + a.data.length, 0);
  return { ...result, modelBytes, parameterCount, checkpoint };
}

/** The checkpoint beside `out` if there is one (for --resume to reuse its settings without repeating flags). */
export async function findCheckpoint(storage: Storage, out: string, task: string): Promise<ModelRecord | undefined> {
  const checkpoint = checkpointPathFor(out);
  if (!(await storage.exists(checkpoint))) return undefined;
  const record = await loadModelFile(storage, checkpoint, { task });
  if (!record.trainState) throw new ConfigError(`${checkpoint} is not a checkpoint (no training state)`);
  return record;
}

export interface RunIdentity {
  readonly dataset: { readonly name: string; readonly fingerprint: string };
  readonly modelSettings: object;
  readonly train: TrainConfig;
  readonly split: SplitSpec;
}

/** A resumed run must be the same run: same dataset, split, architecture and settings (steps may grow). */
export function checkSameRun(checkpoint: ModelRecord, now: RunIdentity, extraDifferences: string[] = []): void {
  const was = checkpoint.provenance;
  if (was.dataset.fingerprint !== now.dataset.fingerprint) {
    throw new DatasetError(`checkpoint was trained on ${was.dataset.name} (fingerprint ${was.dataset.fingerprint.slice(0, 12)}), not on ${now.dataset.name} (${now.dataset.fingerprint.slice(0, 12)})`);
  }
  const differs = (a: object, b: object, skip: string[] = []) =>
    Object.entries(a).filter(([k, v]) => !skip.includes(k) && k in b && JSON.stringify(v) !== JSON.stringify((b as Record<string, unknown>)[k])).map(([k]) => k);
  const bad = [...differs(now.modelSettings, checkpoint.modelConfig), ...differs(now.train, checkpoint.trainConfig, ['steps']), ...differs(now.split, was.split), ...extraDifferences];
  if (bad.length > 0) throw new ConfigError(`--resume with settings that differ from the checkpoint: ${bad.join(', ')}; drop those flags`);
}
