import assert from "node:assert/strict";
import { Rng } from "../../../lib/random.ts";
import { brightness, saturate } from "../../../lib/corruptions/color.ts";
import { contrast, elasticTransform, pixelate } from "../../../lib/corruptions/digital.ts";
import { jpegRoundTrip, quantTable } from "../../../lib/corruptions/jpeg.ts";
import { affineFromPoints, warpAffine } from "../../../lib/corruptions/affine.ts";
import { boxResize } from "../../../lib/corruptions/resample.ts";
import { plasmaFractal } from "../../../lib/corruptions/plasma.ts";
import { fromUint8, roundHalfEven, toUint8 } from "../../../lib/corruptions/image.ts";
import { assertClose, constImg, randomImg, rms } from "./helpers.ts";

const px = (...v: number[]) => ({ h: 1, w: 1, c: 3, data: Float32Array.from(v) });

Deno.test("brightness: V + c keeping hue and saturation; black becomes (c, c, c); gray is clip(x + c)", () => {
  const out = brightness(px(0.2, 0.4, 0.1), 0.1).data;
  [0.25, 0.5, 0.125].forEach((v, i) => assertClose(out[i], v, 1e-6));
  assert.deepStrictEqual(Array.from(brightness(px(0, 0, 0), 0.3).data).map((v) => +v.toFixed(6)), [
    0.3,
    0.3,
    0.3,
  ]);
  assert.deepStrictEqual(Array.from(brightness(px(0.9, 0.45, 0), 0.3).data).map((v) => +v.toFixed(6)), [
    1,
    0.5,
    0,
  ]);
  const g = brightness({ h: 1, w: 2, c: 1, data: Float32Array.of(0.5, 0.9) }, 0.2).data;
  assertClose(g[0], 0.7, 1e-6);
  assertClose(g[1], 1, 1e-6);
  const img = randomImg(4, 4, 3);
  assert.ok(rms(brightness(img, 0).data, img.data) < 1e-6);
});

Deno.test("saturate: identity at (1, 0), gray pixels get a red tint with add > 0, S is scaled", () => {
  const img = randomImg(4, 4, 3);
  assert.ok(rms(saturate(img, 1, 0).data, img.data) < 1e-6);
  const tinted = saturate(px(0.6, 0.6, 0.6), 2, 0.2).data;
  [0.6, 0.48, 0.48].forEach((v, i) => assertClose(tinted[i], v, 1e-6));
  // (0.8, 0.4, 0.6): V 0.8, S 0.5 → S' 0.25 → (0.8, 0.6, 0.7).
  const half = saturate(px(0.8, 0.4, 0.6), 0.5, 0).data;
  [0.8, 0.6, 0.7].forEach((v, i) => assertClose(half[i], v, 1e-6));
});

Deno.test("contrast: c = 1 identity, c = 0 gives the per-channel mean", () => {
  const img = randomImg(6, 6, 3);
  assert.ok(rms(contrast(img, 1).data, img.data) < 1e-6);
  const flat = contrast(img, 0).data;
  for (let ch = 0; ch < 3; ch++) {
    let mean = 0;
    for (let p = 0; p < 36; p++) mean += img.data[p * 3 + ch] / 36;
    for (let p = 0; p < 36; p++) assertClose(flat[p * 3 + ch], mean, 1e-6);
  }
});

Deno.test("pixelate / BOX resize: identity at the same size, exact on constant 2×2 blocks", () => {
  const bytes = Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 29) % 256);
  const img = fromUint8(bytes, 8, 8, 3);
  assert.deepStrictEqual(toUint8(boxResize(img, 8, 8)), bytes);
  const blocks = Uint8Array.from(
    { length: 8 * 8 },
    (_, i) => ((Math.floor(i / 16) * 4 + Math.floor((i % 8) / 2)) * 13) % 256,
  );
  const b = fromUint8(blocks, 8, 8, 1);
  assert.deepStrictEqual(toUint8(pixelate(b, 0.5)), blocks);
  // Downsampling averages: [10, 20, 30, 40] → 2 px: 15, 35.
  const ramp = boxResize(fromUint8(Uint8Array.of(10, 20, 30, 40), 1, 4, 1), 1, 2);
  assert.deepStrictEqual(Array.from(toUint8(ramp)), [15, 35]);
});

