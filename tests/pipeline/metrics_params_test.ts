import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { git, makeToy, type Toy } from "./helpers.ts";
import { compact } from "../../pipeline/metrics_compact.ts";
import { fitMetricsDiff, PR_COMMENT_LIMIT } from "../../pipeline/metrics_markdown.ts";
import type { MetricChange } from "../../pipeline/metrics.ts";

/** Two stages with metrics: train@0/1 (a matrix) and eval; each metrics file has results, internals and timings. */
function toyProject() {
  return {
    stages: {
      train: {
        matrix: { s: [0, 1] },
        cmd: 'mkdir -p m && echo \'{"acc": ${lr}, "seed": ${item.s}, "curve": [1, 2], "wall_seconds": 3.5, ' +
          '"backend": {"threads": 1}, "run": "x"}\' > m/t${item.s}.json',
        params: ["lr"],
        metrics: ["m/t${item.s}.json"],
      },
      eval: { cmd: "echo '{\"auc\": ${k}}' > e.json", params: ["k"], metrics: ["e.json"] },
    },
  };
}

async function committed(toy: Toy, message: string) {
  assertEquals((await toy.cli("repro")).code, 0);
  await git(toy.dir, "add", "-A");
  await git(toy.dir, "commit", "-qm", message);
}

Deno.test("metrics show: compact by default, --all for everything, TARGETs by file, directory or stage", async () => {
  await using toy = await makeToy(toyProject(), { lr: 0.5, k: 2 });
  assertEquals((await toy.cli("repro")).code, 0);
  const all = JSON.parse((await toy.cli("metrics", "show", "--json")).out);
  assertEquals(all, {
    "e.json": { auc: 2 },
    "m/t0.json": { acc: 0.5, seed: 0 },
    "m/t1.json": { acc: 0.5, seed: 1 },
  });
  const everything = JSON.parse((await toy.cli("metrics", "show", "--json", "--all")).out);
  assertEquals(Object.keys(everything["m/t0.json"]).sort(), [
    "acc",
    "backend.threads",
    "curve.0",
    "curve.1",
    "run",
    "seed",
    "wall_seconds",
  ]);
  assertEquals(Object.keys(JSON.parse((await toy.cli("metrics", "show", "--json", "e.json")).out)), [
    "e.json",
  ]);
  assertEquals(Object.keys(JSON.parse((await toy.cli("metrics", "show", "--json", "m")).out)), [
    "m/t0.json",
    "m/t1.json",
  ]);
  assertEquals(Object.keys(JSON.parse((await toy.cli("metrics", "show", "--json", "train@1")).out)), [
    "m/t1.json",
  ]);
  assertEquals(
    Object.keys(JSON.parse((await toy.cli("metrics", "show", "--json", "train", "eval")).out)),
    ["e.json", "m/t0.json", "m/t1.json"],
  );
  const bad = await toy.cli("metrics", "show", "nope.json");
  assertEquals(bad.code, 2);
  assertMatch(bad.out, /'nope\.json' names no metrics file/);
});

Deno.test("metrics diff A B and params diff A B compare two revisions; one revision compares with the workspace", async () => {
  await using toy = await makeToy(toyProject(), { lr: 0.5, k: 2 });
  await git(toy.dir, "init", "-q");
  await committed(toy, "one");
  toy.write("params.yaml", "lr: 0.75\nk: 2\n");
  await committed(toy, "two");
  toy.write("params.yaml", "lr: 0.75\nk: 3\n");
  assertEquals((await toy.cli("repro")).code, 0);

  const m = JSON.parse((await toy.cli("metrics", "diff", "HEAD~1", "HEAD", "--json")).out) as MetricChange[];
  assertEquals(m.map((r) => [r.path, r.key, r.old, r.new]), [["m/t0.json", "acc", 0.5, 0.75], [
    "m/t1.json",
    "acc",
    0.5,
    0.75,
  ]]);
  const ws = JSON.parse((await toy.cli("metrics", "diff", "HEAD", "--json")).out) as MetricChange[];
  assertEquals(ws.map((r) => [r.path, r.key, r.old, r.new]), [["e.json", "auc", 2, 3]]);
  const targeted = JSON.parse((await toy.cli("metrics", "diff", "HEAD~1", "--json", "-t", "eval")).out);
  assertEquals(targeted.map((r: MetricChange) => r.key), ["auc"]);
  const unchanged = JSON.parse(
    (await toy.cli("metrics", "diff", "HEAD", "HEAD", "--json", "--unchanged")).out,
  );
  assertEquals(unchanged.length, 5, "every compact metric of the three files, unchanged");

  assertEquals(JSON.parse((await toy.cli("params", "diff", "HEAD~1", "HEAD", "--json")).out), {
    lr: { old: 0.5, new: 0.75 },
  });
  assertEquals(JSON.parse((await toy.cli("params", "diff", "HEAD~1", "--json")).out), {
    k: { old: 2, new: 3 },
    lr: { old: 0.5, new: 0.75 },
  });
  const three = await toy.cli("params", "diff", "HEAD~1", "HEAD", "HEAD");
  assertEquals(three.code, 2, "a third revision is refused, not ignored");
});

