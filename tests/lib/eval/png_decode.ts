/** A PNG decoder for the files lib/eval/png.ts writes, for tests that check what an image shows. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";

/** The pixels of a PNG written by lib/eval/png.ts (filter 0 on every row). */
export function decodePng(png: Uint8Array, c: number): { width: number; height: number; pixels: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset);
  const width = view.getUint32(16), height = view.getUint32(20);
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const len = view.getUint32(at);
    if (new TextDecoder().decode(png.subarray(at + 4, at + 8)) === "IDAT") {
      idat.push(png.subarray(at + 8, at + 8 + len));
    }
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * c + 1)], 0, "filter 0");
    pixels.set(raw.subarray(y * (width * c + 1) + 1, (y + 1) * (width * c + 1)), y * width * c);
  }
  return { width, height, pixels };
}
