/**
 * The premise of the device bookkeeping (lib/attacks/device_tracker.ts) on the project's own network and
 * kernels: a sample's iterates do not depend on which other samples are in the batch, so attacking the whole
 * batch to the end gives the shrinking bookkeeping's adversarial examples bit for bit — on wasm (XNNPACK) and on
 * webgpu (our kernels), where the device bookkeeping is the default.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { inferenceLogits, misclassified } from "../../../lib/attacks/model.ts";
import { apgd } from "../../../lib/attacks/apgd.ts";
import { pgd } from "../../../lib/attacks/pgd.ts";
import { type Tracking, trackingFor } from "../../../lib/attacks/tracking.ts";
import { type BackendName, initBackend } from "../../../lib/backends/select.ts";
import { probeWebGpuAdapter } from "../../../lib/backends/webgpu/adapter.ts";
import { dispatchCacheStats } from "../../../lib/backends/webgpu/backend.ts";
import {
  iterationGraphsFor,
  iterationGraphTally,
  MIN_GRAPH_ITERATIONS,
} from "../../../lib/attacks/iteration_graph.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { Rng } from "../../../lib/random.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;

async function checkOn(backend: BackendName): Promise<void> {
  await initBackend(backend, { threads: 1 });
  const { model } = buildModel("cnn", { inputShape: [12, 12, 1], numClasses: 4, seed: 3 });
  const f = inferenceLogits(model);
  const n = 24;
  const rng = new Rng(3);
  const x = tf.tensor4d(Float32Array.from({ length: n * 144 }, () => rng.uniform()), [n, 12, 12, 1]);
  // An untrained network predicts one class everywhere; centring its logits over the batch spreads the
  // predictions, so that small radii break some samples and not others.
  const dense = model.layers[model.layers.length - 1];
  const [kernel, bias] = dense.getWeights();
  const centred = tf.tidy(() => tf.sub(bias, tf.mean(f(x), 0)));
  dense.setWeights([kernel, centred]);
  centred.dispose();
  const labels = tf.tidy(() => tf.cast(tf.argMax(f(x), 1), "int32")) as tf.Tensor1D;
  const attacks: [string, (t: Tracking) => Promise<tf.Tensor4D>][] = [
    ["pgd", (tracking) =>
      pgd(f, x, labels, {
        eps: 0.01,
        norm: "linf",
        steps: 5,
        stepSize: 0.005,
        randomStart: true,
        restarts: 2,
        seed: 1,
        tracking,
      })],
    ["apgd", (tracking) => apgd(f, x, labels, { eps: 0.01, norm: "linf", steps: 8, seed: 1, tracking })],
  ];
  for (const [name, run] of attacks) {
    const shrunk = await run("shrink"), device = await run("device");
    const wrong = tf.tidy(() => tf.sum(tf.cast(misclassified(f(shrunk), labels), "int32")));
    const broken = (await wrong.data())[0];
    assert.ok(
      broken > 0 && broken < n,
      `${backend} ${name}: premise: some break, some stand (${broken}/${n})`,
    );
    assert.deepEqual(await device.data(), await shrunk.data(), `${backend} ${name}: the bookkeepings differ`);
    tf.dispose([shrunk, device, wrong]);
  }
  tf.dispose([x, labels]);
  model.dispose();
}

Deno.test("cnn on wasm: device and shrinking bookkeeping give the same examples", async () => {
  await checkOn("wasm");
  assert.equal(trackingFor(tf.getBackend()).tracking, "shrink");
});

Deno.test({
  name: "cnn on webgpu: device and shrinking bookkeeping give the same examples",
  ignore: noAdapter,
  async fn() {
    await checkOn("webgpu");
    assert.equal(trackingFor(tf.getBackend()).tracking, "device");
  },
});

Deno.test({
  name:
    "cnn on webgpu: PGD's and APGD's iterations through step graphs give tfjs's bits with far fewer dispatches",
  ignore: noAdapter,
  async fn() {
    await initBackend("webgpu");
    const { model } = buildModel("cnn", { inputShape: [12, 12, 1], numClasses: 4, seed: 5 });
    const f = inferenceLogits(model);
    const rng = new Rng(8);
    const x = tf.tensor4d(Float32Array.from({ length: 16 * 144 }, () => rng.uniform()), [16, 12, 12, 1]);
    const labels = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 4), "int32");
    const stats = dispatchCacheStats(tf.backend())!;
    assert.equal(iterationGraphsFor(tf.backend(), MIN_GRAPH_ITERATIONS).graphs, true);
    assert.match(iterationGraphsFor(tf.backend(), 3).reason, /3 iterations: too few/);
    const attacks: [string, (graphs: boolean) => Promise<tf.Tensor4D>][] = [
      ["pgd", (graphs) =>
        pgd(f, x, labels, {
          eps: 0.03,
          norm: "linf",
          steps: 10,
          stepSize: 0.01,
          randomStart: true,
          restarts: 1,
          seed: 2,
          tracking: "device",
          graphs,
        })],
      // From x itself: the iterate variable must own a copy, or no capture could be replayed.
      ["pgd from x", (graphs) =>
        pgd(f, x, labels, {
          eps: 0.03,
          norm: "linf",
          steps: 6,
          stepSize: 0.01,
          randomStart: false,
          restarts: 1,
          seed: 2,
          tracking: "device",
          graphs,
        })],
      [
        "apgd",
        (graphs) =>
          apgd(f, x, labels, { eps: 0.03, norm: "linf", steps: 12, seed: 2, tracking: "device", graphs }),
      ],
    ];
    // Runs through IterationGraph: PGD's iterations; APGD's 11 after its first (which always goes through tfjs).
    const iterations: Record<string, number> = { pgd: 10, "pgd from x": 6, apgd: 11 };
    for (const [name, attack] of attacks) {
      const run = async (graphs: boolean) => {
        const before = stats.dispatches, tallied = iterationGraphTally();
        const out = await attack(graphs);
        return { out, dispatches: stats.dispatches - before, tally: iterationGraphTally(tallied) };
      };
      const eager = await run(false), graphed = await run(true);
      const n = iterations[name];
      assert.deepEqual(eager.tally, { captured: 0, replayed: 0, eager: n, unreplayable: null }, name);
      assert.deepEqual(graphed.tally, { captured: 2, replayed: n - 2, eager: 0, unreplayable: null }, name);
      assert.deepEqual(
        await graphed.out.data(),
        await eager.out.data(),
        `${name}: graphs changed the examples`,
      );
      // PGD: 10 iterations, 2 captured through tfjs and 8 replayed; APGD: iteration 1 and 2 captures through
      // tfjs, 9 replays (the checkpoints' few kernels go through tfjs).
      assert.ok(
        graphed.dispatches < 0.5 * eager.dispatches,
        `${name}: ${graphed.dispatches} tfjs dispatches with graphs, ${eager.dispatches} without`,
      );
      tf.dispose([eager.out, graphed.out]);
    }
    tf.dispose([x, labels]);
    model.dispose();
  },
});
