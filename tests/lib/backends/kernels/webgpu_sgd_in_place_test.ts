import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import { assert, assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, seeded } from "../reference.ts";
import { momentumSgdUpdate, SGD_VELOCITY } from "../../../../lib/backends/kernels/fused_sgd.ts";
import {
  momentumSgdInPlace,
  SGD_IN_PLACE,
  sgdGroupSize,
} from "../../../../lib/backends/kernels/webgpu_sgd_in_place.ts";
import {
  MOVING_AVERAGE,
  MOVING_AVERAGES_IN_PLACE,
} from "../../../../lib/backends/kernels/webgpu_batch_norm.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { registerWebGpuKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import {
  type SelectivityWebGpuBackend,
  useDispatchCache,
  WEBGPU_BACKEND,
} from "../../../../lib/backends/webgpu/backend.ts";
import { captureStep } from "../../../../lib/backends/webgpu/step_graph.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) console.warn("webgpu in-place SGD tests skipped: no WebGPU adapter");

/** Variables of mixed sizes (1 to 2,500 elements, more than one dispatch's group), with seeded w and g. */
const SHAPES = [[3, 3, 4, 8], [8], [8], [25, 100], [1], [7, 5], [64], [3, 3, 8, 16], [16], [16], [10, 16], [
  10,
]]
  .flatMap((s) => [s, s.map((d) => d + 1)]);

const grads = (step: number) =>
  SHAPES.map((s, i) => tf.tensor(seeded(tf.util.sizeFromShape(s), 1000 * step + i), s));

/** Three steps; `inPlace`: the whole-program kernel, else the two kernels a variable (or tf ops, on cpu). */
function threeSteps(inPlace: boolean, lrAsTensor: boolean): tf.Tensor[] {
  const ws = SHAPES.map((s, i) =>
    tf.variable(tf.tensor(seeded(tf.util.sizeFromShape(s), i + 1), s), true, `w${i}`)
  );
  const vs = SHAPES.map((s, i) => tf.variable(tf.zeros(s), false, `v${i}`));
  for (let step = 0; step < 3; step++) {
    const gs = grads(step);
    const lr = lrAsTensor ? tf.scalar(0.1 / (step + 1)) : 0.1 / (step + 1);
    const hyper = { lr, momentum: 0.9, weightDecay: 5e-4 };
    if (inPlace) {
      momentumSgdInPlace(ws, vs, gs, hyper);
    } else {
      tf.tidy(() =>
        ws.forEach((w, i) => {
          const [v2, w2] = momentumSgdUpdate(w, vs[i], gs[i], hyper);
          vs[i].assign(v2);
          w.assign(w2);
        })
      );
    }
    tf.dispose([...gs, lr as tf.Tensor]);
  }
  const out = [...ws, ...vs].map((x) => x.clone());
  tf.dispose([...ws, ...vs]);
  return out;
}

async function readAll(ts: tf.Tensor[]): Promise<number[][]> {
  const out = [];
  for (const t of ts) out.push(Array.from(await t.data()));
  tf.dispose(ts);
  return out;
}

Deno.test({
  name:
    "webgpu in-place SGD: the two-kernel path's bits for 24 variables in groups, the rate a number or a tensor",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["fusedSgd", "inPlace"]);
    await tf.setBackend(WEBGPU_BACKEND);
    const device = (tf.backend() as SelectivityWebGpuBackend).device;
    const group = sgdGroupSize(device.limits.maxStorageBuffersPerShaderStage);
    assert(group > 1 && group < SHAPES.length, `group size ${group} splits the 24 variables`);
    for (const lrAsTensor of [false, true]) {
      const twoKernels = await readAll(threeSteps(false, lrAsTensor));
      const info = await tf.profile(() => threeSteps(true, lrAsTensor));
      const inPlace = await readAll(info.result as tf.Tensor[]);
      inPlace.forEach((got, i) => {
        assert(got.join() === twoKernels[i].join(), `tensor ${i} (lr tensor ${lrAsTensor}): bit for bit`);
      });
      const names = info.kernels.map((k) => k.name);
      assertEqualJson(names.filter((n) => n === SGD_IN_PLACE).length, 3, "one kernel a step");
      assert(!names.includes(SGD_VELOCITY), "no two-kernel update ran");
      await tf.setBackend(REF);
      const cpu = await readAll(threeSteps(false, lrAsTensor));
      cpu.forEach((ref, i) => assertLess(relErr(ref, inPlace[i]), 1e-6, `tensor ${i} vs cpu`));
      await tf.setBackend(WEBGPU_BACKEND);
    }
  },
});

