// AssemblyScript. Image layout helpers for [batch, height, width, channels] arrays: the im2col patch matrix
// the 3x3 convolution's filter gradient multiplies, 2x2 average pooling and nearest-neighbour 2x
// upsampling, each with its gradient. Ranges [lo, hi) are pixels (batch * height * width) of the array written.

/** cols[p, (ky * 3 + kx) * C + c] = x[pixel p shifted by (ky - 1, kx - 1), c], 0 outside the image. */
export function im2col3x3(x: usize, cols: usize, Hh: i32, W: i32, C: i32, lo: i32, hi: i32): void {
  const rowBytes = <usize>(9 * C) << 2;
  const cBytes = <usize>C << 2;
  for (let p = lo; p < hi; p++) {
    const b = p / (Hh * W), y = (p / W) % Hh, xx = p % W;
    const dst = cols + <usize>p * rowBytes;
    for (let ky = 0; ky < 3; ky++) {
      for (let kx = 0; kx < 3; kx++) {
        const sy = y + ky - 1, sx = xx + kx - 1;
        const at = dst + <usize>(ky * 3 + kx) * cBytes;
        if (sy < 0 || sy >= Hh || sx < 0 || sx >= W) memory.fill(at, 0, cBytes);
        else memory.copy(at, x + <usize>((b * Hh + sy) * W + sx) * cBytes, cBytes);
      }
    }
  }
}

/** 2x2 average pooling: out [B, H/2, W/2, C] over output pixels [lo, hi). */
export function avgPool2(x: usize, out: usize, Hh: i32, W: i32, C: i32, lo: i32, hi: i32): void {
  const h2 = Hh >> 1, w2 = W >> 1;
  const q = f32x4.splat(0.25);
  for (let p = lo; p < hi; p++) {
    const b = p / (h2 * w2), y = (p / w2) % h2, xx = p % w2;
    const a = x + (<usize>(((b * Hh + 2 * y) * W + 2 * xx) * C) << 2);
    const right = <usize>C << 2, down = <usize>(W * C) << 2;
    const dst = out + (<usize>(p * C) << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const s = f32x4.add(f32x4.add(v128.load(a + o), v128.load(a + right + o)), f32x4.add(v128.load(a + down + o), v128.load(a + down + right + o)));
      v128.store(dst + o, f32x4.mul(s, q));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(dst + o, (load<f32>(a + o) + load<f32>(a + right + o) + load<f32>(a + down + o) + load<f32>(a + down + right + o)) * 0.25);
    }
  }
}

/**
 * Nearest-neighbour upsampling by 2 when `up` (x [B, H/2, W/2, C] -> out [B, H, W, C], pixels of out), or
 * the gradient of average pooling (dy at half size, spread / 4) when `up` is 0 and scale 0.25: both read
 * the half-size pixel under each full-size pixel and multiply it by `scale`.
 */
export function spreadHalf(x: usize, out: usize, Hh: i32, W: i32, C: i32, scale: f32, lo: i32, hi: i32): void {
  const h2 = Hh >> 1, w2 = W >> 1;
  const s = f32x4.splat(scale);
  for (let p = lo; p < hi; p++) {
    const b = p / (Hh * W), y = (p / W) % Hh, xx = p % W;
    const src = x + (<usize>(((b * h2 + (y >> 1)) * w2 + (xx >> 1)) * C) << 2);
    const dst = out + (<usize>(p * C) << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(dst + (<usize>c << 2), f32x4.mul(v128.load(src + (<usize>c << 2)), s));
    for (; c < C; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)) * scale);
  }
}

/** Gradient of upsampling: out [B, H/2, W/2, C] = sum of the 2x2 block of dy [B, H, W, C] under it. */
export function sumPool2(dy: usize, out: usize, Hh: i32, W: i32, C: i32, lo: i32, hi: i32): void {
  avgPool2(dy, out, Hh, W, C, lo, hi);
  for (let e = lo * C; e < hi * C; e++) store<f32>(out + (<usize>e << 2), load<f32>(out + (<usize>e << 2)) * 4);
}

/**
 * Row-by-row copy between two layouts: dst[r * dstStride + dstOffset + i] = src[r * srcStride + srcOffset + i]
 * for i < width and rows [lo, hi). Concatenation along an axis and its gradient (and splitting) are this.
 */
export function copyRows(src: usize, srcStride: i32, srcOffset: i32, dst: usize, dstStride: i32, dstOffset: i32, width: i32, lo: i32, hi: i32): void {
  const bytes = <usize>width << 2;
  for (let r = lo; r < hi; r++) {
    memory.copy(dst + (<usize>(r * dstStride + dstOffset) << 2), src + (<usize>(r * srcStride + srcOffset) << 2), bytes);
  }
}
