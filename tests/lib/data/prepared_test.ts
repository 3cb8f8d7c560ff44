import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeMeta,
  encodeMeta,
  loadPrepared,
  type PreparedMeta,
  splitFiles,
} from "../../../lib/data/prepared.ts";

const meta: PreparedMeta = {
  format: 1,
  dataset: "synthetic",
  shape: [2, 2, 1],
  classes: ["a", "b"],
  splits: { train: 3, val: 1, test: 2 },
  source_digest: "ab".repeat(32),
  seed: 4,
  val_fraction: 0.25,
  limit_train: null,
  limit_test: 2,
  files: { train: splitFiles("train"), val: splitFiles("val"), test: splitFiles("test") },
};

async function writeDir(m: PreparedMeta, trainLabels = [0, 1, 1]): Promise<string> {
  const dir = await Deno.makeTempDir();
  const rows = { train: trainLabels.length, val: 1, test: 2 };
  let v = 0;
  for (const s of ["train", "val", "test"] as const) {
    await Deno.writeFile(join(dir, `${s}-images.u8`), Uint8Array.from({ length: rows[s] * 4 }, () => v++));
  }
  await Deno.writeFile(join(dir, "train-labels.u8"), Uint8Array.from(trainLabels));
  await Deno.writeFile(join(dir, "val-labels.u8"), Uint8Array.from([1]));
  await Deno.writeFile(join(dir, "test-labels.u8"), Uint8Array.from([0, 1]));
  await Deno.writeTextFile(join(dir, "meta.json"), encodeMeta(m));
  return dir;
}

Deno.test("meta round-trips through encode/decode", () => {
  assert.deepEqual(decodeMeta(encodeMeta(meta), "m"), meta);
});

Deno.test("decodeMeta names the file and the bad key", () => {
  const broken = JSON.parse(encodeMeta(meta));
  delete broken.splits.val;
  broken.val_fraction = 1.5;
  assert.throws(
    () => decodeMeta(JSON.stringify(broken), "d/meta.json"),
    /d\/meta\.json: invalid prepared-data meta \(.*splits\.val.*val_fraction/,
  );
  assert.throws(() => decodeMeta("{", "d/meta.json"), /d\/meta\.json: not valid JSON/);
});

Deno.test("loadPrepared reads every split as written", async () => {
  const dir = await writeDir(meta);
  const d = await loadPrepared(dir);
  assert.deepEqual(d.meta, meta);
  assert.equal(d.train.n, 3);
  assert.deepEqual([...d.train.labels], [0, 1, 1]);
  assert.deepEqual([...d.val.images], [12, 13, 14, 15]);
  assert.deepEqual([...d.test.images], [16, 17, 18, 19, 20, 21, 22, 23]);
  assert.deepEqual(d.test.shape, [2, 2, 1]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadPrepared reports a missing directory, wrong sizes and bad labels", async () => {
  await assert.rejects(
    loadPrepared("/nonexistent/data"),
    /\/nonexistent\/data\/meta\.json not found: run the prepare-data stage/,
  );
  const short = await writeDir(meta, [0, 1]);
  await assert.rejects(loadPrepared(short), /train-images\.u8: 8 bytes, expected 12 \(3 images of 2x2x1\)/);
  const badLabel = await writeDir(meta, [0, 1, 5]);
  await assert.rejects(loadPrepared(badLabel), /train-labels\.u8: label 5 at index 2/);
  for (const d of [short, badLabel]) await Deno.remove(d, { recursive: true });
});
