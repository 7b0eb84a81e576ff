// The one trainer for every model family: AdamW, warm-up + cosine learning rate, gradient clipping,
// periodic train / held-out evaluation, best-model tracking, checkpoints for --resume and Ctrl-C, and a
// stop with the last good checkpoint kept when the loss turns NaN. It writes no files itself: the caller's
// hooks save checkpoints and models, so this module stays free of storage and console.
import { deriveSeed, type Variable } from '../engine/index.js';
import { TrainingStopped, WeightsFormatError } from '../errors.js';
import type { TrainableModel } from '../models/model.js';
import { AdamW } from './adamw.js';
import { WeightAverage } from './weightAverage.js';
import { learningRateAt, validateTrainConfig, type TrainConfig } from './config.js';

/** Where batches come from. Batches are a pure function of (seed, step), which makes resume exact. */
export interface BatchSource<Batch> {
  trainBatch(step: number, seed: number): Batch;
  /** Fixed batches for evaluation, the same at every evaluation. */
  evalBatches(split: 'train' | 'heldOut', count: number): Batch[];
  /** Items (tokens, images) per training batch, for throughput. */
  readonly itemsPerBatch: number;
}

/** A named array of float32 values: a parameter or an optimizer moment. */
export interface NamedArray {
  readonly shape: number[];
  readonly data: Float32Array;
}

/** Everything needed to continue training exactly where it stopped. */
export interface TrainState {
  readonly step: number; // steps completed
  readonly bestHeldOutLoss: number;
  readonly bestStep: number;
  readonly adamT: number;
  readonly params: Map<string, NamedArray>;
  readonly moments: Map<string, NamedArray>; // "m.<param>" and "v.<param>"
}

export interface EvalRecord {
  readonly step: number;
  readonly trainLoss: number;
  readonly heldOutLoss: number;
  readonly learningRate: number;
  readonly itemsPerSecond: number;
  readonly elapsedSeconds: number;
}

export interface StepRecord {
  readonly step: number; // steps completed
  readonly steps: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly itemsPerSecond: number;
  readonly lastEval?: EvalRecord;
}

export interface TrainHooks {
  onStep?(record: StepRecord): void;
  onEval?(record: EvalRecord): void;
  /** Saves a resumable checkpoint; returns a description (e.g. its path) for messages. */
  saveCheckpoint(state: TrainState): Promise<string>;
  /** Saves the model that will be shipped (best or last weights, per config.keep). */
  saveModel(state: TrainState, record: EvalRecord): Promise<void>;
  /** Polled between steps; true stops training after a checkpoint (Ctrl-C). */
  stopRequested?(): boolean;
}

export interface TrainResult {
  readonly state: TrainState;
  readonly lastEval: EvalRecord;
  readonly bestEval: EvalRecord;
}

/** setImmediate where there is one (Node); a browser worker's closest is a zero-delay timeout. */
const yieldToEventLoop = () => new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

