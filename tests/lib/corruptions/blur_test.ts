import assert from "node:assert/strict";
import { Rng } from "../../../lib/random.ts";
import { borderIndex } from "../../../lib/corruptions/border.ts";
import { cvGaussianKernel, gaussianFilter, gaussianKernel1d } from "../../../lib/corruptions/filters.ts";
import { arange, diskKernel, glassBlur, zoomBlur } from "../../../lib/corruptions/blur.ts";
import { motionKernel } from "../../../lib/corruptions/motion.ts";
import { clippedZoom, scipyZoom } from "../../../lib/corruptions/resample.ts";
import { assertClose, constImg, randomImg, rms } from "./helpers.ts";

Deno.test("border modes map indices as nearest / half-sample / whole-sample reflection", () => {
  const n = 4;
  assert.deepStrictEqual([-2, -1, 4, 5].map((i) => borderIndex(i, n, "nearest")), [0, 0, 3, 3]);
  assert.deepStrictEqual([-2, -1, 4, 5, 9].map((i) => borderIndex(i, n, "reflect")), [1, 0, 3, 2, 1]);
  assert.deepStrictEqual([-2, -1, 4, 5, 9].map((i) => borderIndex(i, n, "reflect101")), [2, 1, 2, 1, 3]);
});

Deno.test("gaussian taps: radius int(4σ+0.5), symmetric, sum 1, σ = 0 identity", () => {
  for (const sigma of [0.4, 1, 2.5]) {
    const k = gaussianKernel1d(sigma);
    assert.equal(k.length, 2 * Math.floor(4 * sigma + 0.5) + 1);
    assertClose(k.reduce((a, b) => a + b, 0), 1, 1e-12);
    for (let i = 0; i < k.length; i++) assertClose(k[i], k[k.length - 1 - i], 1e-15);
    // Ratio of neighbouring taps is exp(-(2i+1)/2σ²).
    const r = (k.length - 1) / 2;
    assertClose(k[r + 1] / k[r], Math.exp(-1 / (2 * sigma * sigma)), 1e-12);
  }
  assert.deepStrictEqual(Array.from(gaussianKernel1d(0)), [1]);
  const img = randomImg(8, 8, 3);
  assert.deepStrictEqual(gaussianFilter(img, 0).data, img.data);
  // A constant image stays constant under every border mode.
  const flat = gaussianFilter(constImg(9, 9, 1, 0.3), 1.5, "reflect", 3).data;
  assert.ok(flat.every((v) => Math.abs(v - 0.3) < 1e-6));
});

Deno.test("defocus disk: CIFAR severity 1–3 are 3×3 Gaussians with the documented centre weights", () => {
  const expected = [0.845, 0.619, 0.445];
  const params = [[0.3, 0.4], [0.4, 0.5], [0.5, 0.6]];
  params.forEach(([r, s], i) => {
    const k = diskKernel(r, s);
    assertClose(k.data.reduce((a, b) => a + b, 0), 1, 1e-6);
    assertClose(k.data[8 * 17 + 8], expected[i], 0.001, `centre of severity ${i + 1}`);
    // Independent check: outer product of OpenCV's 3-tap kernel.
    const g = cvGaussianKernel(3, s);
    assertClose(k.data[7 * 17 + 8], g[0] * g[1], 1e-7);
  });
  // Severity 5 (r 1.5, σ 0.1) is close to a 3×3 box; severity 4 (r 1, σ 0.2) close to a plus of 5 taps.
  const box = diskKernel(1.5, 0.1);
  for (const dy of [-1, 0, 1]) {
    for (const dx of [-1, 0, 1]) assertClose(box.data[(8 + dy) * 17 + 8 + dx], 1 / 9, 0.01);
  }
  const plus = diskKernel(1, 0.2);
  assertClose(plus.data[8 * 17 + 9], 0.2, 0.01);
  assertClose(plus.data[9 * 17 + 9], 0, 0.01);
  // Symmetric under transposition.
  for (let i = 0; i < 17; i++) {
    for (let j = 0; j < 17; j++) assertClose(box.data[i * 17 + j], box.data[j * 17 + i], 1e-12);
  }
});