Deno.test({
  name:
    "webgpu in-place SGD never changes another tensor that shares a variable's data (it gets its own copy)",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["inPlace"]);
    await tf.setBackend(WEBGPU_BACKEND);
    const backend = tf.backend() as SelectivityWebGpuBackend;
    const initial = tf.tensor1d([1, 2, 3]);
    const w = tf.variable(initial, true, "shared-w"); // shares initial's data
    const v = tf.variable(tf.zeros([3]), false, "shared-v");
    assert(!backend.isSoleOwner(w.dataId), "w shares its data with `initial`");
    const g = tf.tensor1d([1, 1, 1]);
    momentumSgdInPlace([w], [v], [g], { lr: 0.5, momentum: 0.9, weightDecay: 0 });
    assertEqualJson(Array.from(await initial.data()), [1, 2, 3], "the tensor w was made from is unchanged");
    assertEqualJson(Array.from(await w.data()), [0.5, 1.5, 2.5], "w = w − 0.5·g");
    assert(backend.isSoleOwner(w.dataId), "w owns its copy");
    const before = w.dataId;
    momentumSgdInPlace([w], [v], [g], { lr: 0.5, momentum: 0.9, weightDecay: 0 });
    assert(w.dataId === before, "a sole owner is updated where it is");
    const expected = [-0.45, 0.55, 1.55]; // v = 0.9·1 + 1 = 1.9; w −= 0.5·v
    (await w.data()).forEach((x, i) => assertLess(Math.abs(x - expected[i]), 1e-6, `w[${i}]`));
    tf.dispose([initial, w, v, g]);
  },
});

Deno.test({
  name: "webgpu in-place moving averages give the per-statistic kernel's bits",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["batchNorm", "inPlace"]);
    await tf.setBackend(WEBGPU_BACKEND);
    const C = 70;
    const stats = tf.tensor2d(seeded(2 * C, 7), [2, C]);
    const old = [tf.tensor1d(seeded(C, 8)), tf.tensor1d(seeded(C, 9))];
    const expected = await readAll(
      old.map((o, row) =>
        tf.engine().runKernel(MOVING_AVERAGE, { old: o, stats }, { row, momentum: 0.9 }) as tf.Tensor
      ),
    );
    const [mean, variance] = [8, 9].map((seed) => {
      const initial = tf.tensor1d(seeded(C, seed));
      const variable = tf.variable(initial, false, `moving${seed}`);
      initial.dispose();
      return variable;
    });
    tf.engine().runKernel(MOVING_AVERAGES_IN_PLACE, { mean, variance, stats }, { momentum: 0.9 });
    const got = await readAll([mean.clone(), variance.clone()]);
    got.forEach((g, i) => assert(g.join() === expected[i].join(), `row ${i} bit for bit`));
    tf.dispose([stats, ...old, mean, variance]);
  },
});

Deno.test({
  name:
    "webgpu step graph of an in-place SGD step: replays match eager steps, honour an outside assign, and leave " +
    "the tensor assigned from unchanged",
  ignore: noAdapter,
  fn: async () => {
    registerWebGpuKernels(["inPlace"]);
    await tf.setBackend(WEBGPU_BACKEND);
    useDispatchCache(tf.backend());
    let made = 0;
    const make = () => {
      const initial = [tf.tensor1d(seeded(40, 3)), tf.zeros([40])];
      const w = tf.variable(initial[0], true, `gw${made}`);
      const v = tf.variable(initial[1], false, `gv${made++}`);
      tf.dispose(initial); // (the variables own their data: updated in place from the first step)
      const step = (g: tf.Tensor) => {
        momentumSgdInPlace([w], [v], [g], { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
        return [tf.sum(w)];
      };
      return { w, v, step };
    };
    const gradient = (i: number) => seeded(40, 50 + i);
    const outsideValue = seeded(40, 99);
    // Eager: 4 steps, the outside assign after the second.
    const eager = make();
    for (let i = 0; i < 4; i++) {
      if (i === 2) eager.w.assign(tf.tensor1d(outsideValue));
      const g = tf.tensor1d(gradient(i));
      tf.dispose([...eager.step(g), g]);
    }
    const eagerW = Array.from(await eager.w.data()), eagerV = Array.from(await eager.v.data());
    // Captured on step 0, replayed for 1–3.
    const m = make();
    const g = tf.tensor1d(gradient(0));
    const graph = captureStep(() => m.step(g), [g]);
    tf.dispose(g);
    assert(graph.unreplayable === null, `replayable, got ${graph.unreplayable}`);
    assertEqualJson(graph.assignedVariables, 2, "w and v are written (in place)");
    const wBuffer = m.w.dataId;
    const outside = tf.tensor1d(outsideValue);
    for (let i = 1; i < 4; i++) {
      if (i === 2) m.w.assign(outside); // (shares outside's data)
      graph.replay([gradient(i)]);
    }
    assert(Array.from(await outside.data()).join() === Array.from(outsideValue).join(), "outside unchanged");
    assert(Array.from(await m.w.data()).join() === eagerW.join(), "w as eager, bit for bit");
    assert(Array.from(await m.v.data()).join() === eagerV.join(), "v as eager, bit for bit");
    assert(m.w.dataId !== wBuffer, "(the outside assign moved w; the replay wrote its new place)");
    graph.dispose();
    tf.dispose([eager.w, eager.v, m.w, m.v, outside]);
  },
});
