// Ops on images [batch, height, width, channels] and on tensors as blocks: 3x3 convolution (im2col and the
// one gemm kernel, both gradients included: TensorFlow.js's wasm backend had no filter gradient at all),
// 2x2 average pooling, 2x nearest upsampling, reshape, concatenation and splitting along an axis.
import { record } from '../autograd.js';
import { Tensor, empty } from '../tensor.js';
import { gemmInto } from './matmul.js';
import { run, sizeOf } from './run.js';

const PIXEL_GRAIN = 256;

/** Differentiable reshape (shares storage); -1 infers one dimension. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = x.reshape(shape);
  return record(out, [x], (g) => [g.reshape(x.shape)]);
}

const rowMajor = (ptr: number, rows: number, cols: number) => ({ ptr, rows, cols, rowStride: cols, colStride: 1 });
const transposed = (ptr: number, rows: number, cols: number) => ({ ptr, rows: cols, cols: rows, rowStride: 1, colStride: cols });

/**
 * 3x3 convolution, stride 1, zero "same" padding: x [B, H, W, Cin], filter [9 * Cin, Cout] (the layout of
 * [3, 3, Cin, Cout]) -> [B, H, W, Cout]. The patch matrix is rebuilt in the backward pass rather than
 * kept: it is 9x the input, and rebuilding it is a memory copy.
 */
export function conv3x3(x: Tensor, filter: Tensor): Tensor {
  const [B, H, W, cIn] = x.shape;
  const cOut = filter.shape[1];
  if (filter.shape[0] !== 9 * cIn) throw new Error(`conv3x3: filter [${filter.shape}] for ${cIn} input channels`);
  const pixels = B * H * W;
  const patches = () => {
    const cols = empty([pixels, 9 * cIn]);
    run('im2col3x3', [x.ptr, cols.ptr, H, W, cIn], pixels, PIXEL_GRAIN);
    return cols;
  };
  const out = empty([B, H, W, cOut]);
  const cols = patches();
  gemmInto(rowMajor(cols.ptr, pixels, 9 * cIn), rowMajor(filter.ptr, 9 * cIn, cOut), out.ptr);
  cols.dispose();
  return record(out, [x, filter], (g) => {
    const dy = rowMajor(g.ptr, pixels, cOut);
    let dx: Tensor | undefined;
    let dFilter: Tensor | undefined;
    if (filter.requiresGrad) {
      const again = patches();
      dFilter = empty(filter.shape);
      gemmInto(transposed(again.ptr, pixels, 9 * cIn), dy, dFilter.ptr); // cols^T dy
      again.dispose();
    }
    if (x.requiresGrad) {
      const dCols = empty([pixels, 9 * cIn]);
      gemmInto(dy, transposed(filter.ptr, 9 * cIn, cOut), dCols.ptr); // dy filter^T
      dx = empty(x.shape);
      run('col2im3x3', [dCols.ptr, dx.ptr, H, W, cIn], pixels, PIXEL_GRAIN);
      dCols.dispose();
    }
    return [dx, dFilter];
  });
}

/** 2x2 average pooling, stride 2: [B, H, W, C] -> [B, H/2, W/2, C]. */
export function avgPool2(x: Tensor): Tensor {
  const [B, H, W, C] = x.shape;
  if (H % 2 || W % 2) throw new Error(`avgPool2 needs even sizes, got ${H}x${W}`);
  const out = empty([B, H / 2, W / 2, C]);
  run('avgPool2', [x.ptr, out.ptr, H, W, C], out.size / C, PIXEL_GRAIN);
  return record(out, [x], (g) => {
    const dx = empty(x.shape);
    run('spreadHalf', [g.ptr, dx.ptr, H, W, C, 0.25], B * H * W, PIXEL_GRAIN);
    return [dx];
  });
}

/** Nearest-neighbour upsampling by 2: [B, h, w, C] -> [B, 2h, 2w, C]. */
export function upsample2(x: Tensor): Tensor {
  const [B, h, w, C] = x.shape;
  const out = empty([B, 2 * h, 2 * w, C]);
  run('spreadHalf', [x.ptr, out.ptr, 2 * h, 2 * w, C, 1], out.size / C, PIXEL_GRAIN);
  return record(out, [x], (g) => {
    const dx = empty(x.shape);
    run('sumPool2', [g.ptr, dx.ptr, 2 * h, 2 * w, C], B * h * w, PIXEL_GRAIN);
    return [dx];
  });
}

/** Joins tensors along `axis` (their other dimensions equal). */
export function concat(parts: readonly Tensor[], axis: number): Tensor {
  const rank = parts[0].rank;
  const ax = axis < 0 ? axis + rank : axis;
  const outer = sizeOf(parts[0].shape.slice(0, ax));
  const chunks = parts.map((p) => sizeOf(p.shape.slice(ax)));
  const shape = [...parts[0].shape];
  shape[ax] = parts.reduce((s, p) => s + p.shape[ax], 0);
  const out = empty(shape);
  const total = chunks.reduce((a, b) => a + b, 0);
  const o = out.data;
  parts.forEach((p, k) => {
    const src = p.data;
    const offset = chunks.slice(0, k).reduce((a, b) => a + b, 0);
    for (let i = 0; i < outer; i++) o.set(src.subarray(i * chunks[k], (i + 1) * chunks[k]), i * total + offset);
  });
  return record(out, parts, (g) => {
    const gd = g.data;
    return parts.map((p, k) => {
      const d = empty(p.shape);
      const dd = d.data;
      const offset = chunks.slice(0, k).reduce((a, b) => a + b, 0);
      for (let i = 0; i < outer; i++) dd.set(gd.subarray(i * total + offset, i * total + offset + chunks[k]), i * chunks[k]);
      return d;
    });
  });
}

/** Splits into `count` equal parts along `axis` (no gradient: used by samplers). */
export function split(x: Tensor, count: number, axis: number): Tensor[] {
  const ax = axis < 0 ? axis + x.rank : axis;
  if (x.shape[ax] % count) throw new Error(`cannot split ${x.shape[ax]} into ${count} equal parts`);
  const outer = sizeOf(x.shape.slice(0, ax));
  const total = sizeOf(x.shape.slice(ax));
  const chunk = total / count;
  const shape = [...x.shape];
  shape[ax] /= count;
  const src = x.data;
  return Array.from({ length: count }, (_, k) => {
    const part = empty(shape);
    const d = part.data;
    for (let i = 0; i < outer; i++) d.set(src.subarray(i * total + k * chunk, i * total + (k + 1) * chunk), i * chunk);
    return part;
  });
}
