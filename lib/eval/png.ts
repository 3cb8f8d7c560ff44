/**
 * A minimal PNG encoder for 8-bit gray or RGB images (for example images in reports): signature, IHDR, one
 * zlib-compressed IDAT (filter 0 on every row, `node:zlib` deflate), IEND, each chunk with its CRC-32.
 *
 * @module
 */
import { deflateSync } from "node:zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as PNG uses) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
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

/**
 * PNG bytes of an 8-bit HWC image with 1 (gray) or 3 (RGB) channels.
 *
 * @example
 * await Deno.writeFile("x.png", encodePng(bytes, 32, 32, 3));
 */
export function encodePng(pixels: Uint8Array, h: number, w: number, c: 1 | 3): Uint8Array {
  if (pixels.length !== h * w * c) throw new Error(`encodePng: ${pixels.length} bytes for ${h}x${w}x${c}`);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, w);
  v.setUint32(4, h);
  ihdr.set([8, c === 1 ? 0 : 2, 0, 0, 0], 8);
  const raw = new Uint8Array(h * (w * c + 1));
  for (let y = 0; y < h; y++) raw.set(pixels.subarray(y * w * c, (y + 1) * w * c), y * (w * c + 1) + 1);
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
