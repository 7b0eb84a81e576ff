// pngjs's PNG.sync.write for the browser bundle (report images), by fflate's zlib: 8-bit RGBA, no filtering.
// Decoding is not needed there: the page decodes dropped images with the browser's own decoder.
import { zlibSync } from 'fflate';

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
    read(): never {
      throw new Error('PNG decoding is not in the browser build');
    },
  };
}
