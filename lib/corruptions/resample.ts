/**
 * Resampling primitives with the reference libraries' conventions (docs/method.md §4.2):
 * - {@link scipyZoom}: SciPy `zoom(order=1)`: output side round(in·z) (Python rounding), "align corners"
 *   mapping o → o·(in−1)/(out−1);
 * - {@link clippedZoom}: the Hendrycks `clipped_zoom` built on it (zoom_blur and snow);
 * - {@link sampleBilinear}: SciPy `map_coordinates(order=1)` or OpenCV bilinear lookup, with a border mode;
 * - {@link boxResize}: Pillow `resize(BOX)` on 8-bit images (pixelate);
 * - {@link cvResizeLinear}: OpenCV `resize(INTER_LINEAR)` (half-pixel centres), used for the frost textures.
 *
 * @module
 */
import { type Border, borderIndex } from "./border.ts";
import { type Img, roundHalfEven, zeros } from "./image.ts";

/**
 * Bilinear value of channel `ch` at fractional (row, col), neighbours mapped with `border`.
 */
export function sampleBilinear(img: Img, row: number, col: number, ch: number, border: Border): number {
  const { h, w, c, data } = img;
  const r0 = Math.floor(row), c0 = Math.floor(col);
  const fr = row - r0, fc = col - c0;
  const ra = borderIndex(r0, h, border), rb = borderIndex(r0 + 1, h, border);
  const ca = borderIndex(c0, w, border), cb = borderIndex(c0 + 1, w, border);
  const v00 = data[(ra * w + ca) * c + ch], v01 = data[(ra * w + cb) * c + ch];
  const v10 = data[(rb * w + ca) * c + ch], v11 = data[(rb * w + cb) * c + ch];
  return (1 - fr) * ((1 - fc) * v00 + fc * v01) + fr * ((1 - fc) * v10 + fc * v11);
}

/** Crop of rows/cols [top, top+hh) × [left, left+ww). */
export function crop(img: Img, top: number, left: number, hh: number, ww: number): Img {
  const out = zeros(hh, ww, img.c);
  for (let y = 0; y < hh; y++) {
    const from = ((top + y) * img.w + left) * img.c;
    out.data.set(img.data.subarray(from, from + ww * img.c), y * ww * img.c);
  }
  return out;
}

/** SciPy `zoom(img, (z, z, 1), order=1)`: bilinear, align-corners, output side round(side·z). */
export function scipyZoom(img: Img, z: number): Img {
  const oh = roundHalfEven(img.h * z), ow = roundHalfEven(img.w * z);
  const out = zeros(oh, ow, img.c);
  const sy = oh > 1 ? (img.h - 1) / (oh - 1) : 0;
  const sx = ow > 1 ? (img.w - 1) / (ow - 1) : 0;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let ch = 0; ch < img.c; ch++) {
        out.data[(y * ow + x) * img.c + ch] = sampleBilinear(img, y * sy, x * sx, ch, "nearest");
      }
    }
  }
  return out;
}

/**
 * Hendrycks' `clipped_zoom` for square images: crop the centred ceil(S/z) square (top-left at (S−ch)//2),
 * zoom it by z, and take S×S starting at (out−S)//2.
 */
export function clippedZoom(img: Img, z: number): Img {
  const s = img.h;
  if (img.w !== s) throw new Error(`clippedZoom: needs a square image, got ${img.h}x${img.w}`);
  const ch = Math.ceil(s / z);
  const top = Math.floor((s - ch) / 2);
  const zoomed = scipyZoom(crop(img, top, top, ch, ch), z);
  const trim = Math.floor((zoomed.h - s) / 2);
  return crop(zoomed, trim, trim, s, s);
}

/**
 * Pillow BOX resize of one axis on 8-bit values (`vals` hold 0..255): output pixel o averages the input
 * pixels whose centres lie in (centre − s/2, centre + s/2], centre = (o+0.5)·in/out, s = max(in/out, 1), and
 * rounds to an integer.
 */
function boxAxis(src: Float64Array, h: number, w: number, c: number, out: number, axis: 0 | 1): Float64Array {
  const inLen = axis === 0 ? h : w;
  const oh = axis === 0 ? out : h, ow = axis === 1 ? out : w;
  const scale = inLen / out;
  const support = Math.max(scale, 1) / 2;
  const res = new Float64Array(oh * ow * c);
  for (let o = 0; o < out; o++) {
    const centre = (o + 0.5) * scale;
    const members: number[] = [];
    for (let j = 0; j < inLen; j++) {
      if (j + 0.5 > centre - support && j + 0.5 <= centre + support) members.push(j);
    }
    for (let other = 0; other < (axis === 0 ? w : h); other++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (const j of members) {
          s += axis === 0 ? src[(j * w + other) * c + ch] : src[(other * w + j) * c + ch];
        }
        const idx = axis === 0 ? (o * ow + other) * c + ch : (other * ow + o) * c + ch;
        res[idx] = Math.min(255, Math.max(0, Math.round(s / members.length)));
      }
    }
  }
  return res;
}

/**
 * Pillow `resize((ow, oh), BOX)` of an 8-bit image given as [0, 1] floats that are multiples of 1/255:
 * horizontal pass, then vertical, rounding to 8 bit after each. Returns [0, 1] floats.
 */
export function boxResize(img: Img, oh: number, ow: number): Img {
  const v = Float64Array.from(img.data, (x) => Math.round(x * 255));
  const horiz = boxAxis(v, img.h, img.w, img.c, ow, 1);
  const both = boxAxis(horiz, img.h, ow, img.c, oh, 0);
  return { h: oh, w: ow, c: img.c, data: Float32Array.from(both, (x) => x / 255) };
}

/**
 * OpenCV `resize(fx=fy=f, INTER_LINEAR)`: output side round(side·f), source coordinate (o+0.5)/f − 0.5,
 * edges replicated. Not antialiased, like OpenCV.
 */
export function cvResizeLinear(img: Img, f: number): Img {
  const oh = Math.round(img.h * f), ow = Math.round(img.w * f);
  const out = zeros(oh, ow, img.c);
  for (let y = 0; y < oh; y++) {
    const sy = Math.max((y + 0.5) / f - 0.5, 0);
    for (let x = 0; x < ow; x++) {
      const sx = Math.max((x + 0.5) / f - 0.5, 0);
      for (let ch = 0; ch < img.c; ch++) {
        out.data[(y * ow + x) * img.c + ch] = sampleBilinear(img, sy, sx, ch, "nearest");
      }
    }
  }
  return out;
}
