/**
 * Severity tables (severities 1–5) of the Hendrycks generators, of the reference generators (docs/method.md §4.3; HR
 * `make_cifar_c.py` and `make_tinyimagenet_c.py`), and the choice of table for an image size.
 *
 * - `cifar10-c` (32×32): the CIFAR-10-C parameters.
 * - `tiny-imagenet-c` (64×64): the Tiny-ImageNet-C parameters; every corrupted image is then saved as JPEG
 *   q85 as the released files were (docs/method.md §4.1).
 * - `gray28` (28×28, MNIST / Fashion-MNIST): **project decision, not a standard** (docs/method.md §4.5): the
 *   CIFAR-10-C parameters with the size-dependent constants re-derived for 28 px (elastic IMSIZE 28, fog map 32
 *   cropped to 28, glass-blur loop bounds 28, frost ×0.2 cropped to 28 as luma, snow gray(x) = x), applied to
 *   the 2-D image with noise drawn once per pixel.
 *
 * Size-dependent constants follow the side S: elastic parameters are fractions of S, fog's map is the next
 * power of two ≥ S, glass blur's loops run over the real image.
 *
 * @module
 */
import type { SnowParams } from "./weather.ts";
import type { SpatterParams } from "./spatter.ts";
import type { ElasticParams } from "./digital.ts";

/** The five values of one corruption parameter, severity 1 first. */
type Five<T> = readonly [T, T, T, T, T];

/** All parameters of one table. */
export interface SeverityTable {
  gaussian_noise: Five<number>;
  shot_noise: Five<number>;
  impulse_noise: Five<number>;
  speckle_noise: Five<number>;
  defocus_blur: Five<readonly [number, number]>;
  glass_blur: Five<readonly [number, number, number]>;
  motion_blur: Five<readonly [number, number]>;
  /** `stop` of arange(1, stop, 0.01). */
  zoom_blur: Five<number>;
  gaussian_blur: Five<number>;
  snow: Five<readonly [number, number, number, number, number, number, number]>;
  frost: Five<readonly [number, number]>;
  fog: Five<readonly [number, number]>;
  brightness: Five<number>;
  saturate: Five<readonly [number, number]>;
  contrast: Five<number>;
  /** (α, σ, affine) as fractions of the image side. */
  elastic_transform: Five<readonly [number, number, number]>;
  pixelate: Five<number>;
  jpeg_compression: Five<number>;
  spatter: Five<readonly [number, number, number, number, number, 0 | 1]>;
  /** Resize factor of the frost pictures. */
  frostScale: number;
  /** JPEG quality of the final save applied to every corrupted image, or null. */
  finalJpegQuality: number | null;
}

const ZOOM_STOPS = [1.06, 1.11, 1.16, 1.21, 1.26] as const;

