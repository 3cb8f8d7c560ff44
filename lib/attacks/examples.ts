/**
 * A picture of example adversarial images: one row per sample, columns clean | each attack at its largest ε,
 * separated by a 2-pixel gap of mid-grey. Float [0, 1] pixels are rounded to uint8 for display only.
 *
 * @module
 */
import { encodePng } from "../eval/png.ts";
import type { ExampleImages } from "./evaluate.ts";

/** The grid as PNG bytes; `shape` is one image's [H, W, C] (C = 1 or 3). */
export function exampleGridPng(examples: ExampleImages, shape: [number, number, number]): Uint8Array {
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new Error(`exampleGridPng: images need 1 or 3 channels, got ${c}`);
  const gap = 2;
  const columns = [examples.clean.pixels, ...examples.attacks.map((a) => a.pixels)];
  const rows = examples.ids.length;
  if (rows === 0) throw new Error("exampleGridPng: no example images");
  const gh = rows * h + (rows - 1) * gap;
  const gw = columns.length * w + (columns.length - 1) * gap;
  const out = new Uint8Array(gh * gw * c).fill(128);
  const size = h * w * c;
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < columns.length; col++) {
      const src = columns[col].subarray(r * size, (r + 1) * size);
      for (let y = 0; y < h; y++) {
        const to = ((r * (h + gap) + y) * gw + col * (w + gap)) * c;
        for (let k = 0; k < w * c; k++) {
          out[to + k] = Math.round(Math.min(1, Math.max(0, src[y * w * c + k])) * 255);
        }
      }
    }
  }
  return encodePng(out, gh, gw, c);
}
