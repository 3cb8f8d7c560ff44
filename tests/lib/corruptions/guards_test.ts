/**
 * Small pieces of the corruption library pinned where the suite left them free (each found by a surviving
 * mutant): the IJG base tables, the in-place clip, the plasma size guard and the spatter colours.
 */
import assert from "node:assert/strict";
import { Rng } from "../../../lib/random.ts";
import { quantTable } from "../../../lib/corruptions/jpeg.ts";
import { clip01 } from "../../../lib/corruptions/image.ts";
import { plasmaFractal } from "../../../lib/corruptions/plasma.ts";
import { spatter } from "../../../lib/corruptions/spatter.ts";
import { glassBlur } from "../../../lib/corruptions/blur.ts";
import { CIFAR10_C, spatterParams } from "../../../lib/corruptions/params.ts";
import { constImg } from "./helpers.ts";

// ITU-T T.81 Annex K, Tables K.1 (luminance) and K.2 (chrominance), row-major; quality 50 uses them unscaled.
const K1 = [
  [16, 11, 10, 16, 24, 40, 51, 61],
  [12, 12, 14, 19, 26, 58, 60, 55],
  [14, 13, 16, 24, 40, 57, 69, 56],
  [14, 17, 22, 29, 51, 87, 80, 62],
  [18, 22, 37, 56, 68, 109, 103, 77],
  [24, 35, 55, 64, 81, 104, 113, 92],
  [49, 64, 78, 87, 103, 121, 120, 101],
  [72, 92, 95, 98, 112, 100, 103, 99],
].flat();
const K2 = [
  [17, 18, 24, 47, 99, 99, 99, 99],
  [18, 21, 26, 66, 99, 99, 99, 99],
  [24, 26, 56, 99, 99, 99, 99, 99],
  [47, 66, 99, 99, 99, 99, 99, 99],
  ...Array.from({ length: 4 }, () => new Array(8).fill(99)),
].flat();

Deno.test("JPEG: the quality-50 tables are Annex K's K.1 and K.2 entry for entry", () => {
  assert.deepEqual(Array.from(quantTable(50, false)), K1);
  assert.deepEqual(Array.from(quantTable(50, true)), K2);
});

Deno.test("clip01 clips every value in place, the first included", () => {
  const data = Float32Array.of(-0.5, 1.5, 0.25, -2, 3);
  assert.equal(clip01(data), data);
  assert.deepEqual(Array.from(data), [0, 1, 0.25, 0, 1]);
});

Deno.test("plasma: the map side must be a power of two ≥ 2", () => {
  for (const size of [48, 2.5, 1, 0, 6]) {
    assert.throws(() => plasmaFractal(size, 3, new Rng(1)), /power of two ≥ 2/, `${size}`);
  }
  assert.equal(plasmaFractal(2, 3, new Rng(1)).length, 4);
});

Deno.test("spatter on black: water pixels are m·(175, 238, 238)/255, mud pixels m·(63, 42, 20)/255", () => {
  for (const [severity, colour] of [[0, [175, 238, 238]], [4, [63, 42, 20]]] as const) {
    const out = spatter(constImg(32, 32, 3, 0), spatterParams(CIFAR10_C.spatter[severity]), new Rng(5));
    let marked = 0;
    for (let p = 0; p < 32 * 32; p++) {
      const px = out.data.subarray(3 * p, 3 * p + 3);
      if (px[0] === 0 && px[1] === 0 && px[2] === 0) continue;
      marked++;
      const m = px[1] / (colour[1] / 255);
      px.forEach((v, ch) =>
        assert.ok(Math.abs(v - m * colour[ch] / 255) < 1e-6, `severity ${severity + 1} pixel ${p}`)
      );
    }
    assert.ok(marked > 10, `severity ${severity + 1}: ${marked} pixels marked`);
  }
});

Deno.test("glass blur (σ 0, colour): each sweep copies pixel (h, w) from (h + dy, w + dx), dx then dy in −δ..δ−1", () => {
  const H = 7, W = 6, c = 3, delta = 1;
  const bytes = Uint8Array.from({ length: H * W * c }, (_, i) => (i * 37) % 256);
  const img = { data: Float32Array.from(bytes, (v) => v / 255), h: H, w: W, c };
  const out = glassBlur(img, 0, delta, 1, new Rng(9));
  // The sweep replayed with the same draws (make_cifar_c.py: randint(−δ, δ), high exclusive).
  const x = Array.from(bytes);
  const rng = new Rng(9);
  for (let h = H - delta; h > delta; h--) {
    for (let w = W - delta; w > delta; w--) {
      const dx = rng.int(2 * delta) - delta, dy = rng.int(2 * delta) - delta;
      for (let ch = 0; ch < c; ch++) x[(h * W + w) * c + ch] = x[((h + dy) * W + (w + dx)) * c + ch];
    }
  }
  assert.deepEqual(Array.from(out.data, (v) => Math.round(v * 255)), x);
});