Deno.test("jpeg: IJG tables scaled by quality, constant image survives, error falls with quality", () => {
  assert.equal(quantTable(50, false)[0], 16);
  assert.equal(quantTable(50, true)[63], 99);
  assert.ok(quantTable(100, false).every((v) => v === 1));
  assert.equal(quantTable(10, false)[0], 80); // floor((16·500 + 50)/100)
  assert.equal(quantTable(1, true)[63], 255); // clamped
  const flat = fromUint8(new Uint8Array(32 * 32 * 3).fill(128), 32, 32, 3);
  assert.deepStrictEqual(toUint8(jpegRoundTrip(flat, 10)), new Uint8Array(32 * 32 * 3).fill(128));
  const img = randomImg(32, 32, 3, 11);
  const errs = [95, 80, 50, 20].map((q) => rms(jpegRoundTrip(img, q).data, img.data));
  for (let i = 1; i < errs.length; i++) assert.ok(errs[i] > errs[i - 1], `errors ${errs}`);
  const gray = randomImg(28, 28, 1, 12);
  const g = jpegRoundTrip(gray, 100);
  assert.equal(g.data.length, 28 * 28);
  assert.ok(rms(g.data, gray.data) < 0.01);
});

Deno.test("affine: recovers a known map; warp with the identity is the identity", () => {
  const m = [1.1, 0.2, -3, -0.1, 0.9, 2];
  const f = ([x, y]: number[]) =>
    [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]] as [number, number];
  const src: [number, number][] = [[26, 26], [26, 6], [6, 6]];
  affineFromPoints(src, src.map(f)).forEach((v, i) => assertClose(v, m[i], 1e-9));
  const img = randomImg(8, 8, 3);
  assert.ok(rms(warpAffine(img, [1, 0, 0, 0, 1, 0]).data, img.data) < 1e-7);
  // A whole-pixel shift right by 1 samples the left neighbour; column 0 reflects (reflect-101) to column 1.
  const shifted = warpAffine(img, [1, 0, 1, 0, 1, 0]).data;
  assertClose(shifted[(2 * 8 + 5) * 3], img.data[(2 * 8 + 4) * 3], 1e-6);
  assertClose(shifted[(2 * 8 + 0) * 3], img.data[(2 * 8 + 1) * 3], 1e-6);
});

Deno.test("elastic: no affine and α = 0 is the identity; CIFAR severity 1 (affine only) moves pixels", () => {
  const img = randomImg(32, 32, 3);
  assert.ok(rms(elasticTransform(img, { alpha: 0, sigma: 0, affine: 0 }, new Rng(1)).data, img.data) < 1e-6);
  const moved = elasticTransform(img, { alpha: 0, sigma: 0, affine: 2.56 }, new Rng(1));
  assert.ok(rms(moved.data, img.data) > 0.05);
});

Deno.test("plasma fractal: min 0, max 1, seeded, spatially smooth", () => {
  const p = plasmaFractal(32, 3, new Rng(1));
  assert.equal(Math.min(...p), 0);
  assert.equal(Math.max(...p), 1);
  assert.deepStrictEqual(p, plasmaFractal(32, 3, new Rng(1)));
  // Neighbouring values are much closer than random pairs.
  let near = 0, far = 0;
  for (let i = 0; i < 31 * 32; i++) {
    near += Math.abs(p[i] - p[i + 32]);
    far += Math.abs(p[i] - p[(i * 97 + 13) % 1024]);
  }
  assert.ok(near < far / 2);
});

Deno.test("8-bit conversion truncates; round half to even", () => {
  assert.deepStrictEqual(Array.from(toUint8(constImg(1, 1, 3, 0.9999))), [254, 254, 254]);
  assert.deepStrictEqual(Array.from(toUint8(constImg(1, 1, 1, 2))), [255]);
  assert.deepStrictEqual([0.5, 1.5, 2.5, 32.5, -0.5, 2.4].map(roundHalfEven), [0, 2, 2, 32, -0, 2]);
});