export async function train<Batch>(
  model: TrainableModel<Batch>, data: BatchSource<Batch>, config: TrainConfig, hooks: TrainHooks, resume?: TrainState,
): Promise<TrainResult> {
  validateTrainConfig(config);
  const optimizer = new AdamW(model.params, config);
  const average = config.emaDecay > 0 ? new WeightAverage(model.params, config.emaDecay) : undefined;
  let step = 0;
  let best = { loss: Infinity, step: 0, eval: undefined as EvalRecord | undefined };
  if (resume) {
    restore(model, optimizer, average, resume);
    step = resume.step;
    best = { loss: resume.bestHeldOutLoss, step: resume.bestStep, eval: undefined };
  }
  const evalSets = { train: data.evalBatches('train', config.evalBatches), heldOut: data.evalBatches('heldOut', config.evalBatches) };
  const snapshot = () => takeState(model, optimizer, average, step, best.loss, best.step);
  // The shipped weights: the moving average when there is one.
  const modelSnapshot = (): TrainState => (average ? { ...snapshot(), params: readArrays(average.averages) } : snapshot());
  const evaluated = (batches: Batch[]) => (average ? average.swappedIn(() => evaluate(model, batches)) : evaluate(model, batches));
  let lastCheckpoint = 'none (no evaluation finished yet)';
  let lastEval: EvalRecord | undefined;
  const started = performance.now();
  const startStep = step;
  let items = 0;

  try {
    while (step < config.steps) {
      if (hooks.stopRequested?.()) {
        lastCheckpoint = await hooks.saveCheckpoint(snapshot());
        throw new TrainingStopped(`interrupted at step ${step}; checkpoint saved to ${lastCheckpoint}; continue with --resume`, 130);
      }
      const learningRate = learningRateAt(step, config);
      const batch = data.trainBatch(step, config.seed);
      const dropoutSeed = deriveSeed(config.seed, 'dropout', step);
      const result = optimizer.step(() => model.loss(batch, { training: true, seed: dropoutSeed }), learningRate);
      if (!result.applied) {
        throw new TrainingStopped(
          `loss became ${result.loss} (gradient norm ${result.gradNorm}) at step ${step}; training stopped, ` +
            `weights not updated. Last good checkpoint: ${lastCheckpoint}. Try a lower --learning-rate.`, 3);
      }
      step += 1;
      average?.update(optimizer.t);
      items += data.itemsPerBatch;
      const itemsPerSecond = items / ((performance.now() - started) / 1000);
      if (step % config.evalEvery === 0 || step === config.steps) {
        lastEval = {
          step,
          trainLoss: evaluated(evalSets.train),
          heldOutLoss: evaluated(evalSets.heldOut),
          learningRate, itemsPerSecond,
          elapsedSeconds: (performance.now() - started) / 1000,
        };
        const improved = lastEval.heldOutLoss < best.loss;
        if (improved) best = { loss: lastEval.heldOutLoss, step, eval: lastEval };
        if (config.keep === 'last' || improved) await hooks.saveModel(modelSnapshot(), lastEval);
        lastCheckpoint = await hooks.saveCheckpoint(snapshot());
        hooks.onEval?.(lastEval);
      }
      hooks.onStep?.({ step, steps: config.steps, loss: result.loss, learningRate, itemsPerSecond, lastEval });
      // Yield to the event loop so a Ctrl-C handler (or a page's message) can run between steps.
      await yieldToEventLoop();
    }
    if (!lastEval) throw new TrainingStopped(`nothing to train: already at step ${startStep} of ${config.steps}`, 2);
    return { state: snapshot(), lastEval, bestEval: best.eval ?? lastEval };
  } finally {
    optimizer.dispose();
    average?.dispose();
  }
}

/** Mean loss over fixed batches, without dropout. */
export function evaluate<Batch>(model: TrainableModel<Batch>, batches: Batch[]): number {
  let total = 0;
  for (const batch of batches) {
    const loss = model.loss(batch, { training: false, seed: 0 });
    total += loss.item();
    loss.dispose();
  }
  return total / batches.length;
}

function readArrays(tensors: Iterable<[string, Variable]>, prefix = ''): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of tensors) out.set(prefix + name, { shape: [...t.shape], data: t.toArray() });
  return out;
}

function takeState(model: TrainableModel<unknown>, optimizer: AdamW, average: WeightAverage | undefined, step: number, bestLoss: number, bestStep: number): TrainState {
  const moments = new Map([...readArrays(optimizer.m, 'm.'), ...readArrays(optimizer.v, 'v.'), ...(average ? readArrays(average.averages, 'ema.') : [])]);
  return { step, bestHeldOutLoss: bestLoss, bestStep, adamT: optimizer.t, params: readArrays(model.params), moments };
}

function restore(model: TrainableModel<unknown>, optimizer: AdamW, average: WeightAverage | undefined, state: TrainState): void {
  const assign = (target: Variable, source: NamedArray | undefined, name: string) => {
    if (!source || source.data.length !== target.size) throw new WeightsFormatError(`the checkpoint lacks ${name} or holds it at another size; it cannot be resumed`);
    target.assign(source.data);
  };
  for (const [name, p] of model.params) {
    assign(p, state.params.get(name), name);
    assign(optimizer.m.get(name)!, state.moments.get('m.' + name), 'm.' + name);
    assign(optimizer.v.get(name)!, state.moments.get('v.' + name), 'v.' + name);
    if (average) assign(average.averages.get(name)!, state.moments.get('ema.' + name), 'ema.' + name);
  }
  optimizer.t = state.adamT;
}
