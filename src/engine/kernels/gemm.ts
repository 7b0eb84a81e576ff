// AssemblyScript. The matrix product every other kernel builds on:
//   C[i, j] (= or +=) sum_k A[i * sai + k * sak] * B[k * sbk + j * sbj]
// for rows i in [lo, hi) and every column j. Strides (in elements) let one routine read either operand
// transposed without a transpose copy. B is packed into 8-column panels of up to KC rows (contiguous, so the
// inner loop streams it); A is read in blocks of 4 rows, straight from memory for narrow products, else
// packed. A product of a few rows (sampling) reads B in place instead of packing it. The 4 x 8 micro-kernel keeps 8 f32x4 accumulators in registers: V8 gives wasm 16 SIMD
// registers, and a 6-row kernel spills (the trial reported in issue 8). Each C element is summed in a fixed k order whatever
// [lo, hi) is, so results do not depend on how rows are split between threads.

import { threadScratch } from './thread';

const KC: i32 = 256;
const NC: i32 = 512;
const MC: i32 = 256;
/** Up to this many rows, packing B would cost more than the product (sampling one token at a time). */
const SMALL_M: i32 = 8;
/** Bytes of scratch one call needs: a packed B block, a packed A block and a 4 x 8 edge tile. */
export const GEMM_SCRATCH_BYTES: i32 = (KC * NC + MC * KC + 32) * 4;

// @ts-ignore: decorator
@inline function microKernel(a0: usize, a1: usize, a2: usize, a3: usize, aStep: usize, pb: usize, kc: i32, out: usize, ldc: usize, overwrite: bool, bStep: usize = 32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let off: usize = 0;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(a0 + off);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(a1 + off);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(a2 + off);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(a3 + off);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    off += aStep;
    pb += bStep;
  }
  const r1 = out + ldc, r2 = out + 2 * ldc, r3 = out + 3 * ldc;
  if (!overwrite) {
    c00 = f32x4.add(c00, v128.load(out)); c01 = f32x4.add(c01, v128.load(out, 16));
    c10 = f32x4.add(c10, v128.load(r1)); c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2)); c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3)); c31 = f32x4.add(c31, v128.load(r3, 16));
  }
  v128.store(out, c00); v128.store(out, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

/** Packs B[pc.., jc..] (kc x nc) into panels of 8 columns, zero-padded: panel p holds [kc][8]. */
function packB(b: usize, sbk: i32, sbj: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const panels = (nc + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const cols = min(8, nc - p * 8);
    const panel = dst + <usize>(p * kc * 32);
    if (sbj == 1 && cols == 8) {
      for (let k = 0; k < kc; k++) {
        const src = b + (<usize>((pc + k) * sbk + jc + p * 8) << 2);
        v128.store(panel + <usize>(k * 32), v128.load(src));
        v128.store(panel + <usize>(k * 32), v128.load(src, 16), 16);
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let jj = 0; jj < 8; jj++) {
          const v: f32 = jj < cols ? load<f32>(b + (<usize>((pc + k) * sbk + (jc + p * 8 + jj) * sbj) << 2)) : 0;
          store<f32>(panel + <usize>((k * 8 + jj) << 2), v);
        }
      }
    }
  }
}

