// AssemblyScript. 3x3 convolution straight from a zero-padded input, without the 9x larger patch matrix
// (im2col): each 4 x 8 tile of the output (4 neighbouring pixels of one image row, 8 output channels) keeps
// its accumulators in registers through all 9 taps, reading the padded input at the tap's offset. The
// filter is packed once per call into 8-column panels, as the product kernel packs B. Rows [lo, hi) are
// image rows (batch * height) of the output.
import { threadScratch } from './thread';

/** xpad [B, H + 2, W + 2, C] = x [B, H, W, C] with a zero border, for padded rows [lo, hi) of B * (H + 2). */
export function pad1(x: usize, xpad: usize, Hh: i32, W: i32, C: i32, lo: i32, hi: i32): void {
  const rowBytes = <usize>((W + 2) * C) << 2;
  const cBytes = <usize>C << 2;
  for (let r = lo; r < hi; r++) {
    const b = r / (Hh + 2), y = r % (Hh + 2) - 1;
    const dst = xpad + <usize>r * rowBytes;
    if (y < 0 || y >= Hh) {
      memory.fill(dst, 0, rowBytes);
      continue;
    }
    memory.fill(dst, 0, cBytes);
    memory.copy(dst + cBytes, x + (<usize>((b * Hh + y) * W * C) << 2), <usize>(W * C) << 2);
    memory.fill(dst + <usize>(W + 1) * cBytes, 0, cBytes);
  }
}

/** Bytes of scratch conv3x3 needs for its packed filter: 9 C x roundup(N, 8) floats. */
export function convScratchBytes(C: i32, N: i32): i32 {
  return 9 * C * ((N + 7) & ~7) * 4 + 128;
}

/**
 * out[b, y, x, n] = sum over taps (ky, kx) and channels c of xpad[b, y + ky, x + kx, c] w[(ky 3 + kx) C + c, n].
 * The filter w is [9 C, N]; with `flip`, it is read as the input gradient needs it: tap 8 - t, and
 * w's rows and columns swapped (w given as [9 N', C'] of the forward filter: out channel n <- its c).
 */
export function conv3x3(xpad: usize, w: usize, out: usize, Hh: i32, W: i32, C: i32, N: i32, flip: i32, lo: i32, hi: i32): void {
  const panels = (N + 7) >> 3;
  const K = 9 * C;
  const packed = threadScratch;
  const tile = packed + <usize>(K * panels * 32);
  // Pack: panel p, row (t, c), 8 columns.
  for (let p = 0; p < panels; p++) {
    for (let t = 0; t < 9; t++) {
      for (let c = 0; c < C; c++) {
        const dst = packed + <usize>((p * K + t * C + c) * 32);
        for (let j = 0; j < 8; j++) {
          const n = p * 8 + j;
          let v: f32 = 0;
          if (n < N) v = flip ? load<f32>(w + (<usize>(((8 - t) * N + n) * C + c) << 2)) : load<f32>(w + (<usize>((t * C + c) * N + n) << 2));
          store<f32>(dst + (<usize>j << 2), v);
        }
      }
    }
  }
  const pixelBytes = <usize>C << 2;
  const padRowBytes = <usize>(W + 2) * pixelBytes;
  const outPixelBytes = <usize>N << 2;
  for (let r = lo; r < hi; r++) {
    const b = r / Hh, y = r % Hh;
    const inRow = xpad + <usize>(b * (Hh + 2) + y) * padRowBytes; // padded row y (tap row 0)
    const outRow = out + <usize>(r * W) * outPixelBytes;
    // Panel outer, pixels inner: one panel of the packed filter (9 C x 8 floats) is reused across the row
    // while it is in L1.
    for (let p = 0; p < panels; p++) {
      const nr = min(8, N - p * 8);
      const panel = packed + <usize>(p * K * 32);
      for (let x0 = 0; x0 < W; x0 += 4) {
        const m = min(4, W - x0);
        const a0 = inRow + <usize>x0 * pixelBytes;
        const a1 = m > 1 ? a0 + pixelBytes : a0, a2 = m > 2 ? a0 + 2 * pixelBytes : a0, a3 = m > 3 ? a0 + 3 * pixelBytes : a0;
        const full = m == 4 && nr == 8;
        const dst = full ? outRow + <usize>x0 * outPixelBytes + (<usize>(p * 8) << 2) : tile;
        tileKernel(a0, a1, a2, a3, panel, C, padRowBytes, pixelBytes, dst, full ? outPixelBytes : 32);
        if (!full) {
          for (let i = 0; i < m; i++) {
            memory.copy(outRow + <usize>(x0 + i) * outPixelBytes + (<usize>(p * 8) << 2), tile + <usize>(i * 32), <usize>nr << 2);
          }
        }
      }
    }
  }
}

/** One 4-pixel x 8-channel output tile through all 9 taps. */
// @ts-ignore: decorator
@inline function tileKernel(a0: usize, a1: usize, a2: usize, a3: usize, pb: usize, C: i32, padRowBytes: usize, pixelBytes: usize, out: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let ky = 0; ky < 3; ky++) {
    for (let kx = 0; kx < 3; kx++) {
      const shift = <usize>ky * padRowBytes + <usize>kx * pixelBytes;
      let q0 = a0 + shift, q1 = a1 + shift, q2 = a2 + shift, q3 = a3 + shift;
      for (let k = 0; k < C; k++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let a = v128.load32_splat(q0);
        c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
        a = v128.load32_splat(q1);
        c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
        a = v128.load32_splat(q2);
        c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
        a = v128.load32_splat(q3);
        c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
        q0 += 4; q1 += 4; q2 += 4; q3 += 4;
        pb += 32;
      }
    }
  }
  v128.store(out, c00); v128.store(out, c01, 16);
  v128.store(out + ldc, c10); v128.store(out + ldc, c11, 16);
  v128.store(out + 2 * ldc, c20); v128.store(out + 2 * ldc, c21, 16);
  v128.store(out + 3 * ldc, c30); v128.store(out + 3 * ldc, c31, 16);
}
