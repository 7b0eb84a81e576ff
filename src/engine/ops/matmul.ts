// Matrix products through the one gemm kernel. A transposed operand is read through its strides, never
// copied, in the forward and the backward pass alike (TensorFlow.js's wasm backend ran transposed and
// batched products at 1.9 GFLOP/s against 22 for plain ones, measured with the previous engine's bench; here every layout runs at the same speed).
import { isRecording, record } from '../autograd.js';
import { Tensor, Variable, empty } from '../tensor.js';
import { call, run } from './run.js';

/** A matrix as the kernel sees it: element [i, j] at ptr + 4 (i * rowStride + j * colStride). */
interface View {
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
  readonly rowStride: number;
  readonly colStride: number;
}

function viewOf(t: Tensor, transposed: boolean): View {
  if (t.rank !== 2) throw new Error(`matMul takes 2-D tensors, got [${t.shape}]`);
  const [r, c] = t.shape;
  return transposed ? { ptr: t.ptr, rows: c, cols: r, rowStride: 1, colStride: c } : { ptr: t.ptr, rows: r, cols: c, rowStride: c, colStride: 1 };
}

const transposeView = (v: View): View => ({ ptr: v.ptr, rows: v.cols, cols: v.rows, rowStride: v.colStride, colStride: v.rowStride });

/** Rows per thread below which a product is not split (about 2^17 multiply-adds). */
function grainRows(n: number, k: number): number {
  return Math.max(4, Math.ceil(131072 / Math.max(1, n * k)));
}

/** out (row-major [x.rows, y.cols]) = x y, or += with accumulate. */
export function gemmInto(x: View, y: View, outPtr: number, accumulate = false): void {
  if (x.cols !== y.rows) throw new Error(`matMul: inner sizes differ (${x.cols} vs ${y.rows})`);
  const [M, K, N] = [x.rows, x.cols, y.cols];
  run('gemm', [M, N, K, x.ptr, x.rowStride, x.colStride, y.ptr, y.rowStride, y.colStride, outPtr, N, accumulate ? 1 : 0], M, grainRows(N, K), 4);
}

/** Up to this many rows a product reads frozen weights from their packed panels (sampling, token by token). */
const FEW_ROWS = 32;

/**
 * A frozen weight matrix (a loaded model's) packed once into the product's panel layout, so that a product of
 * a few rows does not pack or stride through it again at every token. Trainable weights change in place
 * (AdamW), so they are never cached.
 */
function packedPanels(b: Tensor, vb: View, transposed: boolean): Tensor | undefined {
  if (!(b instanceof Variable) || b.trainable || isRecording()) return undefined;
  return b.derivedTensor(transposed ? 'panels-transposed' : 'panels', () => {
    const panels = empty([Math.ceil(vb.cols / 8) * 8 * vb.rows]);
    call('packPanels', vb.ptr, vb.rowStride, vb.colStride, vb.rows, vb.cols, panels.ptr);
    return panels;
  });
}

/** op(a) op(b), op = transpose where asked: [m, k] x [k, n] -> [m, n]. */
export function matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const va = viewOf(a, transposeA);
  const vb = viewOf(b, transposeB);
  const out = empty([va.rows, vb.cols]);
  const panels = va.rows <= FEW_ROWS && va.cols === vb.rows ? packedPanels(b, vb, transposeB) : undefined;
  if (panels) {
    // Split by 8-column panels: each thread reads half of the weights, which is what bounds a few rows.
    const panelGrain = Math.max(1, Math.ceil(16384 / (8 * va.cols)));
    run('gemmPrepacked', [va.rows, vb.cols, va.cols, va.ptr, va.rowStride, va.colStride, panels.ptr, out.ptr, vb.cols, 0], Math.ceil(vb.cols / 8), panelGrain);
  } else {
    gemmInto(va, vb, out.ptr);
  }
  return record(out, [a, b], (g) => {
    const vg = viewOf(g, false);
    let da: Tensor | undefined;
    let db: Tensor | undefined;
    if (a.requiresGrad) {
      // d op(a) = g op(b)^T; a itself is that, or its transpose op(b) g^T.
      da = empty(a.shape);
      if (transposeA) gemmInto(vb, transposeView(vg), da.ptr);
      else gemmInto(vg, transposeView(vb), da.ptr);
    }
    if (b.requiresGrad) {
      // d op(b) = op(a)^T g; b itself is that, or g^T op(a).
      db = empty(b.shape);
      if (transposeB) gemmInto(transposeView(vg), va, db.ptr);
      else gemmInto(transposeView(va), vg, db.ptr);
    }
    return [da, db];
  });
}
