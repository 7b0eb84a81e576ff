// WAV files in and out: PCM 8/16/24/32-bit integer or 32-bit float, mono or more channels (averaged to
// mono), any sample rate (resampled to the rate engram's speech models use). No dependency: a WAV file
// is a RIFF header, a "fmt " chunk and a "data" chunk.
import { DatasetError } from '../errors.js';

/** Sample rate of every waveform engram's speech models see. */
export const SAMPLE_RATE = 16000;

export interface Waveform {
  readonly sampleRate: number;
  /** Mono samples in [-1, 1]. */
  readonly samples: Float32Array;
}

export function decodeWav(bytes: Uint8Array, source = 'audio'): Waveform {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new DatasetError(`${source} is not a WAV file`);
  let format: { code: number; channels: number; rate: number; bits: number } | undefined;
  let data: Uint8Array | undefined;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      let code = view.getUint16(body, true);
      if (code === 0xfffe && size >= 26) code = view.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE: the sub-format's code
      format = { code, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === 'data') {
      data = bytes.subarray(body, Math.min(bytes.length, body + size));
    }
    at = body + size + (size % 2);
  }
  if (!format || !data) throw new DatasetError(`${source}: a WAV file without ${format ? 'a data' : 'a format'} chunk`);
  const { code, channels, rate, bits } = format;
  const pcm = code === 1 && [8, 16, 24, 32].includes(bits);
  const float = code === 3 && bits === 32;
  if (!pcm && !float) throw new DatasetError(`${source}: unsupported WAV encoding (format ${code}, ${bits} bits); engram reads PCM or 32-bit float`);
  if (channels < 1 || rate < 1000) throw new DatasetError(`${source}: ${channels} channels at ${rate} Hz`);
  const width = bits / 8;
  const frames = Math.floor(data.length / (width * channels));
  if (frames === 0) throw new DatasetError(`${source} has no audio`);
  const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = (i: number): number => {
    if (float) return d.getFloat32(i, true);
    if (bits === 8) return (d.getUint8(i) - 128) / 128;
    if (bits === 16) return d.getInt16(i, true) / 32768;
    if (bits === 24) return (((d.getUint8(i + 2) << 24) | (d.getUint8(i + 1) << 16) | (d.getUint8(i) << 8)) >> 8) / 8388608;
    return d.getInt32(i, true) / 2147483648;
  };
  const samples = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read((f * channels + c) * width);
    samples[f] = sum / channels;
  }
  return { sampleRate: rate, samples };
}

/** 16-bit PCM mono WAV. */
export function encodeWav(w: Waveform): Uint8Array {
  const bytes = new Uint8Array(44 + 2 * w.samples.length);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) => [...s].forEach((ch, i) => (bytes[at + i] = ch.charCodeAt(0)));
  text(0, 'RIFF'); view.setUint32(4, 36 + 2 * w.samples.length, true); text(8, 'WAVE');
  text(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, w.sampleRate, true); view.setUint32(28, 2 * w.sampleRate, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
  text(36, 'data'); view.setUint32(40, 2 * w.samples.length, true);
  w.samples.forEach((s, i) => view.setInt16(44 + 2 * i, Math.round(Math.max(-1, Math.min(1, s)) * 32767), true));
  return bytes;
}

/**
 * The waveform at `rate`: windowed-sinc interpolation (a Hann-windowed sinc, 8 zero crossings each side),
 * with the cut-off at the lower of the two Nyquist frequencies so downsampling does not alias.
 */
const KERNEL_STEPS = 512;

export function resample(w: Waveform, rate = SAMPLE_RATE): Waveform {
  if (w.sampleRate === rate) return w;
  const ratio = rate / w.sampleRate;
  const cutoff = Math.min(1, ratio);
  const half = 8 / cutoff;
  // The windowed-sinc kernel tabulated every 1/KERNEL_STEPS of a sample and read with linear interpolation
  // (error below 1e-4): computing sin and cos per tap made loading a speech dataset take minutes.
  const kernel = Float64Array.from({ length: Math.ceil(half * KERNEL_STEPS) + 2 }, (_, k) => {
    const x = k / KERNEL_STEPS;
    if (x >= half) return 0;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x * cutoff) / (Math.PI * x * cutoff);
    return sinc * (0.5 + 0.5 * Math.cos((Math.PI * x) / half)) * cutoff;
  });
  const out = new Float32Array(Math.max(1, Math.round(w.samples.length * ratio)));
  for (let i = 0; i < out.length; i++) {
    const centre = i / ratio;
    let sum = 0;
    for (let j = Math.max(0, Math.ceil(centre - half)); j <= Math.min(w.samples.length - 1, Math.floor(centre + half)); j++) {
      const at = Math.abs(centre - j) * KERNEL_STEPS;
      const k = Math.floor(at);
      sum += w.samples[j] * (kernel[k] + (at - k) * (kernel[k + 1] - kernel[k]));
    }
    out[i] = sum;
  }
  return { sampleRate: rate, samples: out };
}
