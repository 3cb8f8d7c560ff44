import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import "@tensorflow/tfjs-layers"; // registers the gradients
import { assert, assertEqualJson } from "../assert.ts";
import { seeded } from "../reference.ts";
import { useDispatchCache, WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { CaptureError, captureStep, sameRecording } from "../../../../lib/backends/webgpu/step_graph.ts";
import { ReadbackSlots } from "../../../../lib/backends/webgpu/readback.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn("webgpu step-graph test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)");
}

const D = 6, K = 3, B = 4;

/** A tiny model trained by momentum SGD with plain tf ops: both weights and velocities are variables. */
function makeModel(seed: number, { keepInitial = false } = {}) {
  const init = [tf.tensor2d(seeded(D * K, seed), [D, K]), tf.zeros([D, K]), tf.scalar(0)];
  const w = tf.variable(init[0], true, `w${seed}`);
  const v = tf.variable(init[1], false, `v${seed}`);
  const count = tf.variable(init[2], false, `count${seed}`);
  if (!keepInitial) tf.dispose(init);
  /** One step on (x, y); returns [loss, count]. */
  const step = (x: tf.Tensor, y: tf.Tensor): tf.Tensor[] =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.mean(tf.square(tf.sub(tf.matMul(x as tf.Tensor2D, w), y))) as tf.Scalar,
        [w],
      );
      v.assign(tf.add(tf.mul(0.9, v), grads[w.name]));
      w.assign(tf.sub(w, tf.mul(0.1, v)));
      count.assign(tf.add(count, 1));
      return [tf.keep(tf.stack([value, count]))];
    });
  return { w, v, count, step, dispose: () => tf.dispose([w, v, count]) };
}

function batchOf(i: number): [Float32Array, Float32Array] {
  return [Float32Array.from(seeded(B * D, 100 + i)), Float32Array.from(seeded(B * K, 200 + i))];
}

async function setUp() {
  await tf.setBackend(WEBGPU_BACKEND);
  useDispatchCache(tf.backend());
  return (tf.backend() as unknown as { device: GPUDevice }).device;
}

Deno.test({
  name: "webgpu step graph: replays give the eager results bit for bit, outputs reach the readback slots",
  ignore: noAdapter,
  fn: async () => {
    const device = await setUp();
    const steps = 5;
    // Eager reference.
    const eager = makeModel(1);
    const eagerLosses: number[] = [];
    for (let i = 0; i < steps; i++) {
      const [xs, ys] = batchOf(i);
      const [x, y] = [tf.tensor2d(xs, [B, D]), tf.tensor2d(ys, [B, K])];
      const [out] = eager.step(x, y);
      eagerLosses.push((await out.data())[0]);
      tf.dispose([x, y, out]);
    }
    const eagerW = await eager.w.data();
    const eagerV = await eager.v.data();
    eager.dispose();

    // Captured on the first batch, replayed on the others.
    const tensorsAtStart = tf.memory().numTensors;
    const m = makeModel(1);
    const slots = new ReadbackSlots(device, steps, 8);
    const [xs, ys] = batchOf(0);
    const [x, y] = [tf.tensor2d(xs, [B, D]), tf.tensor2d(ys, [B, K])];
    const graph = captureStep(() => m.step(x, y), [x, y]);
    tf.dispose([x, y]);
    assert(graph.unreplayable === null, `replayable, got: ${graph.unreplayable}`);
    assertEqualJson(graph.assignedVariables, 3, "w, v and count are assigned by the step");
    graph.copyOutputs(slots.sink(0));
    for (let i = 1; i < steps; i++) graph.replay(batchOf(i), slots.sink(i));
    const rows = await slots.read();
    const losses = Array.from({ length: steps }, (_, i) => rows[2 * i]);
    const counts = Array.from({ length: steps }, (_, i) => rows[2 * i + 1]);
    assertEqualJson(losses, eagerLosses, "losses, bit for bit");
    assertEqualJson(counts, [1, 2, 3, 4, 5], "the counter variable advanced once per replay");
    assertEqualJson(Array.from(await m.w.data()), Array.from(eagerW), "weights after the last replay");
    assertEqualJson(Array.from(await m.v.data()), Array.from(eagerV), "velocities after the last replay");
    // tfjs's CPU copy of a variable read earlier must not hide later replays.
    graph.replay(batchOf(steps));
    assert(
      !tf.util.arraysEqual(Array.from(await m.w.data()), Array.from(eagerW)),
      "a replay after a read is seen by the next read",
    );

    // An outside assign is what the next replay starts from (the eager step from there agrees).
    tf.tidy(() => m.w.assign(tf.zerosLike(m.w)));
    const wDataId = m.w.dataId;
    const ref = makeModel(9);
    tf.tidy(() => {
      ref.w.assign(tf.zerosLike(ref.w));
      ref.v.assign(m.v);
    });
    const [nx, ny] = batchOf(7);
    const [x7, y7] = [tf.tensor2d(nx, [B, D]), tf.tensor2d(ny, [B, K])];
    tf.dispose(ref.step(x7, y7));
    tf.dispose([x7, y7]);
    assert(graph.isCurrent(), "still replayable after an outside assign");
    graph.replay([nx, ny]);
    assert(m.w.dataId === wDataId, "a replay updates the variable in place");
    assertEqualJson(
      Array.from(await m.w.data()),
      Array.from(await ref.w.data()),
      "replay from the assigned value",
    );
    ref.dispose();
    graph.dispose();
    slots.dispose();
    m.dispose();
    assertEqualJson(tf.memory().numTensors, tensorsAtStart, "no tensor outlives the graph");
  },
});

