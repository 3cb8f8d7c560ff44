import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { idxDataset, parseIdx } from "../../../lib/data/idx.ts";
import { encodeIdx } from "./helpers.ts";

const pixels = Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
const images = encodeIdx([3, 2, 4], pixels);
const labels = encodeIdx([3], [2, 0, 1]);

Deno.test("parseIdx reads raw and gzipped files identically and exactly", () => {
  for (const bytes of [images, new Uint8Array(gzipSync(images))]) {
    const { dims, data } = parseIdx(bytes, "x");
    assert.deepEqual(dims, [3, 2, 4]);
    assert.deepEqual([...data], pixels);
  }
});

Deno.test("idxDataset pairs images and labels, one channel, NHWC", () => {
  const d = idxDataset({ file: "i", bytes: images }, { file: "l", bytes: new Uint8Array(gzipSync(labels)) }, [
    "a",
    "b",
    "c",
  ]);
  assert.deepEqual(d.shape, [2, 4, 1]);
  assert.deepEqual([...d.labels], [2, 0, 1]);
  // image 1, row 1, column 3 is element 1*8 + 1*4 + 3 of the IDX data.
  assert.equal(d.images[1 * 8 + 1 * 4 + 3], pixels[15]);
  assert.deepEqual(d.classes, ["a", "b", "c"]);
});

Deno.test("bad IDX files get errors naming the file and what was expected", () => {
  const bad = (bytes: Uint8Array, pattern: RegExp) => assert.throws(() => parseIdx(bytes, "f.idx"), pattern);
  bad(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), /f\.idx: not an IDX file \(expected magic bytes 00 00 08/);
  bad(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), /f\.idx: IDX data type is float32/);
  bad(
    images.subarray(0, images.length - 1),
    /f\.idx: IDX file truncated: dims 3x2x4 need 40 bytes, file has 39/,
  );
  bad(new Uint8Array([...images, 0]), /f\.idx: IDX file has trailing bytes/);
  bad(images.subarray(0, 9), /f\.idx: truncated IDX header \(9 bytes, expected at least 16\)/);
  bad(new Uint8Array(gzipSync(images)).subarray(0, 30), /f\.idx: gzip data is corrupt or truncated/);
  bad(new Uint8Array(0), /not an IDX file/);
});

Deno.test("idxDataset rejects mismatched counts, wrong ranks and out-of-range labels", () => {
  const cls = ["a", "b", "c"];
  assert.throws(
    () => idxDataset({ file: "i", bytes: images }, { file: "l", bytes: encodeIdx([2], [0, 1]) }, cls),
    /i has 3 images but l has 2 labels/,
  );
  assert.throws(
    () => idxDataset({ file: "i", bytes: encodeIdx([3, 8], pixels) }, { file: "l", bytes: labels }, cls),
    /i: expected 3 IDX dimensions/,
  );
  assert.throws(
    () => idxDataset({ file: "i", bytes: images }, { file: "l", bytes: labels }, ["a", "b"]),
    /l: label 2 at index 0 is not a class index \(expected 0\.\.1\)/,
  );
});