Deno.test("motion kernel: sums to 1, half-Gaussian, offsets along the angle", () => {
  const k = motionKernel(6, 2, 0);
  assert.equal(k.length, 13);
  assertClose(k.reduce((a, t) => a + t.k, 0), 1, 1e-12);
  assert.deepStrictEqual(k.map((t) => t.dx), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.ok(k.every((t) => t.dy === 0));
  assertClose(k[1].k / k[0].k, Math.exp(-1 / 8), 1e-12);
  const down = motionKernel(2, 1, 90);
  assert.deepStrictEqual(down.map((t) => [t.dx, t.dy]), [[0, 0], [0, 1], [0, 2], [0, 3], [0, 4]]);
});

Deno.test("zoom: arange keeps the float end point (7 and 12 factors), z = 1 and 1.01 are identities at 32 px", () => {
  assert.equal(arange(1, 1.06, 0.01).length, 7);
  assert.equal(arange(1, 1.11, 0.01).length, 12);
  assert.deepStrictEqual([1.16, 1.21, 1.26].map((s) => arange(1, s, 0.01).length), [16, 21, 26]);
  const img = randomImg(32, 32, 3);
  assert.deepStrictEqual(clippedZoom(img, 1).data, img.data);
  assert.deepStrictEqual(clippedZoom(img, 1.01).data, img.data);
  // Align-corners bilinear: a 2-px ramp zoomed ×2 samples at 0, 1/3, 2/3, 1.
  const z = scipyZoom({ h: 1, w: 2, c: 1, data: Float32Array.of(0, 3) }, 2);
  assert.equal(z.w, 4);
  assert.deepStrictEqual(Array.from(z.data.subarray(0, 4)), [0, 1, 2, 3]);
  // snow's 1.25 zoom of a 26-px crop gives 32 px (Python's round half to even).
  assert.equal(scipyZoom(randomImg(26, 26, 1), 1.25).h, 32);
});

Deno.test("blurs: distance from the clean image grows with severity", () => {
  const img = randomImg(32, 32, 3, 7);
  const zooms = [1.06, 1.11, 1.16, 1.21, 1.26].map((s) =>
    rms(zoomBlur(img, arange(1, s, 0.01)).data, img.data)
  );
  for (let i = 1; i < 5; i++) assert.ok(zooms[i] > zooms[i - 1], `zoom ${zooms}`);
  const gauss = [0.4, 0.6, 0.7, 0.8, 1].map((s) => rms(gaussianFilter(img, s).data, img.data));
  for (let i = 1; i < 5; i++) assert.ok(gauss[i] > gauss[i - 1]);
});

Deno.test("glass blur: keeps the pixel multiset before blurring on gray (true swap), deterministic", () => {
  // σ = 0 makes both blurs identities, so only the swaps act.
  const img = randomImg(16, 16, 1, 3);
  const q = Float32Array.from(img.data, (v) => Math.floor(v * 255) / 255);
  const out = glassBlur({ ...img, data: q }, 0, 1, 2, new Rng(1));
  assert.deepStrictEqual(Array.from(out.data).sort(), Array.from(q).sort());
  assert.notDeepStrictEqual(out.data, q);
  assert.deepStrictEqual(out.data, glassBlur({ ...img, data: q }, 0, 1, 2, new Rng(1)).data);
  // Colour: one-way copies, so the border rows/cols outside the loop (row 0, col 0) never change.
  const rgb = randomImg(16, 16, 3, 4);
  const rq = Float32Array.from(rgb.data, (v) => Math.floor(v * 255) / 255);
  const o = glassBlur({ ...rgb, data: rq }, 0, 1, 1, new Rng(2));
  for (let x = 0; x < 16 * 3; x++) assert.equal(o.data[x], rq[x]);
});
