// Ops on images [batch, height, width, channels] and on tensors as blocks: 3x3 convolution with both
// gradients (TensorFlow.js's wasm backend had no filter gradient at all), 2x2 average pooling, 2x nearest
// upsampling, reshape, concatenation and splitting along an axis.
import { record } from '../autograd.js';
import { Tensor, empty } from '../tensor.js';
import { gemmInto } from './matmul.js';
import { call, run, sizeOf } from './run.js';
import { THREAD_SCRATCH_BYTES } from '../backend.js';

const PIXEL_GRAIN = 256;

/** Differentiable reshape (shares storage); -1 infers one dimension. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = x.reshape(shape);
  return record(out, [x], (g) => [g.reshape(x.shape)]);
}

const rowMajor = (ptr: number, rows: number, cols: number) => ({ ptr, rows, cols, rowStride: cols, colStride: 1 });
const transposed = (ptr: number, rows: number, cols: number) => ({ ptr, rows: cols, cols: rows, rowStride: 1, colStride: cols });

/** x [B, H, W, C] with a zero border: [B, H + 2, W + 2, C]. */
function padded(x: Tensor): Tensor {
  const [B, H, W, C] = x.shape;
  const out = empty([B, H + 2, W + 2, C]);
  run('pad1', [x.ptr, out.ptr, H, W, C], B * (H + 2), 64);
  return out;
}


/**
 * 3x3 convolution, stride 1, zero "same" padding: x [B, H, W, Cin], filter [9 * Cin, Cout] (the layout of
 * [3, 3, Cin, Cout]) -> [B, H, W, Cout]. Forward and input gradient run on the padded input directly
 * (kernels/conv.ts); the filter gradient is cols^T dy over the patch matrix, built in the backward pass.
 */
export function conv3x3(x: Tensor, filter: Tensor): Tensor {
  const [B, H, W, cIn] = x.shape;
  const cOut = filter.shape[1];
  if (filter.shape[0] !== 9 * cIn) throw new Error(`conv3x3: filter [${filter.shape}] for ${cIn} input channels`);
  // Each thread packs the filter into its scratch (for the forward pass and, transposed, the input gradient).
  if (Math.max(call('convScratchBytes', cIn, cOut), call('convScratchBytes', cOut, cIn)) > THREAD_SCRATCH_BYTES) {
    throw new Error(`conv3x3: ${cIn} -> ${cOut} channels is more than the kernel's scratch holds`);
  }
  const pixels = B * H * W;
  const grain = Math.max(1, Math.ceil(131072 / (W * 9 * cIn * cOut)));
  const convolve = (input: Tensor, out: Tensor, c: number, n: number, flip: number) => {
    const pad = padded(input);
    run('conv3x3', [pad.ptr, filter.ptr, out.ptr, H, W, c, n, flip], B * H, grain);
    pad.dispose();
  };
  const out = empty([B, H, W, cOut]);
  convolve(x, out, cIn, cOut, 0);
  return record(out, [x, filter], (g) => {
    let dx: Tensor | undefined;
    let dFilter: Tensor | undefined;
    if (filter.requiresGrad) {
      const cols = empty([pixels, 9 * cIn]);
      run('im2col3x3', [x.ptr, cols.ptr, H, W, cIn], pixels, PIXEL_GRAIN);
      dFilter = empty(filter.shape);
      gemmInto(transposed(cols.ptr, pixels, 9 * cIn), rowMajor(g.ptr, pixels, cOut), dFilter.ptr); // cols^T dy
      cols.dispose();
    }
    if (x.requiresGrad) {
      dx = empty(x.shape);
      convolve(g, dx, cOut, cIn, 1); // dy convolved with the flipped, transposed filter
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

/** Rows to copy per thread below which splitting is not worth it (in floats copied). */
const COPY_GRAIN_FLOATS = 1 << 16;

/** Copies `rows` rows of `width` floats between two row layouts (see kernels/image.ts copyRows). */
function copyRows(src: Tensor, srcStride: number, srcOffset: number, dst: Tensor, dstStride: number, dstOffset: number, width: number, rows: number): void {
  run('copyRows', [src.ptr, srcStride, srcOffset, dst.ptr, dstStride, dstOffset, width], rows, Math.max(1, Math.ceil(COPY_GRAIN_FLOATS / Math.max(1, width))));
}

/** Joins tensors along `axis` (their other dimensions equal). */
export function concat(parts: readonly Tensor[], axis: number): Tensor {
  const rank = parts[0].rank;
  const ax = axis < 0 ? axis + rank : axis;
  const outer = sizeOf(parts[0].shape.slice(0, ax));
  const chunks = parts.map((p) => sizeOf(p.shape.slice(ax)));
  const offsets = chunks.map((_, k) => chunks.slice(0, k).reduce((a, b) => a + b, 0));
  const total = chunks.reduce((a, b) => a + b, 0);
  const shape = [...parts[0].shape];
  shape[ax] = parts.reduce((s, p) => s + p.shape[ax], 0);
  const out = empty(shape);
  parts.forEach((p, k) => copyRows(p, chunks[k], 0, out, total, offsets[k], chunks[k], outer));
  return record(out, parts, (g) => parts.map((p, k) => {
    const d = empty(p.shape);
    copyRows(g, total, offsets[k], d, chunks[k], 0, chunks[k], outer);
    return d;
  }));
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
  return Array.from({ length: count }, (_, k) => {
    const part = empty(shape);
    copyRows(x, total, k * chunk, part, chunk, 0, chunk, outer);
    return part;
  });
}
