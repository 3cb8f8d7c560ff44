/**
 * The digital family (docs/method.md §4.3.4): contrast, elastic_transform, pixelate, jpeg_compression.
 *
 * @module
 */
import type { Rng } from "../random.ts";
import { affineFromPoints, warpAffine } from "./affine.ts";
import { gaussianFilter } from "./filters.ts";
import { clamp01, type Img, zeros } from "./image.ts";
import { jpegRoundTrip } from "./jpeg.ts";
import { boxResize, sampleBilinear } from "./resample.ts";

/** contrast: clip((x − μ)·c + μ) with μ the per-channel mean of the image. */
export function contrast(img: Img, c: number): Img {
  const n = img.h * img.w;
  const means = new Float64Array(img.c);
  for (let i = 0; i < img.data.length; i++) means[i % img.c] += img.data[i] / n;
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = clamp01((img.data[i] - means[i % img.c]) * c + means[i % img.c]);
  }
  return { ...img, data: out };
}

/** Parameters of elastic_transform in pixels (docs/method.md §4.3.4 item 16, "in pixels" row). */
export interface ElasticParams {
  alpha: number;
  sigma: number;
  affine: number;
}

/**
 * elastic_transform (α, σ, s) for square images of side S:
 * 1. random affine: the points (c+q, c+q), (c+q, c−q), (c−q, c−q) (c = S//2, q = S//3) moved by U(−s, s) per
 *    coordinate, warpAffine (bilinear, reflect-101);
 * 2. displacements dx, dy = α·Gaussian_σ(U(−1, 1) field) with border reflect, truncate 3 (σ = 0: identity,
 *    so zero displacement when α = 0);
 * 3. every channel resampled bilinearly at (row + dy, col + dx), border reflect; clip.
 */
export function elasticTransform(img: Img, p: ElasticParams, rng: Rng): Img {
  const { h, w, c } = img;
  const centre = Math.floor(Math.min(h, w) / 2), q = Math.floor(Math.min(h, w) / 3);
  const src: [number, number][] = [[centre + q, centre + q], [centre + q, centre - q], [
    centre - q,
    centre - q,
  ]];
  const dst = src.map(([x, y]) =>
    [x + (rng.uniform() * 2 - 1) * p.affine, y + (rng.uniform() * 2 - 1) * p.affine] as [number, number]
  );
  const warped = warpAffine(img, affineFromPoints(src, dst));
  const field = () => {
    const f = zeros(h, w, 1);
    for (let i = 0; i < h * w; i++) f.data[i] = rng.uniform() * 2 - 1;
    const g = gaussianFilter(f, p.sigma, "reflect", 3).data;
    for (let i = 0; i < g.length; i++) g[i] *= p.alpha;
    return g;
  };
  const dx = field(), dy = field();
  const out = zeros(h, w, c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const pix = y * w + x;
      for (let ch = 0; ch < c; ch++) {
        out.data[pix * c + ch] = clamp01(sampleBilinear(warped, y + dy[pix], x + dx[pix], ch, "reflect"));
      }
    }
  }
  return out;
}

/** pixelate: Pillow BOX resize to int(S·c) per side and BOX back to S (8-bit rounding after each pass). */
export function pixelate(img: Img, c: number): Img {
  const small = boxResize(img, Math.floor(img.h * c), Math.floor(img.w * c));
  return boxResize(small, img.h, img.w);
}

/** jpeg_compression: a JPEG save at `quality` and decode (see jpeg.ts for the simulation). */
export function jpegCompression(img: Img, quality: number): Img {
  return jpegRoundTrip(img, quality);
}
