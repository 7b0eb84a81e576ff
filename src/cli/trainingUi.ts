// What every `engram train` shows and keeps, whatever the task: a progress bar with loss, held-out loss,
// rate and ETA; a JSONL log of every evaluation; Ctrl-C, SIGTERM (kill, systemd, Docker, CI) and SIGHUP (a
// closed terminal) asking for a checkpoint (a second one quits).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TrainingStopped } from '../errors.js';
import type { EvalRecord, StepRecord } from '../train/trainer.js';
import { ProgressBar } from './progress.js';

/** The signals that stop training with a checkpoint, and the exit codes a shell expects (128 + number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

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
  // A new run's log starts at its first evaluation, so a run that fails before that (bad data, a refused
  // split) leaves the previous run's log as it was.
  let logStarted = append;
  let stoppedBy: StopSignal | undefined;
  const handlers = Object.keys(STOP_SIGNALS).map((name) => {
    const signal = name as StopSignal;
    const handler = () => {
      if (stoppedBy) process.exit(STOP_SIGNALS[signal]); // a second signal: give up waiting for the checkpoint
      stoppedBy = signal;
      const what = signal === 'SIGINT' ? 'Ctrl-C' : signal;
      process.stderr.write(`\n${what}: saving a checkpoint after this step (the same again to quit without it)\n`);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const bar = new ProgressBar('train', steps, unit);
  let heldOut = '';
  try {
    const result = await run({
      stopRequested: () => stoppedBy !== undefined,
      onStep: (r) => bar.update(r.step, `loss ${r.loss.toFixed(3)}${heldOut} lr ${r.learningRate.toExponential(1)}`, r.itemsPerSecond),
      onEval: (r) => {
        heldOut = ` held-out ${r.heldOutLoss.toFixed(3)}`;
        if (!logStarted) writeFileSync(log, '');
        logStarted = true;
        appendFileSync(log, JSON.stringify(r) + '\n');
      },
    });
    bar.finish();
    return result;
  } catch (error) {
    // Stopped by a signal before the first evaluation: the checkpoint now belongs to this run, so the earlier
    // run's log goes too (a --resume appends to this run's log).
    if (error instanceof TrainingStopped && stoppedBy && !logStarted) writeFileSync(log, '');
    // The trainer stops with Ctrl-C's code; a SIGTERM or SIGHUP stop exits with its own.
    if (error instanceof TrainingStopped && stoppedBy && stoppedBy !== 'SIGINT') throw new TrainingStopped(`${stoppedBy}: ${error.message}`, STOP_SIGNALS[stoppedBy]);
    throw error;
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
