/**
 * The image type every corruption works on, and small helpers shared by the corruption modules.
 *
 * An {@link Img} is one image as float32 HWC (channels last), values in [0, 1]: the Hendrycks generators
 * convert uint8 to `x/255` first and work in float (docs/method.md §4.1). Gray images have `c = 1` and are
 * corrupted as 2-D images (docs/method.md §4.5); colour images have `c = 3`.
 *
 * @module
 */

/** One image, float32 HWC with values in [0, 1]. */
export interface Img {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
}

/** A zero image of the given size. */
export function zeros(h: number, w: number, c: number): Img {
  return { data: new Float32Array(h * w * c), h, w, c };
}

/** A copy of `img` with its own buffer. */
export function cloneImg(img: Img): Img {
  return { ...img, data: img.data.slice() };
}

/** Clips every value of `data` to [0, 1] in place and returns it. */
export function clip01<T extends Float32Array | Float64Array>(data: T): T {
  for (let i = 0; i < data.length; i++) data[i] = data[i] < 0 ? 0 : data[i] > 1 ? 1 : data[i];
  return data;
}

/** `min(max(v, 0), 1)` for one value. */
export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * uint8 HWC bytes → {@link Img} with values v/255.
 *
 * @example
 * const img = fromUint8(bytes.subarray(i * 3072, (i + 1) * 3072), 32, 32, 3);
 */
export function fromUint8(bytes: Uint8Array, h: number, w: number, c: number): Img {
  if (bytes.length !== h * w * c) {
    throw new Error(`fromUint8: ${bytes.length} bytes do not make a ${h}x${w}x${c} image`);
  }
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i] / 255;
  return { data, h, w, c };
}

/**
 * {@link Img} → uint8 by **truncation** of clip(x)·255, as the CIFAR-10-C / Tiny-ImageNet-C generators store
 * their output (docs/method.md §4.1 and §4.6 item 2). Values are clipped first, so any float input is accepted.
 */
export function toUint8(img: Img, out = new Uint8Array(img.data.length)): Uint8Array {
  const d = img.data;
  // The 1e-3 guard keeps values meant as k/255 (float32 rounding may put them just below) at k.
  for (let i = 0; i < d.length; i++) out[i] = Math.min(255, Math.floor(clamp01(d[i]) * 255 + 1e-3));
  return out;
}

/** ITU-R 601 luma weights used by OpenCV and Pillow for RGB → gray (docs/method.md §4.2). */
export const LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

/** Gray value (H×W) of an image: luma for RGB, the channel itself for one channel. */
export function gray(img: Img): Float32Array {
  const { h, w, c, data } = img;
  if (c === 1) return data.slice();
  const out = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) {
    out[p] = LUMA[0] * data[3 * p] + LUMA[1] * data[3 * p + 1] + LUMA[2] * data[3 * p + 2];
  }
  return out;
}

/**
 * A colour (RGB in [0, 1]) as the channel values of an image with `c` channels: itself for RGB, its luma for
 * gray images (the documented gray adaptation: colours become their luminance).
 */
export function colourFor(rgb: readonly [number, number, number], c: number): number[] {
  return c === 3 ? [...rgb] : [LUMA[0] * rgb[0] + LUMA[1] * rgb[1] + LUMA[2] * rgb[2]];
}

/**
 * Runs an RGB-only operation on a gray image: replicates the channel to RGB, applies `op`, returns the luma.
 * RGB images go straight through.
 */
export function viaRgb(img: Img, op: (rgb: Img) => Img): Img {
  if (img.c === 3) return op(img);
  if (img.c !== 1) throw new Error(`viaRgb: images must have 1 or 3 channels, got ${img.c}`);
  const rgb = zeros(img.h, img.w, 3);
  for (let p = 0; p < img.h * img.w; p++) rgb.data.fill(img.data[p], 3 * p, 3 * p + 3);
  return { data: gray(op(rgb)), h: img.h, w: img.w, c: 1 };
}

/** Rounds half to even, as Python's `round` does (used where the reference computes sizes with it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