Deno.test("params diff shows the values a --set run recorded in pipeline.lock", async () => {
  await using toy = await makeToy(toyProject(), { lr: 0.5, k: 2 });
  await git(toy.dir, "init", "-q");
  await committed(toy, "base");
  assertEquals((await toy.cli("params", "diff", "--json")).out.trim(), "{}");
  assertEquals((await toy.cli("repro", "--set", "lr=0.9")).code, 0);
  const json = JSON.parse((await toy.cli("params", "diff", "--json")).out);
  assertEquals(json, { lr: { old: 0.5, new: 0.5, newRecorded: { "train@0": 0.9, "train@1": 0.9 } } });
  const text = (await toy.cli("params", "diff", "--md")).out;
  assertMatch(text, /\| lr \| 0\.5 \| 0\.5 \| 0\.9 \(train@0\); 0\.9 \(train@1\) \|/);
  assertMatch(text, /from a --set run/);
});

Deno.test("compact metrics keep numeric results and drop text, list items, echoed params and timings", () => {
  assertEquals(
    compact({
      "test.acc": 0.9,
      "attacks.pgd.auc": 0.4,
      "attacks.pgd.accuracy.3": 0.1,
      "attacks.pgd.seconds": 54,
      "time_s.total": 20,
      "layers.1.time_s": 2,
      images_per_sec: 287,
      wall_seconds: 20,
      "backend.threads": 1,
      "params.train.lr": 0.05,
      run: "a0-s1",
      ok: true,
      clean_accuracy: 0.6,
    }),
    { "test.acc": 0.9, "attacks.pgd.auc": 0.4, clean_accuracy: 0.6 },
  );
});

Deno.test("metrics diff --md fits a pull-request comment and names where the full table is", () => {
  const rows: MetricChange[] = Array.from({ length: 3000 }, (_, i) => ({
    path: `outputs/corruption/a${i % 5}-s1.json`,
    key: `per_corruption.c${i}.mean_accuracy`,
    old: 0.5,
    new: 0.5 + (i + 1) / 1e5,
    delta: (i + 1) / 1e5,
  }));
  const small = fitMetricsDiff(rows.slice(0, 10), "HEAD", "workspace", {
    limit: PR_COMMENT_LIMIT,
    fullPath: "f.md",
  });
  assert(!small.truncated);
  assertEquals(small.text.split("\n").length, 12);
  const big = fitMetricsDiff(rows, "HEAD", "workspace", { limit: PR_COMMENT_LIMIT, fullPath: "f.md" });
  assert(big.truncated);
  assert(big.text.length <= PR_COMMENT_LIMIT, `${big.text.length}`);
  assert(big.text.length > PR_COMMENT_LIMIT - 500, "uses the room it has");
  assertMatch(big.text, /3000 metrics changed in 5 files/);
  assertMatch(big.text, /`f\.md`/);
  const firstRow = big.text.split("\n").find((l) => l.startsWith("| outputs"))!;
  assertMatch(firstRow, /c2999\./, "the largest relative change comes first");
});

Deno.test("metrics diff --md through the CLI writes the full table when it is too long", async () => {
  const keys = Object.fromEntries(
    Array.from({ length: 1500 }, (_, i) => [`a_fairly_long_metric_name_number_${i}`, 0]),
  );
  await using toy = await makeToy({
    stages: { m: { cmd: "cp src.json m.json", deps: ["src.json"], metrics: ["m.json"] } },
  }, {});
  toy.write("src.json", JSON.stringify(keys));
  await git(toy.dir, "init", "-q");
  await committed(toy, "base");
  toy.write("src.json", JSON.stringify(Object.fromEntries(Object.keys(keys).map((k, i) => [k, i + 1]))));
  assertEquals((await toy.cli("repro")).code, 0);
  const md = await toy.cli("metrics", "diff", "--md", "--full", "full.md");
  assertEquals(md.code, 0);
  assert(md.out.length <= PR_COMMENT_LIMIT + 1, `${md.out.length}`);
  assertMatch(md.out, /1500 metrics changed in 1 file\b.*`full\.md`/);
  assertEquals(toy.read("full.md").split("\n").filter((l) => l.startsWith("| m.json")).length, 1500);
});
