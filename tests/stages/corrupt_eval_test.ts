/**
 * Stage `corrupt-eval` through its entry point on tiny saved models: each declared `corrupt` param moves the
 * output the way it should — the corruption and severity selection, the seed of the draws and of the subset,
 * the subset size, the example images, the official CIFAR-10-C files — and the batch size does not move the
 * numbers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadPrepared } from "../../lib/data/prepared.ts";
import { loadModel } from "../../lib/models/io.ts";
import { predictClasses } from "../../lib/eval/predict.ts";
import { corruptionRng, corruptStored, EXTRA_CORRUPTIONS } from "../../lib/corruptions/registry.ts";
import { stratifiedSample } from "../../lib/data/split.ts";
import { deriveSeed } from "../../lib/random.ts";
import { decodePng } from "../lib/eval/png_decode.ts";
import {
  assertDiffer,
  npyUint8,
  pngSize,
  runAll,
  runCorruptData,
  runStageScript,
  stageFixture,
} from "./stage_fixture.ts";

const fx = await stageFixture([28, 28, 1], 40);
const base = {
  corruptions: ["gaussian_noise", "contrast"],
  severities: [1, 5],
  seed: 0,
  limit: 20,
  examples: 2,
};
const run = (p: Record<string, unknown>, tag: string) => async () => {
  const examples = join(fx.dir, `examples-${tag}`);
  const corrupted = join(fx.dir, `corrupted-${tag}`);
  const params = { corrupt: { ...base, ...p } };
  await runCorruptData(fx, params, corrupted);
  const r = await runStageScript(fx, "corrupt_eval.ts", params, [
    "--examples",
    examples,
    "--corrupted",
    corrupted,
  ]);
  return { ...r, examples: join(examples, "a0-s1") };
};

async function pngOrNull(path: string): Promise<Uint8Array | null> {
  return await Deno.readFile(path).catch(() => null);
}

Deno.test("corrupt-eval: every declared param reaches the evaluation", async () => {
  const [a, extra, sev, seed, all, none, three, batch] = await runAll([
    run({}, "a"),
    run({ corruptions: "extra" }, "extra"),
    run({ severities: [3, 2, 3] }, "sev"),
    run({ seed: 4 }, "seed"),
    run({ limit: null }, "all"),
    run({ examples: 0 }, "none"),
    run({ examples: 3 }, "three"),
    run({ batch_size: 3 }, "batch"),
  ]);
  const j = a.json;
  assert.equal(j.source, "generated");
  assert.equal(j.table, "gray28");
  assert.equal(j.n_images, 20);
  assert.deepEqual(Object.keys(j.accuracy), ["gaussian_noise", "contrast"]);
  assert.deepEqual(Object.keys(j.accuracy.contrast), ["1", "5"]);
  assert.deepEqual(Object.keys(extra.json.accuracy), [...EXTRA_CORRUPTIONS]);
  assert.deepEqual(
    Object.keys(sev.json.accuracy.gaussian_noise),
    ["2", "3"],
    "severities deduplicated, sorted",
  );
  assert.equal(all.json.n_images, 40, "limit null: the whole test split");
  assertDiffer(
    j.clean_accuracy === all.json.clean_accuracy ? j.accuracy : j.clean_accuracy,
    all.json.accuracy,
    "limit",
  );

  // Example PNGs: one row per example (28 px), clean + one column per severity.
  const png = await pngOrNull(join(a.examples, "gaussian_noise.png"));
  assert.ok(png, "examples: 2 writes a PNG per corruption");
  assert.deepEqual(pngSize(png), { width: 3 * 28, height: 2 * 28 });
  assert.deepEqual(pngSize((await pngOrNull(join(three.examples, "contrast.png")))!), {
    width: 84,
    height: 84,
  });
  assert.equal(await pngOrNull(join(none.examples, "gaussian_noise.png")), null, "examples: 0 writes none");
  // The seed changes the noise drawn (and the subset): the corrupted example pixels differ.
  assertDiffer(png, await pngOrNull(join(seed.examples, "gaussian_noise.png")), "corrupt.seed");
  assert.deepEqual(await pngOrNull(join(batch.examples, "gaussian_noise.png")), png);
  // What the grid shows, recomputed here: row k is subset image k, clean then severities 1 and 5, each drawn
  // from the stream of (seed, corruption, severity, test-set index).
  const { test } = await loadPrepared(fx.data);
  const subset = stratifiedSample(test.labels, 20, deriveSeed(0, "corrupt-subset"));
  const { pixels } = decodePng(png, 1);
  for (let k = 0; k < 2; k++) {
    const clean = test.images.subarray(subset[k] * 784, (subset[k] + 1) * 784);
    const cells = [
      clean,
      ...[1, 5].map((s) =>
        corruptStored(
          clean,
          [28, 28, 1],
          "gaussian_noise",
          s,
          corruptionRng(0, "gaussian_noise", s, subset[k]),
        )
      ),
    ];
    cells.forEach((cell, col) => {
      for (let y = 0; y < 28; y++) {
        const row = pixels.subarray((k * 28 + y) * 84 + col * 28, (k * 28 + y) * 84 + col * 28 + 28);
        assert.deepEqual(row, cell.subarray(y * 28, y * 28 + 28), `example ${k}, column ${col}, line ${y}`);
      }
    });
  }
  // A later run with fewer corruptions leaves no stale example behind.
  await run({ corruptions: ["contrast"] }, "a")();
  assert.equal(await pngOrNull(join(a.examples, "gaussian_noise.png")), null, "stale example removed");
  assert.ok(await pngOrNull(join(a.examples, "contrast.png")));
  assert.deepEqual(batch.json.accuracy, j.accuracy, "batch_size changes batching, not accuracy");
  assert.equal(batch.json.clean_accuracy, j.clean_accuracy);
});

Deno.test("corrupt-eval: official_dir reads the CIFAR-10-C files, subset by limit, labelled official", async () => {
  const cf = await stageFixture([32, 32, 3], 30, 3);
  const { test } = await loadPrepared(cf.data);
  const size = 32 * 32 * 3;
  // Every severity holds the clean test images; the labels are the true ones at severity 1, the model's own
  // predictions at 2 and the next class after its prediction at 3, so the accuracies are clean, 1 and 0 exactly
  // when the stage reads each severity's block of both files.
  const pred = await predictClasses(await loadModel(join(cf.models, "a0-s1")), test.images, [32, 32, 3], 64);
  const images = new Uint8Array(5 * test.n * size);
  const labels = new Uint8Array(5 * test.n);
  for (let s = 0; s < 5; s++) {
    images.set(test.images, s * test.n * size);
    for (let i = 0; i < test.n; i++) {
      labels[s * test.n + i] = s === 0 ? test.labels[i] : s === 1 ? pred[i] : (pred[i] + 1) % 3;
    }
  }
  const dir = join(cf.dir, "CIFAR-10-C");
  await Deno.mkdir(dir);
  await Deno.writeFile(join(dir, "brightness.npy"), npyUint8([5 * test.n, 32, 32, 3], images));
  await Deno.writeFile(join(dir, "labels.npy"), npyUint8([5 * test.n], labels));
  const params = (p: Record<string, unknown>) => ({
    corrupt: { corruptions: ["brightness"], severities: [1, 2, 3], official_dir: dir, examples: 1, ...p },
  });
  const ex = join(cf.dir, "ex");
  const [full, sub] = await runAll([
    () => runStageScript(cf, "corrupt_eval.ts", params({}), ["--examples", ex]),
    () => runStageScript(cf, "corrupt_eval.ts", params({ limit: 12 }), ["--examples", ex + "2"]),
  ]);
  assert.equal(full.json.source, "official");
  assert.equal(full.json.table, null);
  const clean = pred.reduce((k, p, i) => k + (p === test.labels[i] ? 1 : 0), 0) / test.n;
  assert.ok(clean > 0.4 && clean < 1, `premise: a model better than chance, not perfect (${clean})`);
  assert.deepEqual(full.json.accuracy.brightness, { "1": clean, "2": 1, "3": 0 });
  assert.equal(full.json.clean_accuracy, clean);
  // limit 12: a stratified subset of the official rows, the same rows for every severity.
  const sev1 = sub.json.accuracy.brightness["1"];
  assert.ok(
    Math.abs(sev1 * 12 - Math.round(sev1 * 12)) < 1e-9,
    `limit 12: accuracy ${sev1} in steps of 1/12`,
  );
  assert.deepEqual([sub.json.accuracy.brightness["2"], sub.json.accuracy.brightness["3"]], [1, 0]);
  assertDiffer(sub.json.accuracy, full.json.accuracy, "corrupt.limit with official files");
  assert.deepEqual(pngSize(await Deno.readFile(join(ex, "a0-s1", "brightness.png"))), {
    width: 96,
    height: 32,
  });
});
