import assert from "node:assert/strict";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { parseNpyHeader, readNpyRows } from "../../../lib/corruptions/npy.ts";
import { loadCifar10C, loadTinyImagenetC } from "../../../lib/corruptions/official.ts";

/** A .npy file (version 1 or 2) of `data` with dtype `descr` and `shape`, header padded to 64 bytes. */
function npy(
  descr: string,
  shape: number[],
  data: Uint8Array,
  version: 1 | 2 = 1,
  fortran = false,
): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${
    fortran ? "True" : "False"
  }, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  header += " ".repeat(63 - ((pre + header.length) % 64)) + "\n";
  const out = new Uint8Array(pre + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(data, pre + header.length);
  return out;
}

Deno.test("npy: header of v1 and v2 files, row ranges, int64 values", async () => {
  const dir = await Deno.makeTempDir();
  const values = BigInt64Array.from([3n, 1n, 4n, 1n, 5n, 9n]);
  for (const version of [1, 2] as const) {
    const path = join(dir, `v${version}.npy`);
    await Deno.writeFile(path, npy("<i8", [6], new Uint8Array(values.buffer), version));
    const rows = await readNpyRows(path, 2, 3);
    assert.deepStrictEqual(Array.from(rows.values), [4, 1, 5]);
    assert.deepStrictEqual(rows.header.shape, [6]);
    assert.equal(rows.header.dataOffset % 64, 0);
  }
  assert.throws(() => parseNpyHeader(new Uint8Array(20), "x.npy"), /x.npy: not a .npy file/);
  assert.throws(
    () => parseNpyHeader(npy("|u1", [2, 2], new Uint8Array(4), 1, true), "f.npy"),
    /f.npy: Fortran/,
  );
  assert.throws(
    () => parseNpyHeader(npy("<c8", [2], new Uint8Array(16)), "c.npy"),
    /c.npy: unsupported dtype/,
  );
  await assert.rejects(() => readNpyRows(join(dir, "v1.npy"), 5, 3), /rows 5..8 requested/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CIFAR-10-C loader: severity s is rows [(s−1)n, sn), labels from labels.npy, index subsets", async () => {
  const dir = await Deno.makeTempDir();
  const n = 4, side = 2, size = side * side * 3;
  // Image k of severity s is filled with 10·s + k.
  const images = new Uint8Array(5 * n * size);
  for (let s = 1; s <= 5; s++) {
    for (let k = 0; k < n; k++) {
      images.fill(10 * s + k, ((s - 1) * n + k) * size, ((s - 1) * n + k + 1) * size);
    }
  }
  await Deno.writeFile(join(dir, "fog.npy"), npy("|u1", [5 * n, side, side, 3], images));
  const labels = BigInt64Array.from({ length: 5 * n }, (_, i) => BigInt((i % n) * 2));
  await Deno.writeFile(join(dir, "labels.npy"), npy("<i8", [5 * n], new Uint8Array(labels.buffer)));
  const s3 = await loadCifar10C(dir, "fog", 3);
  assert.deepStrictEqual(s3.shape, [2, 2, 3]);
  assert.deepStrictEqual(Array.from({ length: n }, (_, k) => s3.images[k * size]), [30, 31, 32, 33]);
  assert.deepStrictEqual(Array.from(s3.labels), [0, 2, 4, 6]);
  const sub = await loadCifar10C(dir, "fog", 5, [3, 1]);
  assert.deepStrictEqual([sub.images[0], sub.images[size], ...sub.labels], [53, 51, 6, 2]);
  await assert.rejects(() => loadCifar10C(dir, "snow", 1), /snow.npy: cannot open/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Tiny-ImageNet-C loader: <corruption>/<severity>/<wnid>/*.JPEG, labels by wnid order", async () => {
  const dir = await Deno.makeTempDir();
  const wnids = ["n001", "n002", "n003"];
  const side = 8;
  for (const [wnid, value] of [["n003", 200], ["n001", 40]] as const) {
    const folder = join(dir, "fog", "2", wnid);
    await Deno.mkdir(folder, { recursive: true });
    const rgba = new Uint8Array(side * side * 4).fill(value);
    const encoded = jpeg.encode({ data: rgba, width: side, height: side }, 95).data;
    await Deno.writeFile(join(folder, "a.JPEG"), new Uint8Array(encoded));
  }
  const set = await loadTinyImagenetC(dir, "fog", 2, wnids, side);
  assert.equal(set.n, 2);
  assert.deepStrictEqual(Array.from(set.labels), [0, 2]);
  assert.ok(Math.abs(set.images[0] - 40) <= 2 && Math.abs(set.images[side * side * 3] - 200) <= 2);
  await assert.rejects(() => loadTinyImagenetC(dir, "fog", 2, ["n001"], side), /'n003' is not among/);
  await assert.rejects(() => loadTinyImagenetC(dir, "fog", 2, wnids, 16), /expected 16x16/);
  await Deno.remove(dir, { recursive: true });
});
