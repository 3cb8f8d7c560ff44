import assert from "node:assert/strict";
import { parseCifar10Batch, parseCifar10Meta } from "../../../lib/data/cifar10.ts";
import { encodeCifar } from "./helpers.ts";

const value = (i: number, c: number, y: number, x: number) => (i * 7 + c * 50 + y * 3 + x) % 256;

Deno.test("parseCifar10Batch converts planar CHW records to HWC exactly", () => {
  const d = parseCifar10Batch(encodeCifar([3, 9, 0], value), "b.bin");
  assert.deepEqual(d.shape, [32, 32, 3]);
  assert.deepEqual([...d.labels], [3, 9, 0]);
  for (let i = 0; i < 3; i++) {
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) {
          const got = d.images[((i * 32 + y) * 32 + x) * 3 + c];
          if (got !== value(i, c, y, x)) assert.fail(`image ${i} (${y},${x}) channel ${c}: ${got}`);
        }
      }
    }
  }
});

Deno.test("parseCifar10Batch rejects truncated files and bad labels", () => {
  const rec = encodeCifar([1, 2], value);
  assert.throws(
    () => parseCifar10Batch(rec.subarray(0, 5000), "b.bin"),
    /b\.bin: 5000 bytes is not a whole number/,
  );
  assert.throws(
    () => parseCifar10Batch(new Uint8Array(0), "b.bin"),
    /not a whole number of CIFAR-10 records/,
  );
  assert.throws(() => parseCifar10Batch(encodeCifar([10], value), "b.bin"), /b\.bin: label 10 at index 0/);
});

Deno.test("parseCifar10Meta reads the 10 class names and checks the count", () => {
  const names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
  assert.deepEqual(parseCifar10Meta(names.join("\n") + "\n\n", "m"), names);
  assert.throws(
    () => parseCifar10Meta(names.slice(1).join("\n"), "m.txt"),
    /m\.txt: expected 10 class names/,
  );
});
