// The frame every engram report shares: one self-contained HTML page, its style inline, no scripts.
import { encodePng, type RgbImage } from '../data/imageFile.js';
import { escapeHtml } from './svg.js';

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
.verdict{font-size:1.1em;background:#f6f6f0;border-left:4px solid #555;padding:.8em 1em}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #ddd;background:#fff}
.chart text{font-size:11px;fill:#333}.chart .title{font-size:13px;font-weight:600}.chart .grid{stroke:#eee}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
small{color:#666}code{white-space:pre-wrap}.gallery{display:flex;flex-wrap:wrap;gap:10px}
.gallery figure{margin:0;width:120px;font-size:12px}.gallery .match figure{width:70px}.gallery img{width:96px;height:96px;image-rendering:pixelated;border:1px solid #ccc}
.match{display:flex;gap:4px;align-items:flex-start;border:1px solid #ddd;padding:4px;font-size:11px}.match figure{margin:0;text-align:center}
.match img{width:64px;height:64px;image-rendering:pixelated;border:1px solid #ccc}.match.flagged{border-color:#c0392b;background:#fdf0ee}
img.grid{image-rendering:pixelated}.gallery figure.wide{width:auto}.gallery img.grid{width:auto;height:auto}`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>\n${body}\n</body></html>`;
}

/** A square image ([size * size * 3] in [0, 1]) or any RGB image as an inline PNG. */
export function imageDataUri(pixels: Float32Array | RgbImage, size = 0): string {
  const image = pixels instanceof Float32Array ? { width: size, height: size, pixels } : pixels;
  return `data:image/png;base64,${base64(encodePng(image))}`;
}

/** Base64 of bytes, with btoa (in browsers and in Node 16+), in chunks so long images do not overflow the stack. */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
