/**
 * The 19 corruptions by name, in the canonical order (docs/method.md §4.1), and the functions that apply one at a
 * severity: {@link corrupt} on float images, {@link corruptStored} producing what a released benchmark file
 * would hold (8-bit truncation, plus the JPEG q85 save for Tiny-ImageNet-C).
 *
 * All corruptions run on the CPU in TypeScript, one image at a time: they are small (≤ 64×64), the work is
 * dominated by per-pixel loops and random draws that the tfjs backends do not offer (Poisson, seeded
 * per-image streams), and evaluating a model on the corrupted batch costs far more than corrupting it.
 *
 * @module
 */
import { deriveSeed, Rng } from "../random.ts";
import { arange, defocusBlur, gaussianBlur, glassBlur, motionBlur, zoomBlur } from "./blur.ts";
import { brightness, saturate } from "./color.ts";
import { contrast, elasticTransform, jpegCompression, pixelate } from "./digital.ts";
import { fromUint8, type Img, toUint8 } from "./image.ts";
import { jpegRoundTrip } from "./jpeg.ts";
import { gaussianNoise, impulseNoise, shotNoise, speckleNoise } from "./noise.ts";
import { elasticParams, type SeverityTable, snowParams, spatterParams, tableForSide } from "./params.ts";
import { spatter } from "./spatter.ts";
import { fog, frost, snow } from "./weather.ts";

/** The 15 benchmark corruptions, canonical order. */
export const BENCHMARK_CORRUPTIONS = [
  "gaussian_noise",
  "shot_noise",
  "impulse_noise",
  "defocus_blur",
  "glass_blur",
  "motion_blur",
  "zoom_blur",
  "snow",
  "frost",
  "fog",
  "brightness",
  "contrast",
  "elastic_transform",
  "pixelate",
  "jpeg_compression",
] as const;

/** The 4 extra ("validation") corruptions, reported separately. */
export const EXTRA_CORRUPTIONS = ["speckle_noise", "gaussian_blur", "spatter", "saturate"] as const;

/** All 19, benchmark first. */
export const CORRUPTIONS = [...BENCHMARK_CORRUPTIONS, ...EXTRA_CORRUPTIONS] as const;

/** One corruption's name. */
export type CorruptionName = typeof CORRUPTIONS[number];

/** Benchmark groups (docs/method.md §4.1); the extras form their own group. */
export type CorruptionGroup = "noise" | "blur" | "weather" | "digital" | "extra";

/** The group of each corruption. */
export const CORRUPTION_GROUP: Record<CorruptionName, CorruptionGroup> = {
  gaussian_noise: "noise",
  shot_noise: "noise",
  impulse_noise: "noise",
  defocus_blur: "blur",
  glass_blur: "blur",
  motion_blur: "blur",
  zoom_blur: "blur",
  snow: "weather",
  frost: "weather",
  fog: "weather",
  brightness: "weather",
  contrast: "digital",
  elastic_transform: "digital",
  pixelate: "digital",
  jpeg_compression: "digital",
  speckle_noise: "extra",
  gaussian_blur: "extra",
  spatter: "extra",
  saturate: "extra",
};

/** Severities run 1..5. */
export const SEVERITIES = [1, 2, 3, 4, 5] as const;

/** Whether `name` is one of {@link CORRUPTIONS}. */
export function isCorruptionName(name: string): name is CorruptionName {
  return (CORRUPTIONS as readonly string[]).includes(name);
}

function fogMapSize(side: number): number {
  let m = 2;
  while (m < side) m *= 2;
  return m;
}

/**
 * Applies corruption `name` at `severity` (1..5) with the parameters of `table`, drawing randomness from
 * `rng`. Square images with 1 or 3 channels. Returns a new float image in [0, 1] (not quantised).
 *
 * @example
 * const out = corrupt(img, "fog", 3, new Rng(7), CIFAR10_C);
 */
export function corrupt(
  img: Img,
  name: CorruptionName,
  severity: number,
  rng: Rng,
  table: SeverityTable,
): Img {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new Error(`corruption severity must be an integer 1..5, got ${severity}`);
  }
  if (img.h !== img.w || (img.c !== 1 && img.c !== 3)) {
    throw new Error(`corruptions need square images with 1 or 3 channels, got ${img.h}x${img.w}x${img.c}`);
  }
  const s = severity - 1;
  switch (name) {
    case "gaussian_noise":
      return gaussianNoise(img, table.gaussian_noise[s], rng);
    case "shot_noise":
      return shotNoise(img, table.shot_noise[s], rng);
    case "impulse_noise":
      return impulseNoise(img, table.impulse_noise[s], rng);
    case "speckle_noise":
      return speckleNoise(img, table.speckle_noise[s], rng);
    case "defocus_blur":
      return defocusBlur(img, ...table.defocus_blur[s]);
    case "glass_blur":
      return glassBlur(img, ...table.glass_blur[s], rng);
    case "motion_blur":
      return motionBlur(img, ...table.motion_blur[s], rng);
    case "zoom_blur":
      return zoomBlur(img, arange(1, table.zoom_blur[s], 0.01));
    case "gaussian_blur":
      return gaussianBlur(img, table.gaussian_blur[s]);
    case "snow":
      return snow(img, snowParams(table.snow[s]), rng);
    case "frost":
      return frost(img, ...table.frost[s], table.frostScale, rng);
    case "fog":
      return fog(img, ...table.fog[s], fogMapSize(img.h), rng);
    case "brightness":
      return brightness(img, table.brightness[s]);
    case "saturate":
      return saturate(img, ...table.saturate[s]);
    case "contrast":
      return contrast(img, table.contrast[s]);
    case "elastic_transform":
      return elasticTransform(img, elasticParams(table.elastic_transform[s], img.h), rng);
    case "pixelate":
      return pixelate(img, table.pixelate[s]);
    case "jpeg_compression":
      return jpegCompression(img, table.jpeg_compression[s]);
    case "spatter":
      return spatter(img, spatterParams(table.spatter[s]), rng);
  }
}

/**
 * The random stream of one (corruption, severity, image): independent of which other images, corruptions or
 * severities are evaluated, so subsets and reorderings see the same corrupted image.
 */
export function corruptionRng(seed: number, name: CorruptionName, severity: number, imageIndex: number): Rng {
  return new Rng(deriveSeed(seed, "corrupt", name, severity, imageIndex));
}

/**
 * One uint8 HWC image corrupted as a released benchmark file holds it: the table is picked from the side
 * ({@link tableForSide}), the float result truncated to 8 bit, and for Tiny-ImageNet-C saved as JPEG q85.
 *
 * @example
 * const out = corruptStored(bytes, [32, 32, 3], "snow", 2, corruptionRng(0, "snow", 2, i));
 */
export function corruptStored(
  bytes: Uint8Array,
  shape: readonly [number, number, number],
  name: CorruptionName,
  severity: number,
  rng: Rng,
): Uint8Array {
  const [h, w, c] = shape;
  const { table } = tableForSide(h);
  const out = toUint8(corrupt(fromUint8(bytes, h, w, c), name, severity, rng, table));
  if (table.finalJpegQuality === null) return out;
  return toUint8(jpegRoundTrip(fromUint8(out, h, w, c), table.finalJpegQuality));
}
