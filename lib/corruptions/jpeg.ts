/**
 * Baseline JPEG compression simulated in floating point (docs/method.md §4.4), used for
 * jpeg_compression and for the q85 save that every Tiny-ImageNet-C image went through.
 *
 * **Project substitution.** The reference saves with Pillow/libjpeg and decodes again. Bit-exact libjpeg output
 * is not reachable (its integer DCT, rounding biases and Huffman stage are not reproduced), and npm `jpeg-js`
 * encodes 4:4:4, which under-corrupts chroma. This module does what libjpeg does with Pillow's defaults, in
 * float: RGB → YCbCr (JFIF, rounded to 8 bit), 4:2:0 chroma averaging over 2×2 blocks, edge-replicated padding
 * to whole MCUs, 8×8 DCT-II, quantisation with the IJG (Annex K) tables scaled by quality (scale 5000/q for
 * q < 50, else 200 − 2q; entry floor((base·scale + 50)/100) clamped to [1, 255]), dequantisation, inverse DCT,
 * 8-bit range limit, libjpeg "fancy" (triangular 9-3-3-1) chroma upsampling, YCbCr → RGB rounded to 8 bit.
 * Gray images are one luma component, as libjpeg stores mode "L". Entropy coding is lossless and skipped.
 *
 * @module
 */
import { borderIndex } from "./border.ts";
import type { Img } from "./image.ts";

const LUMA_TABLE = [
  16,
  11,
  10,
  16,
  24,
  40,
  51,
  61,
  12,
  12,
  14,
  19,
  26,
  58,
  60,
  55,
  14,
  13,
  16,
  24,
  40,
  57,
  69,
  56,
  14,
  17,
  22,
  29,
  51,
  87,
  80,
  62,
  18,
  22,
  37,
  56,
  68,
  109,
  103,
  77,
  24,
  35,
  55,
  64,
  81,
  104,
  113,
  92,
  49,
  64,
  78,
  87,
  103,
  121,
  120,
  101,
  72,
  92,
  95,
  98,
  112,
  100,
  103,
  99,
];
const CHROMA_TABLE = [
  17,
  18,
  24,
  47,
  99,
  99,
  99,
  99,
  18,
  21,
  26,
  66,
  99,
  99,
  99,
  99,
  24,
  26,
  56,
  99,
  99,
  99,
  99,
  99,
  47,
  66,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
  99,
];

/** The IJG quantisation table (`chroma` or luma) for quality 1..100, row-major 8×8. */
export function quantTable(quality: number, chroma: boolean): Int32Array {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new Error(`JPEG quality must be an integer in 1..100, got ${quality}`);
  }
  const scale = quality < 50 ? Math.floor(5000 / quality) : 200 - 2 * quality;
  return Int32Array.from(
    chroma ? CHROMA_TABLE : LUMA_TABLE,
    (b) => Math.min(255, Math.max(1, Math.floor((b * scale + 50) / 100))),
  );
}

/** cos((2x+1)uπ/16)·C(u)/2, the orthonormal 8-point DCT-II basis. */
const BASIS = (() => {
  const m = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    for (let x = 0; x < 8; x++) {
      m[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
    }
  }
  return m;
})();

/** One plane (values 0..255) through DCT → quantise → dequantise → IDCT, in place; sides multiples of 8. */
function roundTripPlane(plane: Float64Array, h: number, w: number, table: Int32Array): void {
  const block = new Float64Array(64), tmp = new Float64Array(64);
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[(by + y) * w + bx + x] - 128;
      }
      // Forward: F = B · X · Bᵀ.
      for (let u = 0; u < 8; u++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let y = 0; y < 8; y++) s += BASIS[u * 8 + y] * block[y * 8 + x];
          tmp[u * 8 + x] = s;
        }
      }
      for (let u = 0; u < 8; u++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let x = 0; x < 8; x++) s += tmp[u * 8 + x] * BASIS[v * 8 + x];
          const q = table[u * 8 + v];
          block[u * 8 + v] = Math.round(s / q) * q;
        }
      }
      // Inverse: X = Bᵀ · F · B.
      for (let y = 0; y < 8; y++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let u = 0; u < 8; u++) s += BASIS[u * 8 + y] * block[u * 8 + v];
          tmp[y * 8 + v] = s;
        }
      }
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let v = 0; v < 8; v++) s += tmp[y * 8 + v] * BASIS[v * 8 + x];
          plane[(by + y) * w + bx + x] = Math.min(255, Math.max(0, Math.round(s + 128)));
        }
      }
    }
  }
}

