// pngjs's PNG.sync.write and PNG.sync.read for the browser bundle, by fflate's zlib. Writing: 8-bit RGBA, no
// filtering (report images). Reading: what the datasets need (Twemoji), decoded exactly as pngjs does, so a
// dataset's fingerprint in the page equals the CLI's: non-interlaced greyscale, RGB, palette (1-8 bits, with
// tRNS transparency), grey+alpha and RGBA at 8 bits, all five row filters. (The browser's own decoder can
// round semi-transparent pixels differently, which would change the hashes.)
import { unzlibSync, zlibSync } from 'fflate';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export class PNG {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;

  constructor(options: { width: number; height: number }) {
    this.width = options.width;
    this.height = options.height;
    this.data = new Uint8Array(options.width * options.height * 4);
  }

  static readonly sync = {
    write(png: PNG): Uint8Array {
      const header = new Uint8Array(13);
      const view = new DataView(header.buffer);
      view.setUint32(0, png.width);
      view.setUint32(4, png.height);
      header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
      const rows = new Uint8Array(png.height * (1 + png.width * 4));
      for (let y = 0; y < png.height; y++) rows.set(png.data.subarray(y * png.width * 4, (y + 1) * png.width * 4), y * (1 + png.width * 4) + 1);
      const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', zlibSync(rows)), chunk('IEND', new Uint8Array())];
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    },
    read(bytes: Uint8Array): PNG {
      return decodePng(bytes);
    },
  };
}

function decodePng(bytes: Uint8Array): PNG {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, depth = 0, colour = 0;
  let palette: Uint8Array = new Uint8Array();
  let alphas: Uint8Array = new Uint8Array();
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8); height = view.getUint32(at + 12); depth = data[8]; colour = data[9];
      if (data[12] !== 0) throw new Error('interlaced PNGs are not read in the browser build');
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') alphas = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour];
  if (!channels || (depth !== 8 && colour !== 3)) throw new Error(`PNG colour type ${colour} at ${depth} bits is not read in the browser build`);
  const joined = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  idat.reduce((at, d) => (joined.set(d, at), at + d.length), 0);
  const raw = unzlibSync(joined);
  const bitsPerPixel = channels * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = rows.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp] : 0;
      const b = up[i];
      const c = i >= bpp ? up[i - bpp] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      out[i] = (line[i] + [0, a, b, (a + b) >> 1, paeth][filter]) & 255;
    }
  }
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 4 * (y * width + x);
      const r = rows.subarray(y * stride);
      if (colour === 3) {
        const index = (r[(x * depth) >> 3] >> (8 - depth - ((x * depth) & 7))) & ((1 << depth) - 1);
        png.data.set([palette[3 * index], palette[3 * index + 1], palette[3 * index + 2], index < alphas.length ? alphas[index] : 255], o);
      } else if (colour === 0) png.data.set([r[x], r[x], r[x], 255], o);
      else if (colour === 4) png.data.set([r[2 * x], r[2 * x], r[2 * x], r[2 * x + 1]], o);
      else if (colour === 2) png.data.set([r[3 * x], r[3 * x + 1], r[3 * x + 2], 255], o);
      else png.data.set(r.subarray(4 * x, 4 * x + 4), o);
    }
  }
  return png;
}