/** CIFAR-10-C (HR `make_cifar_c.py`). */
export const CIFAR10_C: SeverityTable = {
  gaussian_noise: [0.04, 0.06, 0.08, 0.09, 0.10],
  shot_noise: [500, 250, 100, 75, 50],
  impulse_noise: [0.01, 0.02, 0.03, 0.05, 0.07],
  speckle_noise: [0.06, 0.1, 0.12, 0.16, 0.2],
  defocus_blur: [[0.3, 0.4], [0.4, 0.5], [0.5, 0.6], [1, 0.2], [1.5, 0.1]],
  glass_blur: [[0.05, 1, 1], [0.25, 1, 1], [0.4, 1, 1], [0.25, 1, 2], [0.4, 1, 2]],
  motion_blur: [[6, 1], [6, 1.5], [6, 2], [8, 2], [9, 2.5]],
  zoom_blur: ZOOM_STOPS,
  gaussian_blur: [0.4, 0.6, 0.7, 0.8, 1],
  snow: [
    [0.1, 0.2, 1, 0.6, 8, 3, 0.95],
    [0.1, 0.2, 1, 0.5, 10, 4, 0.9],
    [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9],
    [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85],
    [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
  ],
  frost: [[1, 0.2], [1, 0.3], [0.9, 0.4], [0.85, 0.4], [0.75, 0.45]],
  fog: [[0.2, 3], [0.5, 3], [0.75, 2.5], [1, 2], [1.5, 1.75]],
  brightness: [0.05, 0.1, 0.15, 0.2, 0.3],
  saturate: [[0.3, 0], [0.1, 0], [1.5, 0], [2, 0.1], [2.5, 0.2]],
  contrast: [0.75, 0.5, 0.4, 0.3, 0.15],
  elastic_transform: [[0, 0, 0.08], [0.05, 0.2, 0.07], [0.08, 0.06, 0.06], [0.1, 0.04, 0.05], [
    0.1,
    0.03,
    0.03,
  ]],
  pixelate: [0.95, 0.9, 0.85, 0.75, 0.65],
  jpeg_compression: [80, 65, 58, 50, 40],
  spatter: [
    [0.62, 0.1, 0.7, 0.7, 0.5, 0],
    [0.65, 0.1, 0.8, 0.7, 0.5, 0],
    [0.65, 0.3, 1, 0.69, 0.5, 0],
    [0.65, 0.1, 0.7, 0.69, 0.6, 1],
    [0.65, 0.1, 0.5, 0.68, 0.6, 1],
  ],
  frostScale: 0.2,
  finalJpegQuality: null,
};

/** Tiny-ImageNet-C (HR `make_tinyimagenet_c.py`), with the final JPEG q85 save. */
export const TINY_IMAGENET_C: SeverityTable = {
  gaussian_noise: [0.04, 0.08, 0.12, 0.15, 0.18],
  shot_noise: [250, 100, 50, 30, 15],
  impulse_noise: [0.01, 0.02, 0.05, 0.08, 0.14],
  speckle_noise: [0.15, 0.2, 0.25, 0.3, 0.35],
  defocus_blur: [[0.5, 0.6], [1, 0.1], [1.5, 0.1], [2.5, 0.01], [3, 0.1]],
  glass_blur: [[0.1, 1, 1], [0.5, 1, 1], [0.6, 1, 2], [0.7, 2, 1], [0.9, 2, 2]],
  motion_blur: [[10, 1], [10, 1.5], [10, 2], [10, 2.5], [12, 3]],
  zoom_blur: ZOOM_STOPS,
  gaussian_blur: [0.5, 0.75, 1, 1.25, 1.5],
  snow: [
    [0.1, 0.2, 1, 0.6, 8, 3, 0.8],
    [0.1, 0.2, 1, 0.5, 10, 4, 0.8],
    [0.15, 0.3, 1.75, 0.55, 10, 4, 0.7],
    [0.25, 0.3, 2.25, 0.6, 12, 6, 0.65],
    [0.3, 0.3, 1.25, 0.65, 14, 12, 0.6],
  ],
  frost: [[1, 0.3], [0.9, 0.4], [0.8, 0.45], [0.75, 0.5], [0.7, 0.55]],
  fog: [[0.4, 3], [0.7, 3], [1, 2.5], [1.5, 2], [2, 1.75]],
  brightness: [0.1, 0.2, 0.3, 0.4, 0.5],
  saturate: [[0.3, 0], [0.1, 0], [2, 0], [5, 0.1], [30, 0.2]],
  contrast: [0.4, 0.3, 0.2, 0.1, 0.05],
  elastic_transform: [[0, 0, 0.08], [0.05, 0.3, 0.06], [0.1, 0.08, 0.06], [0.1, 0.03, 0.03], [
    0.16,
    0.03,
    0.02,
  ]],
  pixelate: [0.9, 0.8, 0.7, 0.6, 0.5],
  jpeg_compression: [65, 58, 50, 40, 25],
  spatter: [
    [0.62, 0.1, 0.7, 0.7, 0.6, 0],
    [0.65, 0.1, 0.8, 0.7, 0.6, 0],
    [0.65, 0.3, 1, 0.69, 0.6, 0],
    [0.65, 0.1, 0.7, 0.68, 0.6, 1],
    [0.65, 0.1, 0.5, 0.67, 0.6, 1],
  ],
  frostScale: 0.3,
  finalJpegQuality: 85,
};

/** Names of the tables. */
export type TableName = "cifar10-c" | "tiny-imagenet-c" | "gray28";

/** The table for an image side: 32 → cifar10-c, 64 → tiny-imagenet-c, 28 → gray28 (CIFAR values). */
export function tableForSide(side: number): { name: TableName; table: SeverityTable } {
  switch (side) {
    case 32:
      return { name: "cifar10-c", table: CIFAR10_C };
    case 64:
      return { name: "tiny-imagenet-c", table: TINY_IMAGENET_C };
    case 28:
      return { name: "gray28", table: CIFAR10_C };
    default:
      throw new Error(
        `no corruption severity table for ${side}x${side} images: tables exist for 28 (gray28), 32 (CIFAR-10-C) ` +
          `and 64 (Tiny-ImageNet-C) px`,
      );
  }
}

/** snow's tuple as named params. */
export function snowParams(t: SeverityTable["snow"][number]): SnowParams {
  const [mean, std, zoom, threshold, mbRadius, mbSigma, blend] = t;
  return { mean, std, zoom, threshold, mbRadius, mbSigma, blend };
}

/** spatter's tuple as named params. */
export function spatterParams(t: SeverityTable["spatter"][number]): SpatterParams {
  const [mean, std, blur, threshold, k, mode] = t;
  return { mean, std, blur, threshold, k, mode };
}

/** elastic_transform's fractions as pixels for side `s`. */
export function elasticParams(t: SeverityTable["elastic_transform"][number], s: number): ElasticParams {
  return { alpha: t[0] * s, sigma: t[1] * s, affine: t[2] * s };
}
