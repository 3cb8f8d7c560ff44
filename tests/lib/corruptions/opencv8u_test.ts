import assert from "node:assert/strict";
import { canny, distanceTransform, equalizeHist, filter2dU8 } from "../../../lib/corruptions/opencv8u.ts";
import { assertClose } from "./helpers.ts";

Deno.test("distance transform: 5×5 chamfer weights 1, 1.4, 2.1969 around a single zero", () => {
  const img = new Uint8Array(25).fill(255);
  img[12] = 0;
  const d = distanceTransform(img, 5, 5);
  assert.equal(d[12], 0);
  assertClose(d[13], 1, 1e-12);
  assertClose(d[18], 1.4, 1e-12);
  assertClose(d[12 + 5 + 2 - 0], 2.1969, 1e-12); // (1, 2): knight move
  assertClose(d[14], 2, 1e-12);
  assertClose(d[24], 2.8, 1e-12);
});

Deno.test("equalizeHist: spreads used levels over 0..255 (OpenCV mapping)", () => {
  const out = equalizeHist(Uint8Array.of(10, 10, 20, 30));
  // first bin 10 (count 2) → 0; scale 255/2: 20 → round(1·127.5) = 128, 30 → 255.
  assert.deepStrictEqual(Array.from(out), [0, 0, 128, 255]);
  assert.deepStrictEqual(Array.from(equalizeHist(Uint8Array.of(7, 7))), [7, 7]);
});

Deno.test("filter2D 8-bit: saturates and uses reflect-101", () => {
  const img = Uint8Array.of(0, 100, 200, 0, 100, 200, 0, 100, 200);
  const out = filter2dU8(img, 3, 3, [[0, 0, 0], [-1, 0, 1], [0, 0, 0]]);
  // Centre: 200 − 0; left column reflects to 100 − 100 = 0; right column 100 − 200 → saturates to 0.
  assert.deepStrictEqual(Array.from(out), [0, 200, 0, 0, 200, 0, 0, 200, 0]);
  assert.equal(filter2dU8(Uint8Array.of(200), 1, 1, [[0, 0, 0], [0, 2, 0], [0, 0, 0]])[0], 255);
});

Deno.test("canny: a vertical step gives one thin vertical edge line; flat images none", () => {
  const h = 8, w = 8;
  const img = Uint8Array.from({ length: h * w }, (_, i) => (i % w < 4 ? 0 : 200));
  const edges = canny(img, h, w, 50, 150);
  for (let y = 0; y < h; y++) {
    const row = Array.from(edges.subarray(y * w, (y + 1) * w));
    assert.equal(row.filter((v) => v === 255).length, 1, `row ${y}: ${row}`);
    assert.ok(row[3] === 255 || row[4] === 255);
  }
  assert.ok(canny(new Uint8Array(64).fill(90), 8, 8, 50, 150).every((v) => v === 0));
});
