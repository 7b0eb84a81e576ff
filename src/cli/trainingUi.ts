// What every `engram train` shows and keeps, whatever the task: a progress bar with loss, held-out loss,
// rate and ETA; a JSONL log of every evaluation; Ctrl-C asking for a checkpoint (a second one quits).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EvalRecord, StepRecord } from '../train/trainer.js';
import { ProgressBar } from './progress.js';

export interface TrainingHooks {
  readonly stopRequested: () => boolean;
  readonly onStep: (r: StepRecord) => void;
  readonly onEval: (r: EvalRecord) => void;
}

export function logPathFor(out: string): string {
  return out.replace(/\.safetensors$/, '') + '.log.jsonl';
}

export async function withTrainingUi<T>(out: string, steps: number, unit: string, append: boolean, run: (hooks: TrainingHooks) => Promise<T>): Promise<T> {
  const log = logPathFor(out);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  if (!append) writeFileSync(log, '');
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: give up waiting for the checkpoint
    interrupted = true;
    process.stderr.write('\nCtrl-C: saving a checkpoint after this step (Ctrl-C again to quit without it)\n');
  };
  process.on('SIGINT', onSigint);
  const bar = new ProgressBar('train', steps, unit);
  let heldOut = '';
  try {
    const result = await run({
      stopRequested: () => interrupted,
      onStep: (r) => bar.update(r.step, `loss ${r.loss.toFixed(3)}${heldOut} lr ${r.learningRate.toExponential(1)}`, r.itemsPerSecond),
      onEval: (r) => {
        heldOut = ` held-out ${r.heldOutLoss.toFixed(3)}`;
        appendFileSync(log, JSON.stringify(r) + '\n');
      },
    });
    bar.finish();
    return result;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
