/**
 * Damaged runner state never leaves the project stuck: a clear message naming the file and the fix, or a
 * silent rebuild where the file is only a cache.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { counted, makeToy } from "./helpers.ts";

/** A toy with one directory-out stage, run for v=1 then v=2 (both results in the cache). */
async function twoResults() {
  const toy = await makeToy({
    stages: { a: { cmd: counted("a", "mkdir -p d && echo ${v} > d/x"), params: ["v"], outs: ["d"] } },
  }, { v: 1 });
  assertEquals((await toy.cli("repro")).code, 0);
  toy.write("params.yaml", "v: 2\n");
  assertEquals((await toy.cli("repro")).code, 0);
  return toy;
}

function cacheFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.isDirectory) walk(`${d}/${e.name}`);
      else out.push(`${d}/${e.name}`);
    }
  };
  walk(dir);
  return out;
}

function overwrite(path: string, text: string) {
  Deno.chmodSync(path, 0o644);
  Deno.writeTextFileSync(path, text);
}

Deno.test("a directory manifest in the cache that is not JSON is a damaged object: removed, the stage reruns", async () => {
  await using toy = await twoResults();
  const manifests = cacheFiles(`${toy.dir}/.pipeline/cache/objects`).filter((f) =>
    Deno.readTextFileSync(f).startsWith('{"entries"')
  );
  assertEquals(manifests.length, 2);
  for (const m of manifests) overwrite(m, "this is not json");
  toy.write("params.yaml", "v: 1\n");
  const status = await toy.cli("status");
  assertEquals(status.code, 0, status.out);
  assertMatch(status.out, /▶ a\s+run/);
  const gcDry = await toy.cli("gc", "--dry");
  assertEquals(gcDry.code, 0, gcDry.out);
  const r = await toy.cli("repro");
  assertEquals(r.code, 0, r.out);
  assertEquals(toy.read("d/x"), "1\n");
  assertEquals(toy.runs(), { a: 3 });
  for (const m of manifests) {
    const text = (() => {
      try {
        return Deno.readTextFileSync(m);
      } catch {
        return "";
      }
    })();
    assert(!text.startsWith("this is not"), "the damaged manifest was removed (or rewritten by the new run)");
  }
});

Deno.test("a lock entry cut short or of the wrong shape names the file, line, stage and fix", async () => {
  await using toy = await twoResults();
  const good = toy.read("pipeline.lock");
  const cases: [string, RegExp][] = [
    [
      good.replace(/\n {4}outs:[\s\S]*$/, "\n"),
      /pipeline\.lock:\d+:\d+: the entry of stage 'a' is damaged \((outs|params): /,
    ],
    [
      good.replace(/digest: [0-9a-f]+/, "digest: 12"),
      /pipeline\.lock:\d+:\d+: the entry of stage 'a' is damaged \(deps|outs/,
    ],
    [good.replace(/\n {4}cmd:/, "\n    cmd: 7\n    old:"), /the entry of stage 'a' is damaged \(cmd: /],
    ["schema: 1\nstages: [a, b]\n", /not a pipeline lock .*git checkout pipeline\.lock/],
  ];
  for (const [text, pattern] of cases) {
    toy.write("pipeline.lock", text);
    const r = await toy.cli("status");
    assertEquals(r.code, 2, r.out);
    assertMatch(r.out, pattern);
    assertMatch(r.out, /git checkout pipeline\.lock/);
  }
});

Deno.test("a run-cache entry of the wrong shape is a cache miss, and gc removes it", async () => {
  await using toy = await twoResults();
  const entries = cacheFiles(`${toy.dir}/.pipeline/cache/runs`);
  assertEquals(entries.length, 2);
  const damage = [{ outs: "oops" }, { outs: {} }]; // not a record; a result without the stage's out
  entries.forEach((e, i) => {
    const entry = JSON.parse(Deno.readTextFileSync(e));
    Deno.writeTextFileSync(e, JSON.stringify({ ...entry, ...damage[i] }));
  });
  toy.write("params.yaml", "v: 1\n");
  const r = await toy.cli("repro");
  assertEquals(r.code, 0, r.out);
  assertMatch(r.out, /1 ran, 0 restored/);
  assertEquals(toy.read("d/x"), "1\n");
  assertMatch(toy.read("pipeline.lock"), /d:\n\s+digest/, "the real result is recorded");
  toy.write("params.yaml", "v: 2\n");
  const again = await toy.cli("repro");
  assertMatch(again.out, /1 ran, 0 restored/, "v=2's damaged entry is a miss too");
  const gc = await toy.cli("gc");
  assertMatch(gc.out, /and [12] run-cache entries/, gc.out);
  for (const e of cacheFiles(`${toy.dir}/.pipeline/cache/runs`)) {
    assertMatch(Deno.readTextFileSync(e), /"outs":\{"d":\{/, "only genuine entries remain");
  }
});

Deno.test("a state cache of the wrong shape is ignored and rebuilt", async () => {
  for (const text of ["null", "42", '{"a": 3}', "[1]", "{not json"]) {
    await using toy = await makeToy({
      stages: { a: { cmd: "echo 1 > a.txt", deps: ["in.txt"], outs: ["a.txt"] } },
    }, {});
    toy.write("in.txt", "x\n");
    toy.write(".pipeline/state.json", text);
    const r = await toy.cli("repro");
    assertEquals(r.code, 0, `${text}: ${r.out}`);
    const state = JSON.parse(toy.read(".pipeline/state.json"));
    assert(state !== null && typeof state === "object" && !Array.isArray(state), text);
    assert("in.txt" in state, `${text}: rebuilt with the hashed dep`);
    assertEquals((await toy.cli("status")).code, 0);
  }
});

Deno.test("gc --dry counts the run-cache entries that gc removes", async () => {
  await using toy = await twoResults();
  const dry = await toy.cli("gc", "--dry");
  assertMatch(dry.out, /would remove 2 cache objects .* and 1 run-cache entries/);
  const real = await toy.cli("gc");
  assertMatch(real.out, /removed 2 cache objects .* and 1 run-cache entries/);
});
