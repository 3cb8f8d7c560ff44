import assert from "node:assert/strict";
import { join } from "node:path";
import { CHECKPOINT_JSON, loadCheckpoint, saveCheckpoint } from "../../../lib/train/checkpoint.ts";
import type { TrainState } from "../../../lib/train/state.ts";

const state = (epochsDone: number, fill: number): TrainState => ({
  epochsDone,
  weights: [
    { name: "a/kernel", shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, i) => fill + i / 3) },
    { name: "a/bias", shape: [3], data: Float32Array.from([fill, -fill, 0.1]) },
  ],
  velocities: [{ name: "a/kernel", shape: [2, 3], data: new Float32Array(6).fill(-fill) }],
  history: [],
  trainSeconds: 1.5 * epochsDone,
  trainImages: 100 * epochsDone,
});

Deno.test("checkpoint round trip is exact; the newest replaces the older binary", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, state(1, 0.25), "fp");
  await saveCheckpoint(dir, state(2, 0.75), "fp");
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(files, [CHECKPOINT_JSON, "epoch-2.bin"]);
  const loaded = await loadCheckpoint(dir, "fp");
  assert.deepEqual(loaded.state, state(2, 0.75));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: none, other fingerprint → fresh start with a reason; damaged → error naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const none = await loadCheckpoint(join(dir, "absent"), "fp");
  assert.equal(none.state, null);
  await saveCheckpoint(dir, state(1, 0.5), "fp");
  const other = await loadCheckpoint(dir, "other");
  assert.equal(other.state, null);
  assert.match((other as { reason: string }).reason, /other settings/);
  await Deno.writeFile(join(dir, "epoch-1.bin"), new Uint8Array(8));
  await assert.rejects(
    loadCheckpoint(dir, "fp"),
    /damaged checkpoint .*checkpoint\.json: epoch-1\.bin has 8 bytes/,
  );
  await Deno.writeTextFile(join(dir, CHECKPOINT_JSON), "{not json");
  await assert.rejects(loadCheckpoint(dir, "fp"), /damaged checkpoint.*delete .* to train from scratch/);
  await Deno.remove(dir, { recursive: true });
});
