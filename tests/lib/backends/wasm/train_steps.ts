/**
 * Test support: the project's cnn trained for 3 steps from seed 3 (batch 16, α = 0.5) on the active backend,
 * and its weights as bytes. Used where wasm training must give the same bits under two settings
 * (threads_identity_test.ts through train_steps_fixture.ts, shared_identity_test.ts).
 */
import { buildModel } from "../../../../lib/models/registry.ts";
import { Rng } from "../../../../lib/random.ts";
import { stepContext, type TrainConfig, trainStep } from "../../../../lib/train/loop.ts";

/** The cnn's weights after 3 training steps, one byte array per weight. */
export async function cnnWeightsAfterSteps(): Promise<Uint8Array[]> {
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
  const out: Uint8Array[] = [];
  for (const w of built.model.getWeights()) out.push(new Uint8Array((await w.data() as Float32Array).buffer));
  built.model.dispose();
  return out;
}
