/**
 * External deps: absolute paths outside the project are tracked and hashed like any dep (state cache
 * included); a dep that is exactly `${key}` naming null is absent; the real pipeline's prepare-data declares
 * its source folder.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { loadParams } from "../../pipeline/params.ts";
import { loadPipeline } from "../../pipeline/spec.ts";
import { counted, makeToy } from "./helpers.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("an absolute dep outside the project is hashed, cached in the state file, and reruns the stage when it changes", async () => {
  const raw = await Deno.makeTempDir({ prefix: "external-raw-" });
  try {
    Deno.mkdirSync(`${raw}/batches`);
    Deno.writeTextFileSync(`${raw}/batches/a.bin`, "one\n");
    await using toy = await makeToy({
      stages: {
        prep: {
          cmd: counted("prep", "cat ${src}/batches/a.bin > prepared.txt"),
          deps: ["${src}/"],
          params: ["src"],
          outs: ["prepared.txt"],
        },
      },
    }, { src: raw });
    const first = await toy.cli("repro");
    assertEquals(first.code, 0, first.out);
    assertMatch(toy.read("pipeline.lock"), new RegExp(`${raw}:\\n\\s+digest: [0-9a-f]+`));
    const state = JSON.parse(toy.read(".pipeline/state.json"));
    assert(`${raw}/batches/a.bin` in state, "the external file's digest is in the state cache");
    assertMatch((await toy.cli("status")).out, /Everything is up to date/);
    Deno.writeTextFileSync(`${raw}/batches/a.bin`, "two\n");
    const status = await toy.cli("status");
    assertMatch(status.out, new RegExp(`dep '${raw}' modified`));
    await toy.cli("repro");
    assertEquals(toy.read("prepared.txt"), "two\n");
    assertEquals(toy.runs(), { prep: 2 });
  } finally {
    await Deno.remove(raw, { recursive: true });
  }
});

Deno.test("a dep that is exactly a placeholder naming null is absent; a relative dep leaving the project is refused", async () => {
  await using toy = await makeToy({
    stages: { s: { cmd: "echo ok > o.txt", deps: ["${d.dir}"], params: ["d"], outs: ["o.txt"] } },
  }, { d: { dir: null } });
  const r = await toy.cli("repro");
  assertEquals(r.code, 0, r.out);
  assert(!/deps:\s*\n\s+\S/.test(toy.read("pipeline.lock").replace(/deps: \{\}/, "")), "no dep recorded");
  toy.write("pipeline.yaml", "stages:\n  s:\n    cmd: echo\n    deps: [../elsewhere]\n");
  const bad = await toy.cli("status");
  assertEquals(bad.code, 2);
  assertMatch(
    bad.out,
    /pipeline\.yaml:4:\d+: dep '\.\.\/elsewhere' points outside the project; .*absolute path/,
  );
  toy.write("pipeline.yaml", "stages:\n  s:\n    cmd: echo\n    deps: [/data/*.bin]\n");
  assertMatch((await toy.cli("status")).out, /external dep '\/data\/\*\.bin' is a glob/);
});

Deno.test("the real pipeline's prepare-data declares data.dir as a dep when it is set, and nothing when null", async () => {
  const set = await loadPipeline(REPO, await loadParams(REPO, { "data.dir": "/srv/cifar-10-batches-bin" }));
  const prep = set.stages.find((s) => s.name === "prepare-data")!;
  assert(prep.deps.includes("/srv/cifar-10-batches-bin"), prep.deps.join(", "));
  const unset = await loadPipeline(REPO, await loadParams(REPO, { "data.dir": null }));
  assertEquals(
    unset.stages.find((s) => s.name === "prepare-data")!.deps.filter((d) => d.startsWith("/")),
    [],
  );
});
