// Connectionist temporal classification (Graves et al. 2006): the negative log-likelihood of a label
// sequence summed over every alignment of it to the frames (labels separated by optional blanks, each
// repeated over consecutive frames), by the forward-backward recursions in log space; its gradient with
// respect to the logits is softmax minus the posterior occupancy of each label at each frame. Sizes in
// speech recognition here are small (tens of frames and labels), so this runs in float64 JavaScript.
import { record } from '../autograd.js';
import { tensor, type Tensor } from '../tensor.js';

const logAdd = (a: number, b: number) => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))));

/** Log-softmax of each frame's logits, float64: [frames * V]. */
export function logProbabilities(logits: Float32Array, frames: number, V: number, offset: number): Float64Array {
  const out = new Float64Array(frames * V);
  for (let t = 0; t < frames; t++) {
    const row = offset + t * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[row + v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[row + v] - max);
    const logZ = max + Math.log(sum);
    for (let v = 0; v < V; v++) out[t * V + v] = logits[row + v] - logZ;
  }
  return out;
}

export interface CtcExample {
  readonly loss: number;
  /** d loss / d logits for the example's frames [frames * V]; undefined when no alignment fits. */
  readonly grad?: Float64Array;
}

/** One example: frames of log-probabilities [T * V], its label ids (no blanks). */
export function ctcExample(logProbs: Float64Array, T: number, V: number, labels: ArrayLike<number>, blank: number, withGrad: boolean): CtcExample {
  const S = 2 * labels.length + 1; // blank, l1, blank, l2, ..., blank
  const symbol = (s: number) => (s % 2 === 0 ? blank : labels[(s - 1) >> 1]);
  const skipAllowed = (s: number) => s % 2 === 1 && s >= 2 && symbol(s) !== symbol(s - 2);
  const alpha = new Float64Array(T * S).fill(-Infinity);
  alpha[0] = logProbs[blank];
  if (S > 1) alpha[1] = logProbs[symbol(1)];
  for (let t = 1; t < T; t++) {
    for (let s = 0; s < S; s++) {
      let a = alpha[(t - 1) * S + s];
      if (s >= 1) a = logAdd(a, alpha[(t - 1) * S + s - 1]);
      if (skipAllowed(s)) a = logAdd(a, alpha[(t - 1) * S + s - 2]);
      alpha[t * S + s] = a === -Infinity ? a : a + logProbs[t * V + symbol(s)];
    }
  }
  const logLikelihood = logAdd(alpha[(T - 1) * S + S - 1], S > 1 ? alpha[(T - 1) * S + S - 2] : -Infinity);
  if (logLikelihood === -Infinity) return { loss: Infinity };
  if (!withGrad) return { loss: -logLikelihood };
  const beta = new Float64Array(T * S).fill(-Infinity);
  beta[(T - 1) * S + S - 1] = logProbs[(T - 1) * V + symbol(S - 1)];
  if (S > 1) beta[(T - 1) * S + S - 2] = logProbs[(T - 1) * V + symbol(S - 2)];
  for (let t = T - 2; t >= 0; t--) {
    for (let s = S - 1; s >= 0; s--) {
      let b = beta[(t + 1) * S + s];
      if (s + 1 < S) b = logAdd(b, beta[(t + 1) * S + s + 1]);
      if (s + 2 < S && skipAllowed(s + 2)) b = logAdd(b, beta[(t + 1) * S + s + 2]);
      beta[t * S + s] = b === -Infinity ? b : b + logProbs[t * V + symbol(s)];
    }
  }
  // alpha_t(s) beta_t(s) counts the frame's own probability twice: occupancy = exp(alpha + beta - lp - logL).
  const grad = new Float64Array(T * V);
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < V; v++) grad[t * V + v] = Math.exp(logProbs[t * V + v]);
    for (let s = 0; s < S; s++) {
      const ab = alpha[t * S + s] + beta[t * S + s];
      if (ab === -Infinity) continue;
      grad[t * V + symbol(s)] -= Math.exp(ab - logProbs[t * V + symbol(s)] - logLikelihood);
    }
  }
  return { loss: -logLikelihood, grad };
}

/**
 * CTC loss per example [B] of logits [B * T, V] (example b's frames are rows b * T ... b * T + frames[b] - 1;
 * the rest are padding and get no gradient). An example no alignment fits (too few frames) gets loss 0 and no
 * gradient; the speech batches leave such utterances out beforehand (train/speechBatches.ts fitsCtc).
 */
export function ctcLoss(logits: Tensor, batch: number, time: number, frames: ArrayLike<number>, labels: readonly ArrayLike<number>[], blank = 0): Tensor {
  const V = logits.shape[1];
  if (logits.shape[0] !== batch * time) throw new Error(`ctcLoss: logits [${logits.shape}] for ${batch} x ${time} frames`);
  const values = logits.toArray();
  const results = Array.from({ length: batch }, (_, b) => ctcExample(logProbabilities(values, frames[b], V, b * time * V), frames[b], V, labels[b], blank, logits.requiresGrad));
  const losses = results.map((r) => (Number.isFinite(r.loss) ? r.loss : 0));
  return record(tensor(losses, [batch]), [logits], (g) => {
    const scale = g.toArray();
    const grad = new Float32Array(batch * time * V);
    results.forEach((r, b) => {
      if (!r.grad) return;
      for (let i = 0; i < r.grad.length; i++) grad[b * time * V + i] = scale[b] * r.grad[i];
    });
    return [tensor(grad, logits.shape)];
  });
}