Deno.test({
  name:
    "webgpu step graph: a variable whose old value another tensor still holds makes the capture unreplayable",
  ignore: noAdapter,
  fn: async () => {
    await setUp();
    const m = makeModel(3, { keepInitial: true });
    const [xs, ys] = batchOf(0);
    const [x, y] = [tf.tensor2d(xs, [B, D]), tf.tensor2d(ys, [B, K])];
    const graph = captureStep(() => m.step(x, y), [x, y]);
    assert(
      graph.unreplayable?.includes("variable 'w3' was assigned") &&
        graph.unreplayable.includes("still referenced"),
      `says which variable, got: ${graph.unreplayable}`,
    );
    assert(!graph.isCurrent(), "not current");
    graph.dispose();
    // After the step the variables own fresh buffers: a second capture is replayable.
    const again = captureStep(() => m.step(x, y), [x, y]);
    assert(again.unreplayable === null, `second capture replayable, got: ${again.unreplayable}`);
    again.dispose();
    tf.dispose([x, y]);
    m.dispose();
  },
});

Deno.test({
  name: "webgpu step graph: a random mask or a changing constant makes two captures differ",
  ignore: noAdapter,
  fn: async () => {
    await setUp();
    const m = makeModel(2);
    const x = tf.tensor2d(batchOf(0)[0], [B, D]);
    const y = tf.tensor2d(batchOf(0)[1], [B, K]);
    const plain = [0, 1].map(() => captureStep(() => m.step(x, y), [x, y]));
    assert(
      sameRecording(plain[0].recording, plain[1].recording),
      "the same step captured twice records the same program",
    );
    let seed = 0;
    const dropout = () =>
      tf.tidy(() => [tf.keep(tf.sum(tf.dropout(tf.matMul(x, m.w), 0.5, undefined, seed++)))]);
    const masked = [0, 1].map(() => captureStep(dropout, [x]));
    assert(masked[0].uploads.length > 0, "the mask is uploaded as a constant");
    assert(!sameRecording(masked[0].recording, masked[1].recording), "different random masks are told apart");
    let scale = 1;
    const scaled = () => tf.tidy(() => [tf.keep(tf.sum(tf.mul(tf.matMul(x, m.w), scale++)))]);
    const s = [0, 1].map(() => captureStep(scaled, [x]));
    assert(!sameRecording(s[0].recording, s[1].recording), "a changing scalar is told apart");
    for (const g of [...plain, ...masked, ...s]) g.dispose();
    tf.dispose([x, y]);
    m.dispose();
  },
});

Deno.test({
  name: "webgpu step graph: a step that reads from the device cannot be captured, and says so",
  ignore: noAdapter,
  fn: async () => {
    await setUp();
    const x = tf.tensor1d([1, 2, 3]);
    let error: unknown = null;
    try {
      captureStep(() => {
        const y = tf.mul(x, 2);
        y.dataSync();
        return [y];
      }, [x]);
    } catch (e) {
      error = e;
    }
    assert(error instanceof CaptureError, `CaptureError, got ${error}`);
    assert((error as Error).message.includes("reads data back"), (error as Error).message);
    // The backend works normally afterwards.
    assertEqualJson(Array.from(await tf.mul(x, 3).data()), [3, 6, 9], "backend restored");
    x.dispose();
  },
});

Deno.test({
  name: "webgpu readback slots: values land in their slots; no slot is handed out while mapped",
  ignore: noAdapter,
  fn: async () => {
    const device = await setUp();
    const slots = new ReadbackSlots(device, 3, 8);
    const src = device.createBuffer({ size: 8, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    for (let k = 0; k < 3; k++) {
      device.queue.writeBuffer(src, 0, new Float32Array([k, 10 * k]));
      const enc = device.createCommandEncoder();
      const { buffer, offset } = slots.sink(k);
      enc.copyBufferToBuffer(src, 0, buffer, offset, 8);
      device.queue.submit([enc.finish()]);
    }
    assertEqualJson(Array.from(await slots.read(2)), [0, 0, 1, 10], "the first two slots, in order");
    slots.startRead();
    assert(slots.reading, "reading");
    let refused = "";
    try {
      slots.sink(0);
    } catch (e) {
      refused = (e as Error).message;
    }
    assert(refused.includes("being read"), `no writes while mapped, got: ${refused}`);
    await slots.read();
    slots.dispose();
    src.destroy();
  },
});
