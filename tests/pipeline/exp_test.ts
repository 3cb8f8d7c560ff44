import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { makeToy } from "./helpers.ts";

/** prep (no params) -> train (params lr, k; metrics acc, wall_seconds) */
function toyProject() {
  return {
    stages: {
      prep: { cmd: "echo x > x.txt", outs: ["x.txt"] },
      train: {
        cmd: 'cat x.txt > model.txt && echo \'{"acc": ${t.lr}, "wall_seconds": 9, "run": "r"}\' > m.json',
        deps: ["x.txt"],
        params: ["t"],
        outs: ["model.txt"],
        metrics: ["m.json"],
      },
    },
  };
}

interface Row {
  stage: string;
  current: boolean;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

Deno.test("exp show lists every --set variant the run-cache holds: differing params and metrics, newest first", async () => {
  await using toy = await makeToy(toyProject(), { t: { lr: 0.5, k: 1 } });
  assertEquals((await toy.cli("repro")).code, 0);
  await new Promise((r) => setTimeout(r, 20)); // distinct mtimes for the ordering
  assertEquals((await toy.cli("repro", "--set", "t.lr=0.9")).code, 0);

  const rows = JSON.parse((await toy.cli("exp", "show", "train", "--json")).out) as Row[];
  assertEquals(rows.map((r) => [r.stage, r.params["t.lr"], r.params["t.k"], r.metrics, r.current]), [
    ["train", 0.9, 1, { acc: 0.9 }, true],
    ["train", 0.5, 1, { acc: 0.5 }, false],
  ]);

  const text = (await toy.cli("exp", "show", "train")).out;
  const lines = text.trim().split("\n");
  assertMatch(lines[0], /^Stage\s+Created\s+t\.lr\s+acc$/, "only the param that differs gets a column");
  assertMatch(lines[1], /^train \*\s+\S+ \S+\s+0\.9\s+0\.9$/);
  assertMatch(lines[2], /^train\s+\S+ \S+\s+0\.5\s+0\.5$/);

  const sorted = JSON.parse(
    (await toy.cli("exp", "show", "train", "--json", "--sort-by", "acc", "--sort-order", "asc")).out,
  );
  assertEquals(sorted.map((r: Row) => r.metrics.acc), [0.5, 0.9]);
  const md = (await toy.cli("exp", "show", "train", "--md")).out;
  assertMatch(md, /^\| Stage \| Created \| t\.lr \| acc \|$/m);
  const all = JSON.parse((await toy.cli("exp", "show", "train", "--json", "--all")).out) as Row[];
  assertEquals(all[0].metrics, { acc: 0.9, wall_seconds: 9, run: "r" });

  const everything = JSON.parse((await toy.cli("exp", "show", "--json")).out) as Row[];
  assertEquals(everything.map((r) => r.stage).sort(), ["prep", "train", "train"]);
  const bad = await toy.cli("exp", "show", "--sort-by", "nope");
  assertEquals(bad.code, 2);
  assertMatch(bad.out, /--sort-by 'nope': no result has that metric/);
  assert((await toy.cli("exp", "show", "--sort-order", "sideways")).code === 2);
});

Deno.test("exp show of several stages: one table per stage group", async () => {
  await using toy = await makeToy(toyProject(), { t: { lr: 0.5, k: 1 } });
  assertEquals((await toy.cli("repro")).code, 0);
  const out = (await toy.cli("exp", "show")).out;
  assertMatch(out, /^prep\n\nStage\s+Created\n/m);
  assertMatch(out, /^train\n\nStage\s+Created\s+acc\n/m);
});
