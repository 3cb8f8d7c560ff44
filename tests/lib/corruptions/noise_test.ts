import assert from "node:assert/strict";
import { Rng } from "../../../lib/random.ts";
import { poisson } from "../../../lib/corruptions/poisson.ts";
import { gaussianNoise, impulseNoise, shotNoise, speckleNoise } from "../../../lib/corruptions/noise.ts";
import { assertClose, constImg, meanStd } from "./helpers.ts";

Deno.test("poisson: mean and variance equal λ in both regimes", () => {
  const rng = new Rng(5);
  for (const lambda of [0.7, 3, 9.5, 10, 50, 500]) {
    const n = 40000;
    const xs = Array.from({ length: n }, () => poisson(rng, lambda));
    const { mean, std } = meanStd(xs);
    assert(xs.every((x) => Number.isInteger(x) && x >= 0));
    // 5 standard errors of the mean and of the variance.
    assertClose(mean, lambda, 5 * Math.sqrt(lambda / n));
    assertClose(std ** 2, lambda, 5 * lambda * Math.sqrt(2 / n) + 0.05);
  }
  // P(X = 0) for λ = 0.7 is e^-0.7.
  const zeros = Array.from({ length: 40000 }, () => poisson(rng, 0.7)).filter((x) => x === 0).length / 40000;
  assertClose(zeros, Math.exp(-0.7), 0.01);
});

Deno.test("gaussian noise: added noise has mean 0 and std σ (values away from the clip)", () => {
  const img = constImg(64, 64, 3, 0.5);
  for (const sigma of [0.04, 0.1]) {
    const out = gaussianNoise(img, sigma, new Rng(1));
    const { mean, std } = meanStd(Array.from(out.data, (v) => v - 0.5));
    assertClose(mean, 0, 0.003);
    assertClose(std, sigma, sigma * 0.03);
  }
});

Deno.test("shot noise: mean preserved, variance x/c", () => {
  const img = constImg(64, 64, 3, 0.4);
  const c = 100;
  const { mean, std } = meanStd(shotNoise(img, c, new Rng(2)).data);
  assertClose(mean, 0.4, 0.002);
  assertClose(std ** 2, 0.4 / c, 0.4 / c * 0.06);
  // Every value is k/c.
  assert(shotNoise(img, c, new Rng(3)).data.every((v) => Math.abs(v * c - Math.round(v * c)) < 1e-4));
});

Deno.test("impulse noise: each element replaced with probability p, salt and pepper equally", () => {
  const img = constImg(64, 64, 3, 0.5);
  const out = impulseNoise(img, 0.07, new Rng(4)).data;
  const salt = out.filter((v) => v === 1).length / out.length;
  const pepper = out.filter((v) => v === 0).length / out.length;
  assertClose(salt + pepper, 0.07, 0.01);
  assertClose(salt, pepper, 0.01);
  assert.deepStrictEqual(out.filter((v) => v !== 0 && v !== 1 && v !== 0.5).length, 0);
  // Per channel: some pixels have a speckle in one channel only.
  let coloured = 0;
  for (let p = 0; p < out.length; p += 3) {
    const changed = [0, 1, 2].filter((k) => out[p + k] !== 0.5).length;
    if (changed === 1) coloured++;
  }
  assert(coloured > 0);
});

Deno.test("speckle noise: multiplicative, std x·σ, black stays black", () => {
  const out = speckleNoise(constImg(64, 64, 3, 0.4), 0.2, new Rng(6)).data;
  const { mean, std } = meanStd(out);
  assertClose(mean, 0.4, 0.004);
  assertClose(std, 0.08, 0.004);
  assert(speckleNoise(constImg(8, 8, 3, 0), 0.2, new Rng(6)).data.every((v) => v === 0));
});

Deno.test("noise: same seed same output, other seed other output", () => {
  const img = constImg(16, 16, 3, 0.5);
  assert.deepStrictEqual(gaussianNoise(img, 0.1, new Rng(9)).data, gaussianNoise(img, 0.1, new Rng(9)).data);
  assert(
    gaussianNoise(img, 0.1, new Rng(9)).data.some((v, i) =>
      v !== gaussianNoise(img, 0.1, new Rng(10)).data[i]
    ),
  );
});
