// Training with files, for every task: runs the one trainer with hooks that write the model file (best or
// last weights) and the resumable checkpoint beside it, each through the task's own record builder.
import type { TrainableModel } from '../models/model.js';
import type { TrainConfig } from '../train/config.js';
import { train, type BatchSource, type EvalRecord, type StepRecord, type TrainResult, type TrainState } from '../train/trainer.js';
import { saveModelFile, type ModelRecord } from '../weights/modelFile.js';
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
