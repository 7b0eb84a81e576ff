// An exponential moving average of the weights (Polyak averaging), the weights diffusion models ship with
// (Ho et al. 2020 use a decay of 0.9999): it smooths out the last steps' noise, which a sampler running the
// network 50 times in a row would otherwise compound. Early on the decay is min(decay, (1 + n) / (10 + n))
// after n updates, as in TensorFlow's ExponentialMovingAverage, so the average is not stuck at the init.
import { variableOf, type Variable } from '../engine/index.js';
import type { Params } from '../models/model.js';

export class WeightAverage {
  readonly averages = new Map<string, Variable>();

  constructor(private readonly params: Params, private readonly decay: number) {
    for (const [name, p] of params) this.averages.set(name, variableOf(p.toArray(), [...p.shape], false));
  }

  /** Folds the current weights in, after `updates` optimizer updates. */
  update(updates: number): void {
    const d = Math.fround(Math.min(this.decay, (1 + updates) / (10 + updates)));
    for (const [name, p] of this.params) {
      const average = this.averages.get(name)!.data;
      const current = p.data;
      for (let i = 0; i < average.length; i++) average[i] = average[i] * d + current[i] * (1 - d);
    }
  }

  /** Runs `fn` with the averaged weights in the model's place, then puts the trained weights back. */
  swappedIn<T>(fn: () => T): T {
    const trained = new Map([...this.params].map(([name, p]) => [name, p.toArray()]));
    try {
      for (const [name, p] of this.params) p.assign(this.averages.get(name)!);
      return fn();
    } finally {
      for (const [name, p] of this.params) p.assign(trained.get(name)!);
    }
  }

  dispose(): void {
    for (const a of this.averages.values()) a.dispose();
  }
}