const ceilTo = (n: number, m: number) => Math.ceil(n / m) * m;

/** A plane of an interleaved image, padded by edge replication to ph×pw. */
function padded(src: Float64Array, h: number, w: number, ph: number, pw: number): Float64Array {
  const out = new Float64Array(ph * pw);
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) out[y * pw + x] = src[Math.min(y, h - 1) * w + Math.min(x, w - 1)];
  }
  return out;
}

/** libjpeg h2v2 fancy upsampling: each output pixel = (9·near + 3·horizontal + 3·vertical + 1·diagonal)/16. */
function fancyUpsample(c: Float64Array, ch: number, cw: number, h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    const cy = y >> 1, ny = borderIndex(y % 2 === 0 ? cy - 1 : cy + 1, ch, "nearest");
    for (let x = 0; x < w; x++) {
      const cx = x >> 1, nx = borderIndex(x % 2 === 0 ? cx - 1 : cx + 1, cw, "nearest");
      out[y * w + x] = (9 * c[cy * cw + cx] + 3 * c[cy * cw + nx] + 3 * c[ny * cw + cx] + c[ny * cw + nx]) /
        16;
    }
  }
  return out;
}

/**
 * The image after a JPEG save at `quality` and a decode (see the module doc), as [0, 1] floats on the 8-bit
 * grid.
 *
 * @example
 * const out = jpegRoundTrip(img, 80); // CIFAR-10-C jpeg_compression severity 1
 */
export function jpegRoundTrip(img: Img, quality: number): Img {
  const { h, w, c } = img;
  const lq = quantTable(quality, false);
  if (c === 1) {
    const ph = ceilTo(h, 8), pw = ceilTo(w, 8);
    const y = padded(Float64Array.from(img.data, (v) => Math.round(v * 255)), h, w, ph, pw);
    roundTripPlane(y, ph, pw, lq);
    const out = new Float32Array(h * w);
    for (let r = 0; r < h; r++) for (let x = 0; x < w; x++) out[r * w + x] = y[r * pw + x] / 255;
    return { h, w, c, data: out };
  }
  if (c !== 3) throw new Error(`jpegRoundTrip: images must have 1 or 3 channels, got ${c}`);
  const n = h * w;
  const Y = new Float64Array(n), Cb = new Float64Array(n), Cr = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const r = Math.round(img.data[3 * p] * 255), g = Math.round(img.data[3 * p + 1] * 255);
    const b = Math.round(img.data[3 * p + 2] * 255);
    Y[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    Cb[p] = Math.round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
    Cr[p] = Math.round(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
  }
  // MCU of 16×16: luma padded to multiples of 16, chroma averaged 2×2 to multiples of 8.
  const ph = ceilTo(h, 16), pw = ceilTo(w, 16);
  const yp = padded(Y, h, w, ph, pw);
  const chh = ph / 2, chw = pw / 2;
  const down = (plane: Float64Array) => {
    const full = padded(plane, h, w, ph, pw);
    const out = new Float64Array(chh * chw);
    for (let y = 0; y < chh; y++) {
      for (let x = 0; x < chw; x++) {
        const i = 2 * y * pw + 2 * x;
        out[y * chw + x] = Math.round((full[i] + full[i + 1] + full[i + pw] + full[i + pw + 1]) / 4);
      }
    }
    return out;
  };
  const cbp = down(Cb), crp = down(Cr);
  roundTripPlane(yp, ph, pw, lq);
  const cq = quantTable(quality, true);
  roundTripPlane(cbp, chh, chw, cq);
  roundTripPlane(crp, chh, chw, cq);
  const cbu = fancyUpsample(cbp, chh, chw, ph, pw), cru = fancyUpsample(crp, chh, chw, ph, pw);
  const out = new Float32Array(n * 3);
  const to8 = (v: number) => Math.min(255, Math.max(0, Math.round(v))) / 255;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * pw + x, o = (y * w + x) * 3;
      const yy = yp[i], cb = cbu[i] - 128, cr = cru[i] - 128;
      out[o] = to8(yy + 1.402 * cr);
      out[o + 1] = to8(yy - 0.344136 * cb - 0.714136 * cr);
      out[o + 2] = to8(yy + 1.772 * cb);
    }
  }
  return { h, w, c, data: out };
}
