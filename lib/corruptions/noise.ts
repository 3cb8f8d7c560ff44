/**
 * The noise family (docs/method.md §4.3.1): gaussian, shot, impulse and speckle noise. Every draw is per element:
 * per pixel and per channel, so colour images get coloured noise (docs/method.md §4.6); gray images draw once per pixel.
 *
 * @module
 */
import type { Rng } from "../random.ts";
import { clamp01, type Img } from "./image.ts";
import { poisson } from "./poisson.ts";

function map(img: Img, f: (v: number) => number): Img {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp01(f(img.data[i]));
  return { ...img, data: out };
}

/** clip(x + N(0, σ²)) per element. */
export function gaussianNoise(img: Img, sigma: number, rng: Rng): Img {
  return map(img, (v) => v + rng.normal(0, sigma));
}

/** clip(Poisson(x·c)/c) per element; a larger c gives less noise. */
export function shotNoise(img: Img, c: number, rng: Rng): Img {
  return map(img, (v) => poisson(rng, v * c) / c);
}

/**
 * Salt and pepper with amount p, as scikit-image `random_noise(mode='s&p')`: each element is replaced with
 * probability p, by 1 or 0 with equal chance.
 */
export function impulseNoise(img: Img, amount: number, rng: Rng): Img {
  return map(img, (v) => (rng.uniform() < amount ? (rng.uniform() < 0.5 ? 1 : 0) : v));
}

/** clip(x + x·N(0, σ²)) per element. */
export function speckleNoise(img: Img, sigma: number, rng: Rng): Img {
  return map(img, (v) => v + v * rng.normal(0, sigma));
}
