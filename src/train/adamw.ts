// AdamW (Loshchilov & Hutter 2019) with global-norm gradient clipping. Written out rather than taken from
// a library because its moments must go into checkpoints for an exact resume. Each parameter's update is
// one fused kernel pass (src/engine/ops/optim.ts).
import { ops, valueAndGrads, variableOf, zeros, type Tensor, type Variable } from '../engine/index.js';
import type { Params } from '../models/model.js';

export interface AdamWSettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly gradClip: number;
}

export interface StepResult {
  readonly loss: number;
  readonly gradNorm: number;
  /** False when the loss or gradient was not finite; the parameters were then left untouched. */
  readonly applied: boolean;
}

export class AdamW {
  /** Updates applied so far (for bias correction). */
  t = 0;
  readonly m = new Map<string, Variable>();
  readonly v = new Map<string, Variable>();

  constructor(private readonly params: Params, private readonly settings: AdamWSettings) {
    for (const [name, p] of params) {
      this.m.set(name, variableOf(new Float32Array(p.size), [...p.shape], false));
      this.v.set(name, variableOf(new Float32Array(p.size), [...p.shape], false));
    }
  }

  step(lossFn: () => Tensor, learningRate: number): StepResult {
    const names = [...this.params.keys()];
    const { value: loss, grads } = valueAndGrads(lossFn, names.map((n) => this.params.get(n)!), zeros);
    try {
      const gradNorm = Math.sqrt(grads.reduce((total, g) => total + ops.sumOfSquares(g), 0));
      const applied = Number.isFinite(loss) && Number.isFinite(gradNorm);
      if (applied) this.apply(names, grads, gradNorm, learningRate);
      return { loss, gradNorm, applied };
    } finally {
      for (const g of grads) g.dispose();
    }
  }

  private apply(names: string[], grads: Tensor[], gradNorm: number, lr: number): void {
    const { beta1, beta2, weightDecay, gradClip } = this.settings;
    this.t += 1;
    const gradScale = gradClip > 0 && gradNorm > gradClip ? gradClip / gradNorm : 1;
    names.forEach((name, i) => {
      const p = this.params.get(name)!;
      ops.adamw(p, grads[i], this.m.get(name)!, this.v.get(name)!, {
        learningRate: lr, beta1, beta2, correction1: 1 - beta1 ** this.t, correction2: 1 - beta2 ** this.t, epsilon: 1e-8,
        // Decay matrices only (as nanoGPT): biases and LayerNorm gains keep their scale.
        weightDecay: p.rank >= 2 ? weightDecay : 0,
        gradScale,
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
