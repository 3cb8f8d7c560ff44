import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DEBIAN_FASHION_MNIST_DIR } from "../../lib/data/catalog.ts";
import { loadPrepared, type PreparedSplit } from "../../lib/data/prepared.ts";
import { parseDataParams, prepareData } from "../../stages/prepare_data.ts";

const rowKeys = (s: PreparedSplit) => {
  const size = s.shape[0] * s.shape[1] * s.shape[2];
  return Array.from({ length: s.n }, (_, i) => s.images.subarray(i * size, (i + 1) * size).join(","));
};
const readAll = async (dir: string) =>
  Object.fromEntries(
    await Promise.all(
      [...Deno.readDirSync(dir)].map(async (e) => [e.name, await Deno.readFile(join(dir, e.name))]),
    ),
  );

Deno.test("prepare-data on the synthetic set: sizes, disjoint splits, determinism", async () => {
  const out = await Deno.makeTempDir();
  const params = (o: string, seed: number) =>
    parseDataParams({
      data: { name: "synthetic", out: o, seed, val_fraction: 0.2, synthetic: { train: 200, test: 40 } },
    });
  const { meta } = await prepareData(params(out, 3));
  const d = await loadPrepared(out);
  assert.deepEqual(d.meta, meta);
  // 50 images per class; round(50 · 0.2) = 10 of each class go to validation.
  assert.deepEqual(meta.splits, { train: 160, val: 40, test: 40 });
  assert.deepEqual(d.train.shape, [16, 16, 1]);
  for (let c = 0; c < 4; c++) assert.equal(d.val.labels.filter((l) => l === c).length, 10, `val class ${c}`);
  const train = new Set(rowKeys(d.train));
  assert.ok(rowKeys(d.val).every((k) => !train.has(k)), "a validation image is also in train");
  assert.equal(train.size, 160);

  const again = await Deno.makeTempDir();
  await prepareData(params(again, 3));
  assert.deepEqual(await readAll(again), await readAll(out));
  const other = await Deno.makeTempDir();
  await prepareData(params(other, 4));
  assert.notDeepEqual((await loadPrepared(other)).val.images, d.val.images);
  for (const dir of [out, again, other]) await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare-data params: defaults, and errors that name the key", () => {
  const p = parseDataParams({ data: { name: "synthetic" } });
  assert.equal(p.val_fraction, 0.1);
  assert.equal(p.out, "outputs/data");
  assert.deepEqual(p.synthetic.shape, [16, 16, 1]);
  assert.throws(() => parseDataParams({ data: { name: "imagenet" } }), /invalid params: data\.name/);
  assert.throws(() => parseDataParams({ data: { name: "mnist", limit_train: -1 } }), /data\.limit_train/);
  assert.throws(() => parseDataParams({}), /invalid params: data:/);
});

Deno.test("prepare-data: datasets that need data.dir say so", async () => {
  for (const name of ["mnist", "cifar10", "tiny-imagenet"]) {
    await assert.rejects(
      prepareData(parseDataParams({ data: { name } })),
      new RegExp(`data\\.dir is required for data\\.name "${name}"`),
    );
  }
});

Deno.test("prepare-data runs as a stage process and prints one summary line", async () => {
  const out = await Deno.makeTempDir();
  const run = (data: Record<string, unknown>) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../stages/prepare_data.ts", import.meta.url).pathname],
      env: { PIPELINE_PARAMS: JSON.stringify({ data }) },
    }).output();
  const ok = await run({ name: "synthetic", out, synthetic: { train: 40, test: 8 } });
  const stdout = new TextDecoder().decode(ok.stdout);
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  assert.match(
    stdout,
    /^prepare-data: synthetic \(generated\) 16x16x1, 4 classes: train 36, val 4, test 8 -> .*\n$/,
  );
  const bad = await run({ name: "synthetic", val_fraction: 1 });
  assert.equal(bad.code, 1);
  assert.match(new TextDecoder().decode(bad.stderr), /data\.val_fraction/);
  await Deno.remove(out, { recursive: true });
});

const hasFashion = (() => {
  try {
    return Deno.statSync(join(DEBIAN_FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz")).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "prepare-data on the real Fashion-MNIST with small limits",
  ignore: !hasFashion,
  async fn() {
    const out = await Deno.makeTempDir();
    const { meta } = await prepareData(
      parseDataParams({
        data: { name: "fashion-mnist", out, limit_train: 600, limit_test: 200, val_fraction: 0.1 },
      }),
    );
    assert.deepEqual(meta.splits, { train: 540, val: 60, test: 200 });
    assert.equal(meta.classes[9], "Ankle boot");
    const d = await loadPrepared(out);
    // Fashion-MNIST is balanced, so the stratified caps keep exactly equal class counts.
    for (let c = 0; c < 10; c++) {
      assert.equal(d.test.labels.filter((l) => l === c).length, 20);
      assert.equal(d.val.labels.filter((l) => l === c).length, 6);
    }
    // Every prepared test image, with its label, is a row of the original t10k files (read here independently).
    const raw = gunzipSync(await Deno.readFile(join(DEBIAN_FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz")));
    const rawLabels = gunzipSync(
      await Deno.readFile(join(DEBIAN_FASHION_MNIST_DIR, "t10k-labels-idx1-ubyte.gz")),
    );
    const original = new Map<string, number>();
    for (let i = 0; i < 10000; i++) {
      original.set(raw.subarray(16 + i * 784, 16 + (i + 1) * 784).join(","), rawLabels[8 + i]);
    }
    rowKeys(d.test).forEach((k, i) => assert.equal(original.get(k), d.test.labels[i], `test image ${i}`));
    await Deno.remove(out, { recursive: true });
  },
});