/** The product for rows [lo, hi), with this thread's scratch (see GEMM_SCRATCH_BYTES). */
export function gemm(
  M: i32, N: i32, K: i32, a: usize, sai: i32, sak: i32, b: usize, sbk: i32, sbj: i32,
  c: usize, ldc: i32, accumulate: i32, lo: i32, hi: i32,
): void {
  const scratch = threadScratch;
  if (hi <= lo || N <= 0) return;
  if (M <= SMALL_M && sbj == 1) {
    // A few rows against B's rows in place: 4-row blocks through the micro-kernel on full 8-column
    // panels, the rest row by row.
    const full = (hi - lo) & ~3, panels = N >> 3;
    for (let i0 = lo; i0 < lo + full; i0 += 4) {
      const a0 = a + (<usize>(i0 * sai) << 2), aRow = <usize>sai << 2;
      for (let p = 0; p < panels; p++) {
        const out = c + (<usize>(i0 * ldc + p * 8) << 2);
        microKernel(a0, a0 + aRow, a0 + 2 * aRow, a0 + 3 * aRow, <usize>sak << 2, b + (<usize>(p * 8) << 2), K, out, <usize>ldc << 2, !accumulate, <usize>sbk << 2);
      }
      if (panels * 8 < N) gemmFewRows(N, K, a, sai, sak, b, sbk, sbj, c, ldc, accumulate, i0, i0 + 4, panels * 8);
    }
    if (lo + full < hi) gemmFewRows(N, K, a, sai, sak, b, sbk, sbj, c, ldc, accumulate, lo + full, hi, 0);
    return;
  }
  if (M <= SMALL_M && sbk == 1) {
    gemmFewRows(N, K, a, sai, sak, b, sbk, sbj, c, ldc, accumulate, lo, hi, 0);
    return;
  }
  if (K <= 0) {
    if (!accumulate) for (let i = lo; i < hi; i++) memory.fill(c + (<usize>(i * ldc) << 2), 0, <usize>N << 2);
    return;
  }
  const packedB = scratch;
  const packedA = scratch + <usize>(KC * NC * 4);
  const tile = packedA + <usize>(MC * KC * 4);
  const ldcBytes = <usize>ldc << 2;
  // Reading A in place (either layout) saves the packing pass, which matters when there are few columns to
  // amortise it over (convolution gradients: N = 16-64); with more columns packed A streams better (measured).
  const direct = (sak == 1 || sai == 1) && N < 128;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    const panels = (nc + 7) >> 3;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packB(b, sbk, sbj, pc, jc, kc, nc, packedB);
      const overwrite = pc == 0 && !accumulate;
      for (let ic = lo; ic < hi; ic += MC) {
        const mc = min(MC, hi - ic);
        if (!direct) packA(a, sai, sak, ic, mc, pc, kc, packedA);
        // Panel outer, rows inner: an 8 KB panel of B stays in L1 while A's rows stream past it.
        for (let p = 0; p < panels; p++) {
          const nr = min(8, nc - p * 8);
          const pb = packedB + <usize>(p * kc * 32);
          for (let i0 = 0; i0 < mc; i0 += 4) {
            const mr = min(4, mc - i0);
            const out = c + (<usize>((ic + i0) * ldc + jc + p * 8) << 2);
            let a0: usize, aRow: usize, aStep: usize;
            if (direct) {
              a0 = a + (<usize>((ic + i0) * sai + pc * sak) << 2);
              aRow = <usize>sai << 2;
              aStep = <usize>sak << 2;
            } else {
              a0 = packedA + <usize>(i0 * kc * 4);
              aRow = 4;
              aStep = 16;
            }
            if (mr == 4 && nr == 8) {
              microKernel(a0, a0 + aRow, a0 + 2 * aRow, a0 + 3 * aRow, aStep, pb, kc, out, ldcBytes, overwrite);
            } else {
              // Edge tile (fewer than 4 rows or 8 columns): rows past the edge repeat row 0 (their results
              // are dropped), so the kernel never reads past A; the valid part is copied out.
              const a1 = mr > 1 ? a0 + aRow : a0, a2 = mr > 2 ? a0 + 2 * aRow : a0, a3 = mr > 3 ? a0 + 3 * aRow : a0;
              microKernel(a0, a1, a2, a3, aStep, pb, kc, tile, 32, true);
              for (let r = 0; r < mr; r++) {
                for (let jj = 0; jj < nr; jj++) {
                  const dst = out + <usize>r * ldcBytes + (<usize>jj << 2);
                  const v = load<f32>(tile + <usize>((r * 8 + jj) << 2));
                  store<f32>(dst, overwrite ? v : load<f32>(dst) + v);
                }
              }
            }
          }
        }
      }
    }
  }
}

/** Packs rows [ic, ic + mc) x depth [pc, pc + kc) of A as blocks of 4 rows, each [kc][4] (zero-padded). */
function packA(a: usize, sai: i32, sak: i32, ic: i32, mc: i32, pc: i32, kc: i32, dst: usize): void {
  for (let i0 = 0; i0 < mc; i0 += 4) {
    const block = dst + <usize>(i0 * kc * 4);
    const mr = min(4, mc - i0);
    for (let k = 0; k < kc; k++) {
      for (let r = 0; r < 4; r++) {
        const v: f32 = r < mr ? load<f32>(a + (<usize>((ic + i0 + r) * sai + (pc + k) * sak) << 2)) : 0;
        store<f32>(block + <usize>((k * 4 + r) << 2), v);
      }
    }
  }
}

