// An exponential moving average of the weights (Polyak averaging), the weights diffusion models ship with
// (Ho et al. 2020 use a decay of 0.9999): it smooths out the last steps' noise, which a sampler running the
// network 50 times in a row would otherwise compound. Early on the decay is min(decay, (1 + n) / (10 + n))
// after n updates, as in TensorFlow's ExponentialMovingAverage, so the average is not stuck at the init.
import { tf, variableOf } from '../engine/index.js';
import type { Params } from '../models/model.js';

export class WeightAverage {
  readonly averages = new Map<string, tf.Variable>();

  constructor(private readonly params: Params, private readonly decay: number) {
    for (const [name, p] of params) this.averages.set(name, variableOf(p.dataSync() as Float32Array, p.shape, false));
  }

  /** Folds the current weights in, after `updates` optimizer updates. */
  update(updates: number): void {
    const d = Math.min(this.decay, (1 + updates) / (10 + updates));
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const average = this.averages.get(name)!;
        average.assign(tf.add(tf.mul(average, d), tf.mul(p, 1 - d)));
      }
    });
  }

  /** Runs `fn` with the averaged weights in the model's place, then puts the trained weights back. */
  swappedIn<T>(fn: () => T): T {
    const trained = new Map([...this.params].map(([name, p]) => [name, tf.clone(p)]));
    try {
      for (const [name, p] of this.params) p.assign(this.averages.get(name)!);
      return fn();
    } finally {
      for (const [name, p] of this.params) p.assign(trained.get(name)!);
      tf.dispose([...trained.values()]);
    }
  }

  dispose(): void {
    tf.dispose([...this.averages.values()]);
  }
}
