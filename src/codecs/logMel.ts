// Log-mel features: what a speech model reads instead of raw samples. 25 ms Hann windows every 10 ms, a
// 512-point FFT, 40 triangular mel filters from 20 Hz to 4 kHz, log energies, then each
// filter's values standardised over the utterance or over all of a speaker's utterances (cepstral mean and
// variance normalisation), so loudness, the voice and the microphone's colour matter less.
import { SAMPLE_RATE } from '../data/audio.js';

export const MEL_BINS = 40;
const WINDOW = 400; // 25 ms at 16 kHz
export const HOP = 160; // 10 ms
const FFT = 512;
/**
 * The top of the filter bank. Telephone-band and 8 kHz recordings (such as the Free Spoken Digit Dataset)
 * have nothing above 4 kHz; features there would tell a model which microphone made a recording, not which
 * word was said (a model trained on 22 kHz synthetic speech with filters up to 8 kHz recognised 0.2-0.4% of
 * real 8 kHz digits; measured).
 */
const MAX_HZ = 4000;

const twiddles = new Map<number, { cos: Float64Array; sin: Float64Array }>();

/** In-place iterative radix-2 FFT of (re, im), length a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  // cos and sin of -2 pi k / n, computed once per length (a stage of size s uses every (n / s)-th).
  let table = twiddles.get(n);
  if (!table) {
    table = { cos: Float64Array.from({ length: n / 2 }, (_, k) => Math.cos((-2 * Math.PI * k) / n)), sin: Float64Array.from({ length: n / 2 }, (_, k) => Math.sin((-2 * Math.PI * k) / n)) };
    twiddles.set(n, table);
  }
  for (let size = 2; size <= n; size <<= 1) {
    const stride = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const wr = table.cos[k * stride];
        const wi = table.sin[k * stride];
        const a = start + k;
        const b = a + size / 2;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

const melOf = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const hzOf = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

/** Triangular filters over the FFT's bins: [MEL_BINS][FFT / 2 + 1], each with the range of bins it covers. */
function melFilters(): { weights: Float64Array; from: number; to: number }[] {
  const bins = FFT / 2 + 1;
  const low = melOf(20);
  const high = melOf(Math.min(MAX_HZ, SAMPLE_RATE / 2));
  const edges = Array.from({ length: MEL_BINS + 2 }, (_, i) => (hzOf(low + ((high - low) * i) / (MEL_BINS + 1)) * FFT) / SAMPLE_RATE);
  return Array.from({ length: MEL_BINS }, (_, m) => {
    const weights = Float64Array.from({ length: bins }, (_, k) => {
      const [a, b, c] = [edges[m], edges[m + 1], edges[m + 2]];
      return k <= a || k >= c ? 0 : k <= b ? (k - a) / (b - a) : (c - k) / (c - b);
    });
    return { weights, from: weights.findIndex((w) => w > 0), to: bins - 1 - [...weights].reverse().findIndex((w) => w > 0) };
  });
}

/**
 * For each filter, the (fractional) filter whose centre frequency is its own divided by `factor`: reading the
 * features there is hearing the utterance through a vocal tract `factor` times shorter (formants `factor` times
 * higher; vocal tract length perturbation, Jaitly & Hinton 2013). Clamped to the filter bank.
 */
export function warpedMelPositions(factor: number): Float32Array {
  const low = melOf(20);
  const step = (melOf(Math.min(MAX_HZ, SAMPLE_RATE / 2)) - low) / (MEL_BINS + 1);
  return Float32Array.from({ length: MEL_BINS }, (_, m) => {
    const centre = hzOf(low + step * (m + 1));
    return Math.min(MEL_BINS - 1, Math.max(0, (melOf(centre / factor) - low) / step - 1));
  });
}

