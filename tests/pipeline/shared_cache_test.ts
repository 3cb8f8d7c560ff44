import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { badObjects, cli, filesUnder, runs, spawn, treeDiff, writeToy } from "./remote_fixture.ts";

Deno.test("two clones sharing one cache (PIPELINE_CACHE_DIR): the second restores what the first ran", async () => {
  await using tmp = await tempDir();
  const env = { PIPELINE_CACHE_DIR: `${tmp.path}/shared-cache` };
  writeToy(`${tmp.path}/a`, { seed: 1, n: 5, kb: 4 });
  assertEquals((await cli(`${tmp.path}/a`, ["repro"], env)).code, 0);
  assert(!filesUnder(`${tmp.path}/a/.pipeline`).some((f) => f.startsWith("cache/")), "no private cache");
  writeToy(`${tmp.path}/b`, { seed: 1, n: 5, kb: 4 });
  const b = await cli(`${tmp.path}/b`, ["repro"], env);
  assertEquals(b.code, 0, b.out);
  assertMatch(b.out, /0 ran, 2 restored/);
  assertEquals(runs(`${tmp.path}/b`), {});
  assertEquals(treeDiff(`${tmp.path}/a/data`, `${tmp.path}/b/data`), []);
});

Deno.test("cache.dir and cache.shared: group in pipeline.config.yaml: setgid, group-writable directories", async () => {
  await using tmp = await tempDir();
  writeToy(`${tmp.path}/a`, { seed: 2, n: 3, kb: 1 }, { cache: { dir: "../cache", shared: "group" } });
  const r = await cli(`${tmp.path}/a`, ["repro"]);
  assertEquals(r.code, 0, r.out);
  const objects = filesUnder(`${tmp.path}/cache/objects`);
  assertEquals(objects.length, 5); // 3 files, 1 manifest, sum.txt
  for (const dir of ["", "/objects", "/runs", `/objects/${objects[0].split("/")[0]}`]) {
    const mode = Deno.statSync(`${tmp.path}/cache${dir}`).mode! & 0o7777;
    assertEquals(mode & 0o2070, 0o2070, `cache${dir} mode ${mode.toString(8)}`);
  }
  assertEquals(Deno.statSync(`${tmp.path}/cache/objects/${objects[0]}`).mode! & 0o777, 0o444);
});

Deno.test("concurrent repros in four clones hammering one cache: no damaged or half-written object", async () => {
  await using tmp = await tempDir();
  const env = { PIPELINE_CACHE_DIR: `${tmp.path}/cache` };
  // Clones 0 and 2, and 1 and 3, compute the same results at the same time; all four share most file contents
  // (the seed only changes half of the files).
  const clones = [0, 1, 2, 3].map((i) => `${tmp.path}/clone${i}`);
  clones.forEach((dir, i) => writeToy(dir, { seed: i % 2, n: 150, kb: 8 }));
  const procs = clones.map((dir) => spawn(dir, ["repro"], env));
  const outs = await Promise.all(procs.map((p) => p.output()));
  outs.forEach((o, i) => assertEquals(o.code, 0, `clone ${i}: ${new TextDecoder().decode(o.stderr)}`));
  assertEquals(await badObjects(`${tmp.path}/cache`), { damaged: [], temporary: [] });
  assertEquals(treeDiff(`${clones[0]}/data`, `${clones[2]}/data`), []);
  // A fifth clone restores every result, byte for byte, without running anything.
  for (const seed of [0, 1]) {
    const fresh = `${tmp.path}/fresh${seed}`;
    writeToy(fresh, { seed, n: 150, kb: 8 });
    const r = await cli(fresh, ["repro"], env);
    assertMatch(r.out, /0 ran, 2 restored/);
    assertEquals(treeDiff(`${clones[seed]}/data`, `${fresh}/data`), []);
    assertEquals(Deno.readTextFileSync(`${fresh}/sum.txt`), Deno.readTextFileSync(`${clones[seed]}/sum.txt`));
  }
});

Deno.test("gc in one clone keeps the results another clone computed in the shared cache", async () => {
  await using tmp = await tempDir();
  const env = { PIPELINE_CACHE_DIR: `${tmp.path}/cache` };
  writeToy(`${tmp.path}/a`, { seed: 1, n: 3, kb: 1 }, {});
  writeToy(`${tmp.path}/b`, { seed: 2, n: 3, kb: 1 }, {});
  await cli(`${tmp.path}/a`, ["repro"], env);
  await cli(`${tmp.path}/b`, ["repro"], env);
  const before = filesUnder(`${tmp.path}/cache`);
  const gc = await cli(`${tmp.path}/a`, ["gc"], env);
  assertMatch(gc.out, /removed 0 cache objects/);
  assertEquals(filesUnder(`${tmp.path}/cache`), before);
  writeToy(`${tmp.path}/c`, { seed: 2, n: 3, kb: 1 }, {});
  assertMatch((await cli(`${tmp.path}/c`, ["repro"], env)).out, /0 ran, 2 restored/);
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "pipeline-shared-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
