/**
 * hashSourceDeps (pipeline/plan.ts): the runner hashes the code and sources of the stages to come while the
 * first one runs, so their decisions find the digests cached. What a stage writes is left alone (it may not
 * exist yet), and a missing source is left for the decision to report.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { closeProject, openProject } from "../../pipeline/project.ts";
import { hashSourceDeps } from "../../pipeline/plan.ts";
import { makeToy } from "./helpers.ts";

Deno.test("hashSourceDeps caches the digests of sources, not of outputs, and does not throw", async () => {
  await using toy = await makeToy({
    stages: {
      a: { cmd: "cat src.txt lib/x.txt > a.out", deps: ["src.txt", "lib"], outs: ["a.out"] },
      b: {
        cmd: "cat a.out tool.txt > b.out",
        deps: ["a.out", "tool.txt", "docs/*.md", "gone.txt"],
        outs: ["b.out"],
      },
    },
  }, {});
  for (const f of ["src.txt", "lib/x.txt", "tool.txt", "docs/a.md"]) toy.write(f, f);
  // Old enough that the cache trusts their stat (a file changed in the last moments is hashed again).
  const past = new Date(Date.now() - 60_000);
  for (const f of ["src.txt", "lib/x.txt", "tool.txt", "docs/a.md"]) {
    Deno.utimeSync(`${toy.dir}/${f}`, past, past);
  }
  const project = await openProject(toy.dir, {});
  try {
    await hashSourceDeps(project, [...project.graph.stages.values()]);
    const cached = (f: string) => project.state.get(f, Deno.statSync(`${toy.dir}/${f}`)) !== undefined;
    assertEquals(["src.txt", "lib/x.txt", "tool.txt", "docs/a.md"].map(cached), [true, true, true, true]);
    toy.write("a.out", "written later");
    assert(!cached("a.out"), "an output is not hashed ahead");
  } finally {
    await closeProject(project);
  }
});