/** Features [frames * MEL_BINS] read along the mel axis at `warpedMelPositions(factor)` (linear interpolation). */
export function warpFeatures(features: Float32Array, frames: number, factor: number): Float32Array {
  const positions = warpedMelPositions(factor);
  const warped = new Float32Array(frames * MEL_BINS);
  for (let m = 0; m < MEL_BINS; m++) {
    const below = Math.floor(positions[m]);
    const above = Math.min(MEL_BINS - 1, below + 1);
    const v = positions[m] - below;
    for (let f = 0; f < frames; f++) warped[f * MEL_BINS + m] = (1 - v) * features[f * MEL_BINS + below] + v * features[f * MEL_BINS + above];
  }
  return warped;
}

let filters: ReturnType<typeof melFilters> | undefined;
const hann = Float64Array.from({ length: WINDOW }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (WINDOW - 1)));

/** Log filter energies [frames * MEL_BINS] of 16 kHz samples, before standardisation; at least one frame. */
export function logMelEnergies(samples: Float32Array): { frames: number; energies: Float32Array } {
  filters ??= melFilters();
  const frames = Math.max(1, 1 + Math.floor((samples.length - WINDOW) / HOP));
  const energies = new Float32Array(frames * MEL_BINS);
  const re = new Float64Array(FFT);
  const im = new Float64Array(FFT);
  for (let f = 0; f < frames; f++) {
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < WINDOW; i++) re[i] = (samples[f * HOP + i] ?? 0) * hann[i];
    fft(re, im);
    for (let m = 0; m < MEL_BINS; m++) {
      let energy = 0;
      const { weights, from, to } = filters[m];
      for (let k = from; k <= to; k++) energy += weights[k] * (re[k] * re[k] + im[k] * im[k]);
      energies[f * MEL_BINS + m] = Math.log(energy + 1e-8);
    }
  }
  return { frames, energies };
}

/**
 * Each filter's energies standardised with its mean and variance pooled over all the utterances given
 * (cepstral mean and variance normalisation): over one utterance, or over every utterance of a speaker, as
 * Kaldi's recipes do by default. A short word standardised by itself loses its own average spectrum with
 * the voice's; a speaker's statistics take out the voice and the microphone and leave the word.
 */
export function standardise(utterances: readonly Utterance[]): Float32Array[] {
  const statistics = filterStatistics(utterances);
  return utterances.map((u) => standardiseWith(u, statistics));
}

type Utterance = { readonly frames: number; readonly energies: Float32Array };

/** Each filter's mean and 1 / standard deviation over all the frames of the utterances given. */
export function filterStatistics(utterances: readonly Utterance[]): { mean: Float64Array; scale: Float64Array } {
  const sum = new Float64Array(MEL_BINS);
  const squares = new Float64Array(MEL_BINS);
  let frames = 0;
  for (const u of utterances) {
    for (let i = 0; i < u.frames * MEL_BINS; i++) sum[i % MEL_BINS] += u.energies[i];
    frames += u.frames;
  }
  const mean = sum.map((s) => s / frames);
  for (const u of utterances) for (let i = 0; i < u.frames * MEL_BINS; i++) squares[i % MEL_BINS] += (u.energies[i] - mean[i % MEL_BINS]) ** 2;
  return { mean, scale: squares.map((q) => 1 / Math.sqrt(q / frames + 1e-5)) };
}

export function standardiseWith(u: Utterance, { mean, scale }: { mean: Float64Array; scale: Float64Array }): Float32Array {
  return Float32Array.from(u.energies.subarray(0, u.frames * MEL_BINS), (v, i) => (v - mean[i % MEL_BINS]) * scale[i % MEL_BINS]);
}

/** Frames of log-mel features [frames * MEL_BINS] of 16 kHz samples, standardised over the utterance; at least one frame. */
export function logMel(samples: Float32Array): { frames: number; features: Float32Array } {
  const utterance = logMelEnergies(samples);
  return { frames: utterance.frames, features: standardise([utterance])[0] };
}
