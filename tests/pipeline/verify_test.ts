import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { differingFiles, jsonDiffPaths } from "../../pipeline/verify.ts";
import { makeToy } from "./helpers.ts";

const HEX = "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \\n')";

/**
 * Every file under `dir` (relative path → bytes as text), to prove a command left it alone; the runner's stat
 * cache (`.pipeline/state.json`, digests of files by stat, refreshed by any command) excepted.
 */
function snapshot(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(`${dir}/${rel}`)) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) Object.assign(out, snapshot(dir, path));
    else if (e.isFile && path !== ".pipeline/state.json") {
      out[path] = new TextDecoder().decode(Deno.readFileSync(`${dir}/${path}`));
    }
  }
  return out;
}

Deno.test("verify: deterministic outs reproduce, random bytes and a random JSON field do not; workspace untouched", async () => {
  await using toy = await makeToy({
    stages: {
      det: {
        cmd: `mkdir -p det && echo '{"acc": 0.5, "curve": [1, 2]}' > det/m.json && echo x > det/x.txt`,
        deps: ["src.txt"],
        outs: ["det"],
      },
      noisy: {
        cmd: `head -c 16 /dev/urandom > noise.bin && printf '{"acc": 0.5, "seed": "%s"}' ${HEX} > noisy.json`,
        outs: ["noise.bin"],
        metrics: ["noisy.json"],
      },
      // Downstream of the random stage, deterministic in its input: it reruns from the locked noise.bin.
      size: { cmd: "wc -c < noise.bin > size.txt", deps: ["noise.bin"], outs: ["size.txt"] },
    },
  }, {});
  toy.write("src.txt", "s\n");
  assertEquals((await toy.cli("repro")).code, 0);
  const before = snapshot(toy.dir);

  const all = await toy.cli("verify");
  assertEquals(all.code, 1, all.out);
  assertMatch(all.out, /✓ det\n {4}✓ det {2}reproduced/);
  assertMatch(all.out, /✗ noise\.bin {2}differs: locked [0-9a-f]{12}, rerun [0-9a-f]{12}/);
  assertMatch(all.out, /✗ noisy\.json {2}differs[^\n]*\n {8}noisy\.json: \$\.seed\n/);
  assertMatch(all.out, /✓ size\.txt {2}reproduced/);
  assertMatch(all.out, /2 of 4 outputs reproduced\./);
  assertEquals(snapshot(toy.dir), before, "verify changed the workspace, the cache or the lock");

  const one = await toy.cli("verify", "det", "size");
  assertEquals(one.code, 0, one.out);
  assertMatch(one.out, /All 2 outputs of 2 stages reproduced\./);
  assert(!one.out.includes("noisy"), "an unselected stage was verified");

  const jsonOut = (await toy.cli("verify", "noisy", "--json")).out; // stdout (the JSON), then stderr
  const json = JSON.parse(jsonOut.slice(0, jsonOut.indexOf("\n}\n") + 2));
  assertEquals(json.ok, false);
  assertEquals(json.stages[0].outs.map((o: { reproduced: boolean }) => o.reproduced), [false, false]);

  toy.write("src.txt", "changed\n");
  const stale = await toy.cli("verify", "det");
  assertEquals(stale.code, 1);
  assertMatch(stale.out, /✗ det: not up to date \(dep 'src\.txt' modified: run repro first\)/);
});

Deno.test("verify: a rerun that fails is reported with its log and counts as not reproduced", async () => {
  await using toy = await makeToy({
    stages: { once: { cmd: "test ! -e marker && touch marker && echo 1 > one.txt", outs: ["one.txt"] } },
  }, {});
  assertEquals((await toy.cli("repro")).code, 0);
  const r = await toy.cli("verify");
  assertEquals(r.code, 1);
  assertMatch(r.out, /✗ once: failed \(the rerun exited with code 1/);
});

Deno.test("jsonDiffPaths: members, items, added and removed keys, types", () => {
  assertEquals(jsonDiffPaths({ a: 1, b: [1, 2] }, { a: 1, b: [1, 3] }), ["$.b[1]"]);
  assertEquals(jsonDiffPaths({ a: { x: 1 } }, { a: { x: 1, y: 2 } }), ["$.a.y"]);
  assertEquals(jsonDiffPaths([1], [1, 2]), ["$[1]"]);
  assertEquals(jsonDiffPaths({ "a-b": 1 }, { "a-b": "1" }), ['$["a-b"]']);
  assertEquals(jsonDiffPaths({ a: [1] }, { a: { 0: 1 } }), ["$.a"]);
  assertEquals(jsonDiffPaths({ n: NaN, z: 0 }, { n: NaN, z: 0 }), []);
  assertEquals(jsonDiffPaths(Object.fromEntries([...Array(80)].map((_, i) => [`k${i}`, i])), {}).length, 50);
});

Deno.test("differingFiles: only the files that differ, with added and removed ones", () => {
  const f = (digest: string) => ({ type: "file" as const, digest, size: 1 });
  const d = (digest: string, entries: Record<string, ReturnType<typeof f>>) => ({
    type: "dir" as const,
    digest,
    size: 1,
    nfiles: 1,
    entries: new Map(Object.entries(entries)),
  });
  assertEquals(
    differingFiles(
      "o",
      d("1", { a: f("a"), b: f("b"), c: f("c") }),
      d("2", { a: f("a"), b: f("B"), e: f("e") }),
    ),
    ["o/b", "o/c", "o/e"],
  );
  assertEquals(differingFiles("o", d("1", {}), d("1", {})), []);
});
