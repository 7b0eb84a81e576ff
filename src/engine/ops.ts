// Matrix products that are fast on the wasm backend. Its BatchMatMul kernel is fast only for a single,
// untransposed 2D product: with transposeA/B it runs ~10x slower (measured 1.5-1.9 vs 20 GFLOP/s), and with
// a batch dimension too (splitting the batch costs more than it saves: slicing a tensor copies all of it).
// tfjs's own matMul gradient uses transposed products, so every backward pass paid that price. These
// wrappers transpose explicitly, in the forward and the backward pass alike. Models call these, never tf.matMul.
import * as tf from '@tensorflow/tfjs-core';

type Product = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** A product a x b whose gradient is built from the same untransposed product and explicit transposes. */
function withUntransposedGradient(product: Product, transpose: (x: tf.Tensor) => tf.Tensor): Product {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([a, b]);
    return {
      value: product(a, b),
      // d(a b)/da = dy b^T, d(a b)/db = a^T dy
      gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [product(dy, transpose(sb)), product(transpose(sa), dy)],
    };
  }) as unknown as Product;
}

const transpose2d = (x: tf.Tensor) => tf.transpose(x);
const transposeLastTwoDims = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1]);
const product = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);

const matMulImpl = withUntransposedGradient(product, transpose2d);
const batchMatMulImpl = withUntransposedGradient(product, transposeLastTwoDims);

/** a [m, k] x b [k, n] -> [m, n]. */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return matMulImpl(a, b) as tf.Tensor2D;
}

/** x [m, k] times y^T where y is [n, k]: x y^T -> [m, n]. */
export function matMulTransposeB(x: tf.Tensor, y: tf.Tensor): tf.Tensor2D {
  return matMul(x, transpose2d(y));
}

/** a [batch, m, k] x b [batch, k, n] -> [batch, m, n]. */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor3D {
  return batchMatMulImpl(a, b) as tf.Tensor3D;
}

/** [batch, m, n] -> [batch, n, m]. */
export function transposeLastTwo(x: tf.Tensor): tf.Tensor3D {
  return transposeLastTwoDims(x) as tf.Tensor3D;
}

/**
 * 3x3 convolution, stride 1, "same" padding, as im2col + one matrix product: x [batch, h, w, cIn],
 * filter [9 * cIn, cOut] -> [batch, h, w, cOut]. The wasm backend has no kernel for the filter gradient
 * of tf.conv2d (Conv2DBackpropFilter), so training a CNN needs convolutions built from ops it can
 * differentiate: pad, slice, concat and the fast product above.
 */
export function conv3x3(x: tf.Tensor4D, filter: tf.Tensor): tf.Tensor4D {
  const [batch, h, w, cIn] = x.shape;
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const patches: tf.Tensor4D[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) patches.push(tf.slice(padded, [0, dy, dx, 0], [batch, h, w, cIn]));
  const columns = tf.reshape(tf.concat(patches, 3), [batch * h * w, 9 * cIn]); // [B*H*W, 9*Cin]
  return tf.reshape(matMul(columns, filter), [batch, h, w, -1]) as tf.Tensor4D;
}
