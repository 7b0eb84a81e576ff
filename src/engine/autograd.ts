// Reverse-mode automatic differentiation on a tape, as in micrograd: while valueAndGrads records, every op
// whose inputs need a gradient appends (inputs, output, backward) to the tape; afterwards the tape is walked
// backwards from the loss, each entry turning the gradient of its output into gradients of its inputs.
import { Tensor, Variable, empty, setDeferredDisposal, tidy } from './tensor.js';

/** Turns the gradient of an op's output into the gradients of its inputs (undefined: none for that input). */
export type Backward = (outputGrad: Tensor) => (Tensor | undefined)[];

interface TapeEntry {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly backward: Backward;
}

let tape: TapeEntry[] | undefined;

/** Called by every differentiable op: records it when a tape is on and an input needs a gradient. */
export function record(output: Tensor, inputs: readonly Tensor[], backward: Backward): Tensor {
  if (tape && inputs.some((t) => t.requiresGrad)) {
    output.requiresGrad = true;
    tape.push({ inputs, output, backward });
  }
  return output;
}

export function isRecording(): boolean {
  return tape !== undefined;
}

/**
 * Runs lossFn (which returns a scalar tensor) and returns its value and the gradient of each trainable
 * variable in `params` (zeros where the loss does not depend on it). The caller disposes the gradients.
 */
export function valueAndGrads(lossFn: () => Tensor, params: readonly Variable[], zeros: (shape: readonly number[]) => Tensor): { value: number; grads: Tensor[] } {
  if (tape) throw new Error('valueAndGrads cannot nest');
  // Every tensor made while the forward pass records is kept until the backward pass is done with it.
  const entries: TapeEntry[] = (tape = []);
  const made = new Set<Tensor>();
  setDeferredDisposal(made);
  let loss: Tensor;
  try {
    loss = lossFn();
  } catch (error) {
    finish(made);
    throw error;
  }
  tape = undefined;
  setDeferredDisposal(undefined);
  if (loss.size !== 1) {
    finish(made);
    throw new Error(`the loss must be a scalar, got shape [${loss.shape}]`);
  }
  const value = loss.item();
  try {
    const grads = tidy(() => backward(entries, loss, params, zeros));
    return { value, grads };
  } finally {
    finish(made);
  }
}

function finish(made: Set<Tensor>): void {
  tape = undefined;
  setDeferredDisposal(undefined);
  for (const t of made) t.dispose();
}

function backward(entries: TapeEntry[], loss: Tensor, params: readonly Variable[], zeros: (shape: readonly number[]) => Tensor): Tensor[] {
  const grads = new Map<Tensor, Tensor>();
  const seed = zeros(loss.shape);
  seed.data[0] = 1;
  grads.set(loss, seed);
  for (let i = entries.length - 1; i >= 0; i--) {
    const { inputs, output, backward: step } = entries[i];
    const g = grads.get(output);
    if (!g) continue;
    grads.delete(output);
    const inputGrads = step(g);
    // A backward may hand its output gradient (or a view of it) to several inputs: each gets a tensor
    // object of its own (views share storage, which is fine: gradients are never written in place).
    const taken = new Set<Tensor>();
    inputs.forEach((input, k) => {
      let ig = inputGrads[k];
      if (!ig || !input.requiresGrad) return;
      if (taken.has(ig)) ig = ig.reshape(ig.shape);
      taken.add(ig);
      const previous = grads.get(input);
      grads.set(input, previous ? sumOf(previous, ig) : ig);
    });
    for (const t of new Set([g, ...inputGrads])) if (t && !taken.has(t)) t.dispose();
  }
  return params.map((p) => grads.get(p) ?? zeros(p.shape));
}

/** a + b as a new tensor; frees both. */
function sumOf(a: Tensor, b: Tensor): Tensor {
  const out = empty(a.shape);
  const [x, y, o] = [a.data, b.data, out.data];
  for (let i = 0; i < o.length; i++) o[i] = x[i] + y[i];
  a.dispose();
  b.dispose();
  return out;
}
