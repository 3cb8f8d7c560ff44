import assert from "node:assert/strict";
import { join } from "node:path";
import { aggregate } from "../../stages/aggregate.ts";
import { Rng } from "../../lib/random.ts";
import { encodePng } from "../../lib/eval/png.ts";

/** Writes train and corrupt-eval outputs of a 3 α × 3 seed grid where μ_SI rises with α and the
 * clean-controlled corrupted accuracy falls with μ_SI; returns the directories. */
async function fixture(root: string) {
  const dirs = {
    models: join(root, "models"),
    corruption: join(root, "corruption"),
    examples: join(root, "examples"),
    out: join(root, "report"),
  };
  for (const d of [dirs.models, dirs.corruption, join(dirs.examples, "a0-s1")]) {
    await Deno.mkdir(d, { recursive: true });
  }
  const rng = new Rng(1);
  for (const alpha of [-1, 0, 1]) {
    for (const seed of [1, 2, 3]) {
      const run = `a${alpha}-s${seed}`;
      const si = 0.35 + 0.2 * alpha + 0.02 * rng.normal();
      const acc = 0.8 - 0.02 * alpha + 0.005 * rng.normal();
      const ratio = 0.9 - 0.3 * si + 0.01 * rng.normal();
      await Deno.writeTextFile(
        join(dirs.models, `${run}.metrics.json`),
        JSON.stringify({ run, alpha, seed, test: { acc, mean_si: si }, val: { acc } }),
      );
      await Deno.writeTextFile(join(dirs.models, `${run}.curves.json`), "[]");
      await Deno.writeTextFile(
        join(dirs.corruption, `${run}.json`),
        JSON.stringify({ clean_accuracy: acc, mean_corrupted_accuracy: acc * ratio, benchmark: { ratio } }),
      );
    }
  }
  await Deno.writeTextFile(join(dirs.corruption, "a9-s9.json"), "{ not json");
  await Deno.writeFile(
    join(dirs.examples, "a0-s1", "fog.png"),
    encodePng(new Uint8Array(4 * 4 * 3), 4, 4, 3),
  );
  return dirs;
}

Deno.test("aggregate reads the stage outputs, checks the claims and writes the report", async () => {
  const root = await Deno.makeTempDir({ prefix: "aggregate-test-" });
  try {
    const dirs = await fixture(root);
    const params = { aggregate: { seed: 3, resamples: 1000, permutations: 500 } };
    const content = await aggregate(dirs, params);
    const byId = Object.fromEntries(content.claims.map((c) => [c.id, c]));
    assert.equal(byId["1"].verdict, "reproduced");
    assert.equal(byId["5"].verdict, "reproduced");
    assert.equal(byId["1"].n, 9);
    assert.ok(!("6" in byId), "no adversarial metrics yet");
    assert.ok(content.notes.some((n) => n.startsWith("claim 6")), content.notes.join("\n"));
    assert.ok(content.notes.some((n) => n.includes("a9-s9.json: not readable JSON")));
    // 4 metrics vs α + 2 claim scatters.
    assert.equal(content.figures.length, 6);
    assert.equal((await Array.fromAsync(Deno.readDir(join(dirs.out, "plots")))).length, 6);
    const html = await Deno.readTextFile(join(dirs.out, "index.html"));
    assert.equal(html.split("<svg").length - 1, 6);
    assert.equal(html.split("data:image/png;base64,").length - 1, 1);
    const csv = (await Deno.readTextFile(join(dirs.out, "table.csv"))).trim().split("\n");
    assert.equal(csv.length, 10);
    assert.equal(
      csv[0],
      "run,alpha,seed,corrupt_clean_acc,corrupted_acc,corrupted_ratio,mean_si,test_acc,val_acc",
    );
    const verdicts = JSON.parse(await Deno.readTextFile(join(dirs.out, "verdicts.json")));
    assert.deepEqual(verdicts.map((v: { id: string }) => v.id), ["1", "5"]);
    const md = await Deno.readTextFile(join(dirs.out, "summary.md"));
    assert.ok(md.includes("| -1 | 3 |"), "one summary row per α with 3 networks");
    // Same inputs and seed → same bytes.
    await aggregate(dirs, params);
    assert.equal(await Deno.readTextFile(join(dirs.out, "index.html")), html);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("aggregate with no inputs writes an empty report with notes; bad params name the key", async () => {
  const root = await Deno.makeTempDir({ prefix: "aggregate-empty-" });
  try {
    const dirs = {
      models: join(root, "m"),
      corruption: join(root, "c"),
      examples: join(root, "e"),
      out: join(root, "r"),
    };
    const content = await aggregate(dirs, {});
    assert.equal(content.claims.length, 0);
    assert.ok(content.notes.some((n) => n.startsWith("train: no *.metrics.json files")));
    await assert.rejects(() => aggregate(dirs, { aggregate: { level: 2 } }), /aggregate\.level/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
