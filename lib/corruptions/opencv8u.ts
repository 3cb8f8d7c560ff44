/**
 * The 8-bit OpenCV operations of spatter's "water" branch (docs/method.md §4.3.4 item 19), on one-channel H×W
 * buffers:
 * - {@link canny}: 3×3 Sobel (border replicate), L1 magnitude |gx| + |gy|, non-maximum suppression in four
 *   directions (22.5° sectors), hysteresis with 8-connectivity; edges are 255;
 * - {@link distanceTransform}: distance to the nearest zero pixel with OpenCV's 5×5 chamfer mask for DIST_L2
 *   (a = 1, b = 1.4, c = 2.1969);
 * - {@link equalizeHist}: OpenCV histogram equalisation;
 * - {@link filter2dU8}: `filter2D` to 8 bit (round and saturate), border reflect-101.
 *
 * @module
 */
import { borderIndex } from "./border.ts";

/** OpenCV `Canny(img, low, high)` with aperture 3 and L1 gradient. */
export function canny(img: Uint8Array, h: number, w: number, low: number, high: number): Uint8Array {
  const at = (y: number, x: number) => img[borderIndex(y, h, "nearest") * w + borderIndex(x, w, "nearest")];
  const gx = new Float64Array(h * w), gy = new Float64Array(h * w), mag = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      gx[i] = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) -
        at(y + 1, x - 1);
      gy[i] = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) -
        at(y - 1, x + 1);
      mag[i] = Math.abs(gx[i]) + Math.abs(gy[i]);
    }
  }
  const m = (y: number, x: number) => (y < 0 || x < 0 || y >= h || x >= w ? 0 : mag[y * w + x]);
  const TAN22 = Math.tan(Math.PI / 8), TAN67 = Math.tan((3 * Math.PI) / 8);
  // 0: not an edge, 1: weak candidate, 2: strong edge.
  const state = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x, v = mag[i];
      if (v <= low) continue;
      const ax = Math.abs(gx[i]), ay = Math.abs(gy[i]);
      let isMax: boolean;
      if (ay <= ax * TAN22) isMax = v > m(y, x - 1) && v >= m(y, x + 1);
      else if (ay >= ax * TAN67) isMax = v > m(y - 1, x) && v >= m(y + 1, x);
      else {
        const s = gx[i] * gy[i] < 0 ? -1 : 1;
        isMax = v > m(y - 1, x - s) && v >= m(y + 1, x + s);
      }
      if (isMax) state[i] = v > high ? 2 : 1;
    }
  }
  const out = new Uint8Array(h * w);
  const stack: number[] = [];
  for (let i = 0; i < h * w; i++) {
    if (state[i] === 2) {
      out[i] = 255;
      stack.push(i);
    }
  }
  while (stack.length > 0) {
    const i = stack.pop()!;
    const y = Math.floor(i / w), x = i % w;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
        const j = yy * w + xx;
        if (state[j] === 1 && out[j] === 0) {
          out[j] = 255;
          stack.push(j);
        }
      }
    }
  }
  return out;
}

/** OpenCV `distanceTransform(img, DIST_L2, 5)`: chamfer distance to the nearest zero pixel (two passes). */
export function distanceTransform(img: Uint8Array, h: number, w: number): Float64Array {
  const A = 1, B = 1.4, C = 2.1969;
  const mask: [number, number, number][] = [
    [-2, -1, C],
    [-2, 1, C],
    [-1, -2, C],
    [-1, -1, B],
    [-1, 0, A],
    [-1, 1, B],
    [-1, 2, C],
    [0, -1, A],
  ];
  const d = Float64Array.from(img, (v) => (v === 0 ? 0 : Infinity));
  const relax = (y: number, x: number, sign: 1 | -1) => {
    const i = y * w + x;
    for (const [my, mx, cost] of mask) {
      const yy = y + sign * my, xx = x + sign * mx;
      if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
      const cand = d[yy * w + xx] + cost;
      if (cand < d[i]) d[i] = cand;
    }
  };
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) relax(y, x, 1);
  for (let y = h - 1; y >= 0; y--) for (let x = w - 1; x >= 0; x--) relax(y, x, -1);
  return d;
}

/** OpenCV `equalizeHist` on 8-bit values. */
export function equalizeHist(img: Uint8Array): Uint8Array {
  const hist = new Float64Array(256);
  for (const v of img) hist[v]++;
  let first = 0;
  while (hist[first] === 0) first++;
  if (hist[first] === img.length) return new Uint8Array(img.length).fill(first);
  const scale = 255 / (img.length - hist[first]);
  const lut = new Uint8Array(256);
  let sum = 0;
  for (let i = first + 1; i < 256; i++) {
    sum += hist[i];
    lut[i] = Math.min(255, Math.round(sum * scale));
  }
  return img.map((v) => lut[v]);
}

/** OpenCV `filter2D(img, CV_8U, kernel)` with a 3×3 kernel: correlation, round, saturate to 0..255. */
export function filter2dU8(img: Uint8Array, h: number, w: number, kernel: number[][]): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          s += kernel[i][j] *
            img[borderIndex(y + i - 1, h, "reflect101") * w + borderIndex(x + j - 1, w, "reflect101")];
        }
      }
      out[y * w + x] = Math.min(255, Math.max(0, Math.round(s)));
    }
  }
  return out;
}
