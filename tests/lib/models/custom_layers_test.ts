import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { ZeroPadShortcut } from "../../../lib/models/custom_layers.ts";

await tf.setBackend("cpu");

Deno.test("ZeroPadShortcut keeps x[:, ::2, ::2, :] and pads channels equally on both sides", () => {
  const [b, h, w, c, out] = [2, 4, 6, 2, 6];
  const data = Float32Array.from({ length: b * h * w * c }, (_, i) => i + 1);
  const y = new ZeroPadShortcut({ outChannels: out }).apply(tf.tensor4d(data, [b, h, w, c])) as tf.Tensor;
  assert.deepEqual(y.shape, [b, h / 2, w / 2, out]);
  const got = y.dataSync();
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < h / 2; i++) {
      for (let j = 0; j < w / 2; j++) {
        for (let k = 0; k < out; k++) {
          const src = k - 2; // (6 − 2) / 2 zero channels in front
          const want = src >= 0 && src < c ? data[((n * h + 2 * i) * w + 2 * j) * c + src] : 0;
          assert.equal(got[((n * (h / 2) + i) * (w / 2) + j) * out + k], want);
        }
      }
    }
  }
});

Deno.test("ZeroPadShortcut passes the gradient to the kept positions only", () => {
  const x = tf.randomNormal([1, 2, 2, 1], 0, 1, "float32", 3);
  const layer = new ZeroPadShortcut({ outChannels: 3 });
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, 2)))(x);
  assert.deepEqual(Array.from(dx.dataSync()), [2, 0, 0, 0]);
});
