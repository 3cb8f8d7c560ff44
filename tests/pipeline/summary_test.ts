import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { makeToy } from "./helpers.ts";

Deno.test("summary: repro prints a stage's declared summary file after the run, also when up to date", async () => {
  await using toy = await makeToy({
    stages: {
      data: { cmd: "cat src.txt > d.txt", deps: ["src.txt"], outs: ["d.txt"] },
      report: {
        cmd:
          "mkdir -p report && echo '| claim | verdict |' > report/verdicts.txt && cat d.txt >> report/verdicts.txt",
        deps: ["d.txt"],
        outs: ["report"],
        summary: "report/verdicts.txt",
      },
    },
  }, {});
  toy.write("src.txt", "| 1 | reproduced |\n");
  const first = await toy.cli("repro");
  assertEquals(first.code, 0, first.out);
  assertMatch(
    first.out,
    /2 ran[^\n]*\n\n── report: report\/verdicts\.txt ──\n\| claim \| verdict \|\n\| 1 \| reproduced \|\n$/,
  );
  const again = await toy.cli("repro");
  assertMatch(again.out, /Everything is up to date[^\n]*\n\n── report: report\/verdicts\.txt ──\n/);
  // Only for runs that select the stage.
  assert(!(await toy.cli("repro", "data")).out.includes("──"));
  // A failed run prints no (stale) summary.
  toy.write("src.txt", "x\n");
  toy.write("pipeline.yaml", toy.read("pipeline.yaml").replace("mkdir -p report", "exit 4; mkdir -p report"));
  const failed = await toy.cli("repro");
  assertEquals(failed.code, 1);
  assert(!failed.out.includes("── report"), failed.out);
});

Deno.test("summary: a path outside the stage's outs is refused, naming the line", async () => {
  await using toy = await makeToy({
    stages: { s: { cmd: "echo 1 > a.txt", outs: ["a.txt"], summary: "b.txt" } },
  }, {});
  const r = await toy.cli("status");
  assertEquals(r.code, 2);
  assertMatch(
    r.out,
    /pipeline\.yaml:\d+:\d+: summary 'b\.txt' is not inside any of the stage's outs \(a\.txt\)/,
  );
});
