import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../../lib/backends/select.ts";
import { evaluateCorruptions } from "../../../lib/corruptions/evaluate.ts";
import { openCorruptedSets, writeCorruptedSets } from "../../../lib/corruptions/corrupted_sets.ts";
import { corruptionRng, corruptStored } from "../../../lib/corruptions/registry.ts";
import { accuracyOf, predictClasses } from "../../../lib/eval/predict.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { Rng } from "../../../lib/random.ts";

await initBackend("cpu");

Deno.test("evaluateCorruptions: accuracies equal an independent corrupt-then-predict, with example grids", async () => {
  const shape: [number, number, number] = [28, 28, 1];
  const n = 24, size = 28 * 28;
  const rng = new Rng(9);
  const images = Uint8Array.from({ length: n * size }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const { model } = buildModel("cnn", { inputShape: [...shape], numClasses: 3, seed: 4 });
  const split = { images, labels, n, shape };
  const dir = await Deno.makeTempDir();
  const sets = {
    corruptions: ["contrast", "gaussian_noise"] as const,
    severities: [1, 5],
    seed: 3,
    limit: null,
  };
  await writeCorruptedSets(dir, split, sets);
  // Every set's predictions are read from the backend at once (a read per set would stall the GPU each time).
  const data = tf.Tensor.prototype.data;
  let reads = 0;
  tf.Tensor.prototype.data = function (this: tf.Tensor) {
    reads++;
    return data.call(this);
  } as typeof data;
  let r: Awaited<ReturnType<typeof evaluateCorruptions>>;
  try {
    r = await evaluateCorruptions(model, split, shape, {
      ...sets,
      batchSize: 10,
      corrupted: await openCorruptedSets(dir),
      officialDir: null,
      officialWnids: null,
      examples: 2,
      dataset: "fashion-mnist",
    });
  } finally {
    tf.Tensor.prototype.data = data;
  }
  assert.equal(reads, 1, "one read for the clean set and the 4 corrupted ones");
  assert.equal(r.images, n);
  assert.equal(r.clean, accuracyOf(await predictClasses(model, images, shape, 7), labels));
  for (const name of ["contrast", "gaussian_noise"] as const) {
    for (const severity of [1, 5]) {
      const corrupted = new Uint8Array(n * size);
      for (let k = 0; k < n; k++) {
        const img = images.subarray(k * size, (k + 1) * size);
        corrupted.set(
          corruptStored(img, shape, name, severity, corruptionRng(3, name, severity, k)),
          k * size,
        );
      }
      const want = accuracyOf(await predictClasses(model, corrupted, shape, 7), labels);
      assert.equal(r.accuracy[name]?.[String(severity)], want, `${name} ${severity}`);
    }
    const png = r.examplePngs.get(name)!;
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    // IHDR: width = 3 columns (clean + 2 severities) × 28, height = 2 examples × 28.
    const view = new DataView(png.buffer, png.byteOffset);
    assert.deepEqual([view.getUint32(16), view.getUint32(20)], [84, 56]);
  }
  await Deno.remove(dir, { recursive: true });
});
