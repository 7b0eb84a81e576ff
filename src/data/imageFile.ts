// Image files in and out: PNG (pngjs) and JPEG (jpeg-js) decoding, PNG encoding, and resizing to the model's
// square size. Pure JS, so it runs wherever engram runs. An image here is RGB in [0, 1], row-major [h, w, 3].
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { DatasetError } from '../errors.js';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** [height * width * 3], values in [0, 1]. */
  readonly pixels: Float32Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** Decodes PNG or JPEG; transparent pixels are composited over white (emoji have transparent backgrounds). */
export function decodeImage(bytes: Uint8Array, source = 'image'): RgbImage {
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    // pngjs wants a Node Buffer; the browser bundle's reader (src/web/shims/pngjs.ts) takes the bytes as they are.
    if (startsWith(bytes, PNG_MAGIC)) rgba = PNG.sync.read(typeof Buffer === 'function' ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : (bytes as never));
    else if (startsWith(bytes, JPEG_MAGIC)) rgba = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    else throw new DatasetError(`${source} is not a PNG or JPEG image`);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(`${source} could not be decoded: ${(err as Error).message}`);
  }
  const { width, height, data } = rgba;
  const pixels = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const alpha = data[4 * i + 3] / 255;
    for (let c = 0; c < 3; c++) pixels[3 * i + c] = (data[4 * i + c] / 255) * alpha + (1 - alpha);
  }
  return { width, height, pixels };
}

/** Encodes to PNG, rounding to 8 bits per channel. */
export function encodePng(image: RgbImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  for (let i = 0; i < image.width * image.height; i++) {
    for (let c = 0; c < 3; c++) png.data[4 * i + c] = Math.round(Math.min(1, Math.max(0, image.pixels[3 * i + c])) * 255);
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** Resizes to size x size by area averaging (each output pixel is the mean of the input area it covers). */
export function resize(image: RgbImage, size: number): RgbImage {
  if (image.width === size && image.height === size) return image;
  const out = new Float32Array(size * size * 3);
  const sx = image.width / size;
  const sy = image.height / size;
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      const acc = [0, 0, 0];
      let weight = 0;
      for (let y = Math.floor(oy * sy); y < Math.min(image.height, Math.ceil((oy + 1) * sy)); y++) {
        const wy = Math.min(y + 1, (oy + 1) * sy) - Math.max(y, oy * sy);
        for (let x = Math.floor(ox * sx); x < Math.min(image.width, Math.ceil((ox + 1) * sx)); x++) {
          const w = wy * (Math.min(x + 1, (ox + 1) * sx) - Math.max(x, ox * sx));
          for (let c = 0; c < 3; c++) acc[c] += w * image.pixels[3 * (y * image.width + x) + c];
          weight += w;
        }
      }
      for (let c = 0; c < 3; c++) out[3 * (oy * size + ox) + c] = acc[c] / weight;
    }
  }
  return { width: size, height: size, pixels: out };
}

/** Image to 8-bit RGB bytes, the form hashed for fingerprints (so tiny float noise cannot change a hash). */
export function toBytes(image: RgbImage): Uint8Array {
  return Uint8Array.from(image.pixels, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

/**
 * Square images ([size * size * 3] each) laid out in a grid, `columns` wide, each pixel drawn as a
 * scale x scale block (nearest neighbour, so small images stay sharp), with `gap` pixels of white between.
 */
export function tileImages(images: readonly Float32Array[], size: number, options: { columns?: number; scale?: number; gap?: number } = {}): RgbImage {
  const columns = Math.max(1, Math.min(options.columns ?? Math.ceil(Math.sqrt(images.length)), images.length));
  const scale = options.scale ?? 1;
  const gap = options.gap ?? 2;
  const rows = Math.ceil(images.length / columns);
  const cell = size * scale;
  const width = columns * cell + (columns + 1) * gap;
  const height = rows * cell + (rows + 1) * gap;
  const pixels = new Float32Array(width * height * 3).fill(1);
  images.forEach((image, i) => {
    const left = gap + (i % columns) * (cell + gap);
    const top = gap + Math.floor(i / columns) * (cell + gap);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const from = (Math.floor(y / scale) * size + Math.floor(x / scale)) * 3;
        pixels.set(image.subarray(from, from + 3), ((top + y) * width + left + x) * 3);
      }
    }
  });
  return { width, height, pixels };
}
