/**
 * Test fixture of threads_identity_test.ts: trains the project's cnn for 3 steps on wasm with `--threads N`
 * and prints the SHA-256 of its weights' bytes.
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { initBackend } from "../../../../lib/backends/select.ts";
import { buildModel } from "../../../../lib/models/registry.ts";
import { Rng } from "../../../../lib/random.ts";
import { stepContext, type TrainConfig, trainStep } from "../../../../lib/train/loop.ts";

const { values } = parseArgs({ args: Deno.args, options: { threads: { type: "string", default: "1" } } });
await initBackend("wasm", { threads: Number(values.threads) });
const built = buildModel("cnn", { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
const config: TrainConfig = {
  epochs: 1,
  batchSize: 16,
  lr: 0.05,
  schedule: { kind: "constant" },
  momentum: 0.9,
  weightDecay: 1e-4,
  alpha: 0.5,
  seed: 3,
  augmentation: { kind: "none" },
  evalBatchSize: 16,
  siEpsilon: 1e-7,
  siGrouping: "block",
};
const ctx = stepContext(built, config);
const rng = new Rng(5);
const batch = {
  x: Float32Array.from({ length: 16 * 28 * 28 }, () => rng.uniform()),
  labels: Int32Array.from({ length: 16 }, () => rng.int(10)),
  shape: [16, 28, 28, 1] as [number, number, number, number],
};
for (let i = 0; i < 3; i++) await trainStep(ctx, batch, 0.05, { epoch: 1, batch: i + 1 });
const hash = createHash("sha256");
for (const w of built.model.getWeights()) {
  hash.update(new Uint8Array((await w.data() as Float32Array).buffer));
}
console.log(`WEIGHTS ${hash.digest("hex")} ${tf.getBackend()}`);
Deno.exit(0);
