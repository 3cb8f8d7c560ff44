import assert from "node:assert/strict";
import {
  classNames,
  decodeJpegRgb,
  parseValAnnotations,
  parseWnids,
  parseWords,
} from "../../../lib/data/tiny_imagenet.ts";
import { solidJpeg } from "./helpers.ts";

Deno.test("wnids, words and val annotations parse", () => {
  const wnids = parseWnids("n01443537\nn01629819\r\n\n", "w");
  assert.deepEqual(wnids, ["n01443537", "n01629819"]);
  const words = parseWords("n01443537\tgoldfish, Carassius auratus\nn00000001\tother\n", "words");
  assert.deepEqual(classNames(wnids, words), ["goldfish, Carassius auratus", "n01629819"]);
  const ann = parseValAnnotations(
    "val_0.JPEG\tn01629819\t0\t32\t44\t62\nval_1.JPEG\tn01443537\t1\t2\t3\t4\n",
    "a",
  );
  assert.equal(ann.get("val_0.JPEG"), "n01629819");
  assert.equal(ann.get("val_1.JPEG"), "n01443537");
  assert.throws(() => parseWnids("n1\nn1\n", "wnids.txt"), /wnids\.txt: class id n1 is listed twice/);
  assert.throws(() => parseWnids("", "wnids.txt"), /wnids\.txt: no class ids/);
  assert.throws(() => parseWords("n1 goldfish\n", "words.txt"), /words\.txt: line "n1 goldfish" has no tab/);
  assert.throws(() => parseValAnnotations("val_0.JPEG\n", "ann.txt"), /ann\.txt: line "val_0\.JPEG"/);
});

Deno.test("decodeJpegRgb gives HWC RGB close to the encoded colour", () => {
  const rgb = decodeJpegRgb(solidJpeg(16, 8, [200, 30, 90]), "c.jpg", 8, 16);
  assert.equal(rgb.length, 8 * 16 * 3);
  for (let p = 0; p < 8 * 16; p++) {
    [200, 30, 90].forEach((v, c) => assert.ok(Math.abs(rgb[p * 3 + c] - v) <= 3, `pixel ${p} channel ${c}`));
  }
});

Deno.test("grayscale JPEGs expand to three equal channels", async () => {
  // Fixture made with: a 64x64 PGM (top half x*4 mod 256, bottom half 200) | cjpeg -grayscale -quality 100.
  const bytes = await Deno.readFile(new URL("./fixtures/gray64.jpg", import.meta.url));
  const rgb = decodeJpegRgb(bytes, "gray64.jpg", 64, 64);
  assert.equal(rgb.length, 64 * 64 * 3);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const p = (y * 64 + x) * 3;
      assert.ok(rgb[p] === rgb[p + 1] && rgb[p] === rgb[p + 2], `pixel (${y},${x}) is not gray`);
      const expected = y < 32 ? (x * 4) % 256 : 200;
      assert.ok(
        Math.abs(rgb[p] - expected) <= 6,
        `pixel (${y},${x}) = ${rgb[p]}, expected about ${expected}`,
      );
    }
  }
});

Deno.test("decodeJpegRgb rejects a wrong size and bytes that are not a JPEG", () => {
  assert.throws(
    () => decodeJpegRgb(solidJpeg(8, 8, [0, 0, 0]), "s.jpg", 64, 64),
    /s\.jpg: image is 8x8, expected 64x64/,
  );
  assert.throws(
    () => decodeJpegRgb(new Uint8Array([1, 2, 3, 4]), "x.jpg", 64, 64),
    /x\.jpg: cannot decode JPEG/,
  );
});
