import * as tf from "@tensorflow/tfjs-core";
import { assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";

/** [a shape, b shape, transposeA, transposeB]; inner size 53, output 37×29 (all odd). */
const CASES: [number[], number[], boolean, boolean][] = [
  [[37, 53], [53, 29], false, false],
  [[37, 53], [29, 53], false, true],
  [[53, 37], [53, 29], true, false],
  [[53, 37], [29, 53], true, true],
  [[1, 53, 37], [29, 53], true, true],
  [[1, 37, 53], [1, 29, 53], false, true],
  [[3, 37, 53], [3, 29, 53], false, true],
];

function product([sa, sb, ta, tb]: (typeof CASES)[number], seed: number): tf.Tensor[] {
  const a = tf.tensor(seeded(tf.util.sizeFromShape(sa), seed), sa);
  const b = tf.tensor(seeded(tf.util.sizeFromShape(sb), seed + 1), sb);
  const out = tf.matMul(a, b, ta, tb);
  tf.dispose([a, b]);
  return [out, tf.tensor1d(out.shape)];
}

const reference: Float32Array[][] = [];
for (const [i, c] of CASES.entries()) reference.push(await runOn(REF, () => product(c, 10 + 2 * i)));

Deno.test("wasm BatchMatMul with transposes matches the stock cpu backend, shapes included", async () => {
  const info = await initBackend("wasm", { threads: 2 });
  assertEqualJson(info.kernels.includes("BatchMatMul:transpose"), true, "installed");
  for (const [i, c] of CASES.entries()) {
    const [got, shape] = await runOn("wasm", () => product(c, 10 + 2 * i));
    const [ref, refShape] = reference[i];
    assertEqualJson(Array.from(shape), Array.from(refShape), `shape of ${JSON.stringify(c)}`);
    assertLess(relErr(ref, got), 1e-5, `values of ${JSON.stringify(c)}`);
  }
});
