import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { crc32, encodePng } from "../../../lib/eval/png.ts";
import { accuracyOf, predictClasses } from "../../../lib/eval/predict.ts";

Deno.test("crc32 of '123456789' is the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("PNG: valid chunks with CRCs, IHDR fields, pixels recovered by inflating IDAT", () => {
  const pixels = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i * 10);
  const png = encodePng(pixels, 2, 3, 3);
  assert.deepStrictEqual(Array.from(png.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer);
  let off = 8;
  const chunks: Record<string, Uint8Array> = {};
  while (off < png.length) {
    const len = view.getUint32(off);
    const type = new TextDecoder().decode(png.subarray(off + 4, off + 8));
    assert.equal(view.getUint32(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)), type);
    chunks[type] = png.subarray(off + 8, off + 8 + len);
    off += 12 + len;
  }
  const ihdr = new DataView(chunks.IHDR.buffer, chunks.IHDR.byteOffset);
  assert.deepStrictEqual([ihdr.getUint32(0), ihdr.getUint32(4), chunks.IHDR[8], chunks.IHDR[9]], [
    3,
    2,
    8,
    2,
  ]);
  const raw = new Uint8Array(inflateSync(chunks.IDAT));
  assert.deepStrictEqual(Array.from(raw), [0, ...pixels.subarray(0, 9), 0, ...pixels.subarray(9)]);
  assert.ok("IEND" in chunks);
});

Deno.test("predictClasses: batched argmax equals a per-image computation; accuracy", async () => {
  await tf.setBackend("cpu");
  // Logit k = pixel k (of 4 pixels) scaled: the class is the brightest pixel.
  const model = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [2, 2, 1] }), tfl.layers.dense({ units: 4, useBias: false })],
  });
  model.layers[1].setWeights([tf.eye(4)]);
  const images = Uint8Array.from([9, 1, 2, 3, 0, 0, 50, 1, 1, 200, 3, 4, 5, 6, 7, 8, 30, 0, 0, 0]);
  const pred = await predictClasses(model, images, [2, 2, 1], 2);
  assert.deepStrictEqual(Array.from(pred), [0, 2, 1, 3, 0]);
  assert.equal(accuracyOf(pred, [0, 2, 0, 3, 1]), 0.6);
  await assert.rejects(() => predictClasses(model, images.subarray(0, 5), [2, 2, 1], 2), /whole number/);
});

Deno.test("predictClasses: each batch of batchSize images runs the model once (not in tfjs-layers' 32s)", async () => {
  await tf.setBackend("cpu");
  const model = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [2, 2, 1] }), tfl.layers.dense({ units: 4, useBias: false })],
  });
  model.layers[1].setWeights([tf.eye(4)]);
  const images = Uint8Array.from({ length: 4 * 90 }, (_, i) => (i * 37) % 256);
  const info = await tf.profile(() => predictClasses(model, images, [2, 2, 1], 50));
  const products = info.kernels.filter((k) => k.name === "BatchMatMul" || k.name === "_FusedMatMul");
  assert.deepStrictEqual(products.map((k) => k.outputShapes[0]), [[1, 50, 4], [1, 40, 4]]);
});