/**
 * The product for a few rows, reading B in place: with B's rows contiguous, each row of C adds up
 * a[i, k] B[k, :] over k; with B's columns contiguous, each C[i, j] is a dot product over k.
 */
function gemmFewRows(N: i32, K: i32, a: usize, sai: i32, sak: i32, b: usize, sbk: i32, sbj: i32, c: usize, ldc: i32, accumulate: i32, lo: i32, hi: i32, j0: i32): void {
  // Columns [j0, N) of rows [lo, hi).
  c += <usize>j0 << 2;
  b += <usize>(j0 * sbj) << 2;
  N -= j0;
  for (let i = lo; i < hi; i++) {
    const row = c + (<usize>(i * ldc) << 2);
    if (sbj == 1) {
      if (!accumulate) memory.fill(row, 0, <usize>N << 2);
      for (let k = 0; k < K; k++) {
        const aik = load<f32>(a + (<usize>(i * sai + k * sak) << 2));
        const av = f32x4.splat(aik);
        const bk = b + (<usize>(k * sbk) << 2);
        let j = 0;
        for (; j + 4 <= N; j += 4) {
          const o = <usize>j << 2;
          v128.store(row + o, f32x4.add(v128.load(row + o), f32x4.mul(av, v128.load(bk + o))));
        }
        for (; j < N; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) + aik * load<f32>(bk + (<usize>j << 2)));
      }
    } else {
      for (let j = 0; j < N; j++) {
        const bj = b + (<usize>(j * sbj) << 2);
        let acc = f32x4.splat(0);
        let s: f32 = 0;
        let k = 0;
        if (sak == 1) {
          const ai = a + (<usize>(i * sai) << 2);
          for (; k + 4 <= K; k += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(ai + (<usize>k << 2)), v128.load(bj + (<usize>k << 2))));
        }
        for (; k < K; k++) s += load<f32>(a + (<usize>(i * sai + k * sak) << 2)) * load<f32>(bj + (<usize>k << 2));
        s += f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
        const dst = row + (<usize>j << 2);
        store<f32>(dst, accumulate ? load<f32>(dst) + s : s);
      }
    }
  }
}

/**
 * Packs all of B (K x N, any strides) into 8-column panels over the full depth, [panels][K][8], zero-padded:
 * the layout gemmPrepacked reads. Sampling packs each weight matrix once instead of at every token.
 */
export function packPanels(b: usize, sbk: i32, sbj: i32, K: i32, N: i32, dst: usize): void {
  packB(b, sbk, sbj, 0, 0, K, N, dst);
}

/**
 * The product for all M rows against B already packed by packPanels (full depth, no blocking), for the
 * 8-column panels [lo, hi): split by columns, each thread reads only its share of the weights (a few rows
 * are bound by reading the weights, not by arithmetic).
 */
export function gemmPrepacked(M: i32, N: i32, K: i32, a: usize, sai: i32, sak: i32, packed: usize, c: usize, ldc: i32, accumulate: i32, lo: i32, hi: i32): void {
  const tile = threadScratch;
  const ldcBytes = <usize>ldc << 2;
  for (let p = lo; p < hi; p++) {
    const nr = min(8, N - p * 8);
    const pb = packed + <usize>(p * K * 32);
    for (let i0 = 0; i0 < M; i0 += 4) {
      const mr = min(4, M - i0);
      const a0 = a + (<usize>(i0 * sai) << 2), aRow = <usize>sai << 2;
      // Rows past the edge repeat the last row (their results are dropped), so nothing is read past A.
      const a1 = mr > 1 ? a0 + aRow : a0, a2 = mr > 2 ? a0 + 2 * aRow : a1, a3 = mr > 3 ? a0 + 3 * aRow : a2;
      const out = c + (<usize>(i0 * ldc + p * 8) << 2);
      if (mr == 4 && nr == 8) {
        microKernel(a0, a1, a2, a3, <usize>sak << 2, pb, K, out, ldcBytes, !accumulate);
        continue;
      }
      microKernel(a0, a1, a2, a3, <usize>sak << 2, pb, K, tile, 32, true);
      for (let r = 0; r < mr; r++) {
        for (let jj = 0; jj < nr; jj++) {
          const dst = out + <usize>r * ldcBytes + (<usize>jj << 2);
          const v = load<f32>(tile + <usize>((r * 8 + jj) << 2));
          store<f32>(dst, accumulate ? load<f32>(dst) + v : v);
        }
      }
    }
  }
}
