/**
 * The corrupted sets of `corrupt-data`: what the folder holds equals corrupting the seeded subset image by image
 * here, NumPy reads the files as the layout says, and a folder that does not fit the evaluation (other seed,
 * subset size or data; a missing corruption or severity; no folder at all) is refused with the fix.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../../lib/backends/select.ts";
import { openCorruptedSets, writeCorruptedSets } from "../../../lib/corruptions/corrupted_sets.ts";
import { evaluateCorruptions } from "../../../lib/corruptions/evaluate.ts";
import { corruptionRng, corruptStored } from "../../../lib/corruptions/registry.ts";
import { sha256Hex } from "../../../lib/data/digest.ts";
import { stratifiedSample } from "../../../lib/data/split.ts";
import { buildModel } from "../../../lib/models/registry.ts";
import { deriveSeed, Rng } from "../../../lib/random.ts";

await initBackend("cpu");

const shape: [number, number, number] = [28, 28, 1];
const size = 28 * 28, n = 30;
const rng = new Rng(5);
const split = {
  images: Uint8Array.from({ length: n * size }, () => rng.int(256)),
  labels: Uint8Array.from({ length: n }, (_, i) => i % 3),
  n,
  shape,
};
const cfg = { corruptions: ["fog", "shot_noise"] as const, severities: [2, 4], seed: 7, limit: 12 };

Deno.test("corrupted sets: each (corruption, severity) block is the subset corrupted image by image", async () => {
  const dir = await Deno.makeTempDir();
  const meta = await writeCorruptedSets(dir, split, cfg, undefined, 2); // on two worker threads
  const subset = stratifiedSample(split.labels, 12, deriveSeed(7, "corrupt-subset"));
  assert.deepEqual(meta.subset, Array.from(subset));
  const sets = await openCorruptedSets(dir);
  for (const name of cfg.corruptions) {
    for (const severity of cfg.severities) {
      const got = await sets.read(name, severity);
      assert.equal(got.length, 12 * size);
      for (let k = 0; k < 12; k++) {
        const clean = split.images.subarray(subset[k] * size, (subset[k] + 1) * size);
        const want = corruptStored(clean, shape, name, severity, corruptionRng(7, name, severity, subset[k]));
        assert.deepEqual(got.subarray(k * size, (k + 1) * size), want, `${name} ${severity} image ${k}`);
      }
    }
  }
  // NumPy reads each file as uint8 (severities · n, H, W, C), severity blocks in order.
  const fog4 = await sets.read("fog", 4);
  const py = new Deno.Command("python3", {
    args: [
      "-c",
      "import sys, hashlib, numpy as np\n" +
      "a = np.load(sys.argv[1])\n" +
      "print(a.dtype, a.shape, hashlib.sha256(np.ascontiguousarray(a[12:24]).tobytes()).hexdigest())",
      join(dir, "fog.npy"),
    ],
  }).outputSync();
  assert.equal(py.code, 0, new TextDecoder().decode(py.stderr));
  assert.equal(new TextDecoder().decode(py.stdout).trim(), `uint8 (24, 28, 28, 1) ${await sha256Hex(fog4)}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("corrupted sets: the same files on this thread and on 1 or 3 worker threads; progress hears each", async () => {
  const many = { ...cfg, corruptions: ["frost", "spatter", "glass_blur", "gaussian_noise"] as const };
  const files = async (workers: number) => {
    const dir = await Deno.makeTempDir();
    const heard: string[] = [];
    await writeCorruptedSets(
      dir,
      split,
      many,
      (done, total, name) => heard.push(`${done}/${total} ${name}`),
      workers,
    );
    const bytes = await Promise.all(
      [...many.corruptions.map((c) => `${c}.npy`), "meta.json"].map((f) => Deno.readFile(join(dir, f))),
    );
    await Deno.remove(dir, { recursive: true });
    return { bytes, heard };
  };
  const here = await files(0);
  assert.deepEqual(here.heard, ["1/4 frost", "2/4 spatter", "3/4 glass_blur", "4/4 gaussian_noise"]);
  for (const workers of [1, 3]) {
    const got = await files(workers);
    assert.deepEqual(got.bytes, here.bytes, `${workers} workers`);
    assert.deepEqual(got.heard.map((h) => h.split(" ")[0]), ["1/4", "2/4", "3/4", "4/4"]);
    assert.deepEqual(got.heard.map((h) => h.split(" ")[1]).sort(), [...many.corruptions].sort());
  }
});

Deno.test("corrupted sets: a folder that does not fit the evaluation is refused, naming the fix", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(openCorruptedSets(join(dir, "none")), /meta\.json: not found.*corrupt-data/);
  await writeCorruptedSets(dir, split, cfg);
  const sets = await openCorruptedSets(dir);
  await assert.rejects(sets.read("fog", 3), /holds no fog at severity 3.*rerun stage corrupt-data/);
  await assert.rejects(sets.read("snow", 2), /holds no snow at severity 2/);
  const { model } = buildModel("cnn", { inputShape: [...shape], numClasses: 3, seed: 1 });
  const evaluate = (over: Record<string, unknown>, images = split.images) =>
    evaluateCorruptions(model, { ...split, images }, shape, {
      ...cfg,
      batchSize: 8,
      corrupted: sets,
      officialDir: null,
      officialWnids: null,
      examples: 0,
      dataset: "synthetic",
      ...over,
    });
  assert.ok((await evaluate({})).accuracy.fog?.["4"] !== undefined, "premise: the fitting folder evaluates");
  await assert.rejects(evaluate({ seed: 8 }), /made with seed 7, not 8; rerun stage corrupt-data/);
  await assert.rejects(evaluate({ limit: 20 }), /made with limit 12, not 20/);
  const changed = split.images.slice();
  changed[0] ^= 1;
  changed[changed.length - 1] ^= 1; // one of the two ends is in the subset, whichever rows it drew
  await assert.rejects(evaluate({}, changed), /other test images/);
  await Deno.writeTextFile(join(dir, "meta.json"), "{");
  await assert.rejects(openCorruptedSets(dir), /meta\.json: not JSON.*rerun stage corrupt-data/);
  await Deno.remove(dir, { recursive: true });
});
