/**
 * 2-D affine maps in OpenCV's convention (x = column, y = row): `getAffineTransform` from three point pairs
 * and `warpAffine` (bilinear, each output pixel samples the source at M⁻¹·(x, y), border reflect-101).
 *
 * @module
 */
import { type Img, zeros } from "./image.ts";
import { sampleBilinear } from "./resample.ts";

/** A 2×3 affine matrix [a, b, tx, c, d, ty]: (x, y) → (a·x + b·y + tx, c·x + d·y + ty). */
export type Affine = [number, number, number, number, number, number];

/** The affine map sending the three `src` points to the three `dst` points ([x, y] pairs). */
export function affineFromPoints(src: [number, number][], dst: [number, number][]): Affine {
  const [[x0, y0], [x1, y1], [x2, y2]] = src;
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  if (Math.abs(det) < 1e-12) throw new Error("affineFromPoints: the source points are collinear");
  // Solve [x y 1]·(a, b, t) = u for each output coordinate by Cramer's rule.
  const solve = (u0: number, u1: number, u2: number): [number, number, number] => [
    (u0 * (y1 - y2) - y0 * (u1 - u2) + (u1 * y2 - u2 * y1)) / det,
    (x0 * (u1 - u2) - u0 * (x1 - x2) + (x1 * u2 - x2 * u1)) / det,
    (x0 * (y1 * u2 - y2 * u1) - y0 * (x1 * u2 - x2 * u1) + u0 * (x1 * y2 - x2 * y1)) / det,
  ];
  const [a, b, tx] = solve(dst[0][0], dst[1][0], dst[2][0]);
  const [c, d, ty] = solve(dst[0][1], dst[1][1], dst[2][1]);
  return [a, b, tx, c, d, ty];
}

/** OpenCV `warpAffine(img, m, (w, h), INTER_LINEAR, BORDER_REFLECT_101)`. */
export function warpAffine(img: Img, m: Affine): Img {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (Math.abs(det) < 1e-12) throw new Error("warpAffine: the matrix is singular");
  const out = zeros(img.h, img.w, img.c);
  for (let y = 0; y < img.h; y++) {
    for (let x = 0; x < img.w; x++) {
      const u = x - tx, v = y - ty;
      const sx = (d * u - b * v) / det, sy = (-c * u + a * v) / det;
      for (let ch = 0; ch < img.c; ch++) {
        out.data[(y * img.w + x) * img.c + ch] = sampleBilinear(img, sy, sx, ch, "reflect101");
      }
    }
  }
  return out;
}
