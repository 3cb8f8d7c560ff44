import assert from "node:assert/strict";
import { Rng } from "../../../lib/random.ts";
import {
  BENCHMARK_CORRUPTIONS,
  corrupt,
  corruptionRng,
  CORRUPTIONS,
  corruptStored,
  EXTRA_CORRUPTIONS,
} from "../../../lib/corruptions/registry.ts";
import { CIFAR10_C, tableForSide } from "../../../lib/corruptions/params.ts";
import { fromUint8 } from "../../../lib/corruptions/image.ts";
import { randomImg, rms } from "./helpers.ts";

/** A smooth colourful test image (random images make blurs look like noise). */
function smooth(side: number, c: number): Uint8Array {
  return Uint8Array.from({ length: side * side * c }, (_, i) => {
    const p = Math.floor(i / c), ch = i % c, y = Math.floor(p / side), x = p % side;
    return Math.floor(127 + 100 * Math.sin((x + 2 * ch) / 4) * Math.cos(y / 5));
  });
}

Deno.test("canonical order: 15 benchmark corruptions then 4 extras", () => {
  assert.equal(BENCHMARK_CORRUPTIONS.length, 15);
  assert.deepStrictEqual([...EXTRA_CORRUPTIONS], ["speckle_noise", "gaussian_blur", "spatter", "saturate"]);
  assert.equal(new Set(CORRUPTIONS).size, 19);
  assert.throws(() => tableForSide(48), /28.*32.*64/);
});

Deno.test("every corruption × severity × size: uint8 of the right length, deterministic per seed", () => {
  for (const [side, c] of [[32, 3], [28, 1], [64, 3]] as const) {
    const img = smooth(side, c);
    for (const name of CORRUPTIONS) {
      for (const severity of [1, 3, 5]) {
        const a = corruptStored(img, [side, side, c], name, severity, corruptionRng(3, name, severity, 0));
        assert.ok(a instanceof Uint8Array && a.length === img.length, `${name} ${side}`);
        const b = corruptStored(img, [side, side, c], name, severity, corruptionRng(3, name, severity, 0));
        assert.deepStrictEqual(a, b, `${name} s${severity} at ${side}px is not deterministic`);
      }
    }
  }
});

Deno.test("float outputs stay in [0, 1] and keep shape, also from extreme inputs", () => {
  for (const v of [0, 1]) {
    const img = { h: 32, w: 32, c: 3, data: new Float32Array(32 * 32 * 3).fill(v) };
    for (const name of CORRUPTIONS) {
      const out = corrupt(img, name, 5, new Rng(1), CIFAR10_C);
      assert.deepStrictEqual([out.h, out.w, out.c, out.data.length], [32, 32, 3, 3072], name);
      assert.ok(out.data.every((x) => x >= 0 && x <= 1), `${name} leaves [0, 1] on a ${v} image`);
    }
  }
  assert.throws(() => corrupt(randomImg(32, 32, 3), "fog", 6, new Rng(1), CIFAR10_C), /severity/);
});

Deno.test("random corruptions differ between seeds and between images; deterministic ones do not use the seed", () => {
  const img = smooth(32, 3);
  for (
    const name of [
      "gaussian_noise",
      "glass_blur",
      "motion_blur",
      "snow",
      "frost",
      "fog",
      "elastic_transform",
    ] as const
  ) {
    const a = corruptStored(img, [32, 32, 3], name, 3, corruptionRng(0, name, 3, 0));
    const b = corruptStored(img, [32, 32, 3], name, 3, corruptionRng(0, name, 3, 1));
    assert.notDeepStrictEqual(a, b, name);
  }
  for (
    const name of [
      "defocus_blur",
      "zoom_blur",
      "contrast",
      "pixelate",
      "jpeg_compression",
      "saturate",
    ] as const
  ) {
    const a = corruptStored(img, [32, 32, 3], name, 3, corruptionRng(0, name, 3, 0));
    assert.deepStrictEqual(a, corruptStored(img, [32, 32, 3], name, 3, corruptionRng(9, name, 3, 5)), name);
  }
});

Deno.test("severity monotonicity: mean distance from clean grows for noise, blur, contrast, brightness, pixelate", () => {
  const side = 32, c = 3;
  const images = [0, 1, 2, 3].map((k) => smooth(side, c).map((v, i) => (v + k * 37 + (i % 7)) % 256));
  const names = [
    "gaussian_noise",
    "shot_noise",
    "impulse_noise",
    "speckle_noise",
    "defocus_blur",
    "zoom_blur",
    "gaussian_blur",
    "contrast",
    "brightness",
    "pixelate",
    "fog",
  ] as const;
  for (const name of names) {
    const dist = [1, 2, 3, 4, 5].map((s) =>
      images.reduce((acc, img, k) => {
        const out = corruptStored(img, [side, side, c], name, s, corruptionRng(1, name, s, k));
        return acc + rms(fromUint8(out, side, side, c).data, fromUint8(img, side, side, c).data);
      }, 0)
    );
    for (let s = 1; s < 5; s++) assert.ok(dist[s] > dist[s - 1], `${name}: ${dist.map((d) => d.toFixed(4))}`);
  }
});

Deno.test("Tiny-ImageNet-C table ends with a JPEG q85 save; CIFAR does not", () => {
  assert.equal(tableForSide(64).table.finalJpegQuality, 85);
  assert.equal(tableForSide(32).table.finalJpegQuality, null);
  assert.equal(tableForSide(28).name, "gray28");
  // Brightness at severity 1 on a mid-gray CIFAR image is exact: floor((0.5+0.05)·255) after 8-bit input.
  const gray = new Uint8Array(32 * 32 * 3).fill(128);
  const out = corruptStored(gray, [32, 32, 3], "brightness", 1, new Rng(0));
  assert.equal(out[0], Math.floor((128 / 255 + 0.05) * 255 + 1e-3));
});
