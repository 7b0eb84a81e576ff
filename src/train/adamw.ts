// AdamW (Loshchilov & Hutter 2019) with global-norm gradient clipping. Written out rather than taken from
// tfjs because its moments must go into checkpoints for an exact resume, and tfjs's Adam has no decay.
import { tf, variableOf } from '../engine/index.js';
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
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(private readonly params: Params, private readonly settings: AdamWSettings) {
    for (const [name, p] of params) {
      this.m.set(name, variableOf(new Float32Array(p.size), p.shape, false));
      this.v.set(name, variableOf(new Float32Array(p.size), p.shape, false));
    }
  }

  step(lossFn: () => tf.Scalar, learningRate: number): StepResult {
    const names = [...this.params.keys()];
    const { value, grads } = tf.variableGrads(lossFn, names.map((n) => this.params.get(n)!));
    const normTensor = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
    const loss = value.dataSync()[0];
    const gradNorm = normTensor.dataSync()[0];
    value.dispose();
    normTensor.dispose();
    const applied = Number.isFinite(loss) && Number.isFinite(gradNorm);
    if (applied) this.apply(names, grads, gradNorm, learningRate);
    tf.dispose(Object.values(grads));
    return { loss, gradNorm, applied };
  }

  private apply(names: string[], grads: tf.NamedTensorMap, gradNorm: number, lr: number): void {
    const { beta1, beta2, weightDecay, gradClip } = this.settings;
    this.t += 1;
    const clipScale = gradClip > 0 && gradNorm > gradClip ? gradClip / gradNorm : 1;
    const correction1 = 1 - beta1 ** this.t;
    const correction2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      for (const name of names) {
        const p = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const g = tf.mul(grads[p.name], clipScale);
        const newM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const newV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const update = tf.div(tf.div(newM, correction1), tf.add(tf.sqrt(tf.div(newV, correction2)), 1e-8));
        // Decay matrices only (as nanoGPT): biases and LayerNorm gains keep their scale.
        const decayed = p.rank >= 2 && weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
        m.assign(newM);
        v.assign(newV);
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
