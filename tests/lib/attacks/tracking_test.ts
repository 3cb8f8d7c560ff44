/**
 * The two attack bookkeepings (lib/attacks/tracking.ts) give the same adversarial examples bit for bit, the
 * device one stops once every sample is broken, and each backend gets the one its reads call for.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import type { LogitsFn } from "../../../lib/attacks/model.ts";
import { misclassified } from "../../../lib/attacks/model.ts";
import { apgd } from "../../../lib/attacks/apgd.ts";
import { pgd } from "../../../lib/attacks/pgd.ts";
import { type Tracking, trackingFor } from "../../../lib/attacks/tracking.ts";
import { DeviceTracker } from "../../../lib/attacks/device_tracker.ts";
import { iterationGraphsFor } from "../../../lib/attacks/iteration_graph.ts";
import { WEBGPU_BACKEND } from "../../../lib/backends/webgpu/name.ts";
import { bumpyModel, useCpu } from "./helpers.ts";

await useCpu();

const bumpy = bumpyModel();

const N = 48;
const x = tf.tensor4d(Float32Array.from({ length: N * 4 }, (_, i) => ((i * 37) % 101) / 101), [N, 2, 2, 1]);
/** Each sample's clean prediction, so every break is the attack's doing. */
const labels = tf.tidy(() => tf.cast(tf.argMax(bumpy(x), 1), "int32")) as tf.Tensor1D;

async function brokenCount(xAdv: tf.Tensor4D): Promise<number> {
  const wrong = tf.tidy(() => tf.sum(tf.cast(misclassified(bumpy(xAdv), labels), "int32")));
  const n = (await wrong.data())[0];
  wrong.dispose();
  return n;
}

async function sameBits(run: (tracking: Tracking) => Promise<tf.Tensor4D>, what: string): Promise<void> {
  const shrunk = await run("shrink"), device = await run("device");
  const broken = await brokenCount(shrunk);
  assert.ok(broken > 0 && broken < N, `${what}: premise: some samples break, some stand (${broken} of ${N})`);
  assert.deepEqual(await device.data(), await shrunk.data(), `${what}: device and shrink bookkeeping differ`);
  tf.dispose([shrunk, device]);
}

Deno.test("PGD with restarts: device bookkeeping gives the shrinking one's examples bit for bit", async () => {
  for (const norm of ["linf", "l2"] as const) {
    const eps = norm === "linf" ? 0.03 : 0.06;
    await sameBits(
      (tracking) =>
        pgd(bumpy, x, labels, {
          eps,
          norm,
          steps: 6,
          stepSize: eps / 3,
          randomStart: true,
          restarts: 3,
          seed: 4,
          tracking,
        }),
      `pgd-${norm}`,
    );
  }
});

Deno.test("APGD: device bookkeeping gives the shrinking one's examples bit for bit", async () => {
  for (const norm of ["linf", "l2"] as const) {
    const eps = norm === "linf" ? 0.02 : 0.04;
    await sameBits(
      (tracking) => apgd(bumpy, x, labels, { eps, norm, steps: 12, seed: 2, tracking }),
      `apgd-${norm}`,
    );
  }
});

Deno.test("device bookkeeping stops soon after every sample is broken", async () => {
  let forwards = 0;
  const counted: LogitsFn = (xi) => {
    forwards++;
    return bumpy(xi);
  };
  // Labels no sample is predicted as: every sample is broken at its first iterate.
  const wrong = tf.tidy(() => tf.cast(tf.mod(tf.add(labels, 1), 3), "int32")) as tf.Tensor1D;
  const options = {
    eps: 0.01,
    norm: "linf" as const,
    steps: 40,
    stepSize: 0.001,
    randomStart: true,
    restarts: 1,
    seed: 0,
  };
  const out = await pgd(counted, x, wrong, { ...options, tracking: "device" });
  assert.ok(forwards < 10, `${forwards} forward passes for 40 steps with every sample broken at once`);
  const shrunk = await pgd(bumpy, x, wrong, { ...options, tracking: "shrink" });
  assert.deepEqual(await out.data(), await shrunk.data(), "the results are still the first iterates");
  tf.dispose([wrong, out, shrunk]);
});

Deno.test("device bookkeeping: finish does not wait for the background read in flight", async () => {
  // Reads that never resolve, as a GPU read behind a long queue: finish must still hand the result over.
  const data = tf.Tensor.prototype.data;
  let reads = 0;
  tf.Tensor.prototype.data = function () {
    reads++;
    return new Promise<never>(() => {});
  } as typeof data;
  try {
    const tracker = new DeviceTracker(x);
    const logits = bumpy(x);
    await tracker.record(x, logits, labels);
    assert.equal(reads, 1, "record started a background read");
    const timeout = new Promise<"timed out">((done) => setTimeout(() => done("timed out"), 2000));
    const out = await Promise.race([tracker.finish(x), timeout]);
    assert.notEqual(out, "timed out", "finish waited for the read");
    tf.dispose([logits, out as tf.Tensor]);
  } finally {
    tf.Tensor.prototype.data = data;
  }
});

Deno.test("trackingFor: device bookkeeping where reads wait for a GPU, shrinking elsewhere", () => {
  for (const b of [WEBGPU_BACKEND, "webgpu", "webgl"]) assert.equal(trackingFor(b).tracking, "device", b);
  for (const b of ["wasm", "cpu", "tensorflow"]) assert.equal(trackingFor(b).tracking, "shrink", b);
  assert.match(trackingFor("wasm").reason, /copies in memory/);
  // Step graphs need our webgpu backend: on the cpu backend the iterations always run through tfjs.
  assert.deepEqual(iterationGraphsFor(tf.backend(), 100), {
    graphs: false,
    reason: "not our webgpu backend with its dispatch cache: iterations run through tfjs",
  });
});
