// Matrix products that are fast on the wasm backend. Its BatchMatMul kernel is fast only for a single,
// untransposed 2D product: with transposeA/B it runs ~10x slower (measured 1.5-1.9 vs 20 GFLOP/s), and with
// a batch dimension too (splitting the batch costs more than it saves: slicing is ~1 ms a piece).
// tfjs's own matMul gradient uses transposed products, so every backward pass paid that price. These
// wrappers transpose explicitly, in the forward and the backward pass alike. Models call these, never tf.matMul.
import * as tf from '@tensorflow/tfjs-core';

function plain2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, b);
}

function transposed(x: tf.Tensor2D): tf.Tensor2D {
  return tf.transpose(x);
}

/** a [m, k] x b [k, n] -> [m, n], with a gradient built from untransposed products. */
export const matMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: plain2d(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [
      plain2d(dy as tf.Tensor2D, transposed(sb as tf.Tensor2D)),
      plain2d(transposed(sa as tf.Tensor2D), dy as tf.Tensor2D),
    ],
  };
}) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/** x [m, k] times y^T where y is [n, k]: x y^T -> [m, n]. */
export function matMulTransposeB(x: tf.Tensor, y: tf.Tensor): tf.Tensor2D {
  return matMul(x, transposed(y as tf.Tensor2D));
}

function batched(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return tf.matMul(a, b);
}

function batchTransposed(x: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(x, [0, 2, 1]);
}

/** a [batch, m, k] x b [batch, k, n] -> [batch, m, n], with explicit transposes in the gradient. */
export const batchMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: batched(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [
      batched(dy as tf.Tensor3D, batchTransposed(sb as tf.Tensor3D)),
      batched(batchTransposed(sa as tf.Tensor3D), dy as tf.Tensor3D),
    ],
  };
}) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor3D;

export { batchTransposed as transposeLastTwo };
