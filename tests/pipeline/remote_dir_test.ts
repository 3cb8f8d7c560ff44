import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { stringify } from "yaml";
import { badObjects, cli, cloneToy, filesUnder, runs, spawn, treeDiff, writeToy } from "./remote_fixture.ts";

const remoteConfig = { remotes: { share: { url: "../remote" } } };

Deno.test("push to a directory remote, pull in a fresh clone: outputs byte-equal, every stage up to date", async () => {
  await using tmp = await tempDir();
  writeToy(`${tmp.path}/a`, { seed: 3, n: 6, kb: 2 }, remoteConfig);
  assertEquals((await cli(`${tmp.path}/a`, ["repro"])).code, 0);
  const pushed = await cli(`${tmp.path}/a`, ["push"]);
  assertEquals(pushed.code, 0, pushed.out);
  assertMatch(pushed.out, /pushed 8 objects .*; 0 already there/); // 6 files, 1 manifest, sum.txt
  assertMatch((await cli(`${tmp.path}/a`, ["push"])).out, /pushed 0 objects .*; 8 already there/);
  cloneToy(`${tmp.path}/a`, `${tmp.path}/b`);
  const before = await cli(`${tmp.path}/b`, ["status", "--remote"]);
  assertMatch(before.out, /gen\s+1\+\s+1\s+0/); // only the manifest's digest is known before fetching it
  const pulled = await cli(`${tmp.path}/b`, ["pull", "--jobs", "3"]);
  assertEquals(pulled.code, 0, pulled.out);
  assertMatch(pulled.out, /fetched 8 objects/);
  assertMatch((await cli(`${tmp.path}/b`, ["status"])).out, /Everything is up to date/);
  assertMatch((await cli(`${tmp.path}/b`, ["repro"])).out, /Everything is up to date/);
  assertEquals(runs(`${tmp.path}/b`), {});
  assertEquals(treeDiff(`${tmp.path}/a/data`, `${tmp.path}/b/data`), []);
  const after = await cli(`${tmp.path}/b`, ["status", "--remote=share"]);
  assertMatch(after.out, /gen\s+7\s+0\s+0/);
});

Deno.test("repro --pull restores from the remote run-cache instead of running, in a clone without a lock", async () => {
  await using tmp = await tempDir();
  writeToy(`${tmp.path}/a`, { seed: 4, n: 3, kb: 1 }, remoteConfig);
  await cli(`${tmp.path}/a`, ["repro"]);
  const pushed = await cli(`${tmp.path}/a`, ["push", "--run-cache"]);
  assertMatch(pushed.out, /pushed 2 run-cache entries/);
  writeToy(`${tmp.path}/b`, { seed: 4, n: 3, kb: 1 }, remoteConfig); // no lock: never run here
  const plain = await cli(`${tmp.path}/b`, ["repro", "--dry"]);
  assertMatch(plain.out, /run\s+gen/);
  const r = await cli(`${tmp.path}/b`, ["repro", "--pull"]);
  assertEquals(r.code, 0, r.out);
  assertMatch(r.out, /0 ran, 2 restored/);
  assertEquals(runs(`${tmp.path}/b`), {});
  assertEquals(treeDiff(`${tmp.path}/a/data`, `${tmp.path}/b/data`), []);
  // A different seed is not in the remote run-cache: it runs.
  writeToy(`${tmp.path}/c`, { seed: 5, n: 3, kb: 1 }, remoteConfig);
  assertMatch((await cli(`${tmp.path}/c`, ["repro", "--pull"])).out, /2 ran, 0 restored/);
});

Deno.test("a damaged object on the remote is detected on pull: not stored, not checked out", async () => {
  await using tmp = await tempDir();
  writeToy(`${tmp.path}/a`, { seed: 6, n: 4, kb: 1 }, remoteConfig);
  await cli(`${tmp.path}/a`, ["repro"]);
  await cli(`${tmp.path}/a`, ["push"]);
  // Damage data/f2's object on the remote, keeping its size.
  const remote = `${tmp.path}/remote`;
  const f2 = Deno.readTextFileSync(`${tmp.path}/a/data/f2`);
  const victim = filesUnder(`${remote}/objects`).find((f) =>
    Deno.readTextFileSync(`${remote}/objects/${f}`) === f2
  )!;
  assert(victim);
  Deno.writeTextFileSync(`${remote}/objects/${victim}`, f2.replace("1", "7"));
  cloneToy(`${tmp.path}/a`, `${tmp.path}/b`);
  const pulled = await cli(`${tmp.path}/b`, ["pull"]);
  assertEquals(pulled.code, 1);
  assertMatch(pulled.out, /1 arrived damaged and were not kept/);
  assertMatch(pulled.out, /data \(stage 'gen'\): not on the remote or damaged there; not checked out/);
  assert(!filesUnder(`${tmp.path}/b`).some((f) => f.startsWith("data/")), "damaged output was checked out");
  assertEquals(
    Deno.readTextFileSync(`${tmp.path}/b/sum.txt`),
    Deno.readTextFileSync(`${tmp.path}/a/sum.txt`),
  );
  assertEquals(await badObjects(`${tmp.path}/b/.pipeline/cache`), { damaged: [], temporary: [] });
  // Pushing again from the clone that has it mends the remote... only once the bad copy is gone: push skips what
  // the remote lists, so the repair is to delete the bad object and push.
  Deno.removeSync(`${remote}/objects/${victim}`);
  await cli(`${tmp.path}/a`, ["push"]);
  assertEquals((await cli(`${tmp.path}/b`, ["pull"])).code, 0);
  assertEquals(treeDiff(`${tmp.path}/a/data`, `${tmp.path}/b/data`), []);
});

Deno.test("a push killed midway leaves only whole objects; the next push resumes and skips them", async () => {
  await using tmp = await tempDir();
  writeToy(`${tmp.path}/a`, { seed: 7, n: 400, kb: 64 }, remoteConfig);
  assertEquals((await cli(`${tmp.path}/a`, ["repro"])).code, 0);
  const child = spawn(`${tmp.path}/a`, ["push", "--jobs", "4"]);
  for (let i = 0; i < 400 && filesUnder(`${tmp.path}/remote/objects`).length < 40; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGKILL");
  await child.output();
  const partial = filesUnder(`${tmp.path}/remote/objects`).filter((f) => !f.endsWith(".tmp"));
  assert(partial.length > 0 && partial.length < 402, `killed after ${partial.length} objects`);
  assertEquals((await badObjects(`${tmp.path}/remote`)).damaged, []);
  const resumed = await cli(`${tmp.path}/a`, ["push"]);
  assertEquals(resumed.code, 0, resumed.out);
  const m = resumed.out.match(/pushed (\d+) objects .*; (\d+) already there/)!;
  assertEquals(Number(m[1]) + Number(m[2]), 402);
  assert(Number(m[2]) >= partial.length);
  cloneToy(`${tmp.path}/a`, `${tmp.path}/b`);
  assertEquals((await cli(`${tmp.path}/b`, ["pull"])).code, 0);
  assertEquals(treeDiff(`${tmp.path}/a/data`, `${tmp.path}/b/data`), []);
});

Deno.test("remote config errors name the file and line and what to do; nothing is changed", async () => {
  await using tmp = await tempDir();
  writeToy(`${tmp.path}/a`, { seed: 8, n: 2, kb: 1 }, {
    remotes: { lab: { url: "s3://bucket/x", secret_access_key: "hunter2" } },
  });
  const secret = await cli(`${tmp.path}/a`, ["push"]);
  assertEquals(secret.code, 2);
  assertMatch(
    secret.out,
    /pipeline\.config\.yaml:4:5: remotes\.lab\.secret_access_key is a credential .* move it to \.pipeline\/config\.local\.yaml/,
  );
  Deno.writeTextFileSync(`${tmp.path}/a/pipeline.config.yaml`, "remotes:\n  lab: {url: ../r}\ncahce: {}\n");
  const typo = await cli(`${tmp.path}/a`, ["status"]);
  assertEquals(typo.code, 2);
  assertMatch(
    typo.out,
    /pipeline\.config\.yaml:3:1: 'cahce': Unrecognized key.*; fix pipeline\.config\.yaml/,
  );
  Deno.writeTextFileSync(`${tmp.path}/a/pipeline.config.yaml`, "remotes:\n  lab: {url: ../r}\n");
  const unknown = await cli(`${tmp.path}/a`, ["push", "--remote", "labb"]);
  assertMatch(unknown.out, /remote 'labb' is not declared in pipeline\.config\.yaml \(declared: lab\)/);
  assert(!filesUnder(`${tmp.path}/a`).some((f) => f.startsWith("data/") || f.includes("cache/")));
});

Deno.test("push of named stages under --set: that matrix, only those stages and their run-cache entries; --with-deps", async () => {
  await using tmp = await tempDir();
  // A big stage nobody needs on the remote (prepare-data's part) and a matrix whose members depend on params.
  const pipeline = {
    stages: {
      big: { cmd: "echo big >> runs.log && head -c 4096 /dev/zero > big.bin", outs: ["big.bin"] },
      cell: {
        matrix: { s: "${grid.s}" },
        cmd:
          "echo cell-${item.s} >> runs.log && wc -c < big.bin > cell-${item.s}.txt && echo ${item.s} >> cell-${item.s}.txt",
        deps: ["big.bin"],
        outs: ["cell-${item.s}.txt"],
      },
    },
  };
  const write = (dir: string) => {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(`${dir}/pipeline.yaml`, stringify(pipeline, { lineWidth: 0 }));
    Deno.writeTextFileSync(`${dir}/params.yaml`, stringify({ grid: { s: [1, 2] } }));
    Deno.writeTextFileSync(`${dir}/pipeline.config.yaml`, stringify(remoteConfig));
  };
  write(`${tmp.path}/a`);
  const ran = await cli(`${tmp.path}/a`, ["repro", "--set", "grid.s=[7, 8]"]);
  assertEquals(ran.code, 0, ran.out);
  // Without the --set, 'cell' means cell@1 and cell@2, which never ran here: nothing to push.
  assertMatch(
    (await cli(`${tmp.path}/a`, ["push", "cell", "--run-cache"])).out,
    /pushed 0 run-cache entries/,
  );
  const pushed = await cli(`${tmp.path}/a`, ["push", "cell", "--run-cache", "--set", "grid.s=[7, 8]"]);
  assertEquals(pushed.code, 0, pushed.out);
  assertMatch(pushed.out, /pushed 2 run-cache entries/);
  assertMatch(pushed.out, /pushed 2 objects/); // the two cells; not big.bin
  // A fresh project restores both cells from the remote and computes only the stage that was not pushed.
  write(`${tmp.path}/b`);
  const restored = await cli(`${tmp.path}/b`, ["repro", "--pull", "--set", "grid.s=[7, 8]"]);
  assertEquals(restored.code, 0, restored.out);
  assertMatch(restored.out, /1 ran, 2 restored/);
  assertEquals(runs(`${tmp.path}/b`), { big: 1 });
  assertEquals(Deno.readTextFileSync(`${tmp.path}/b/cell-8.txt`), "4096\n8\n");
  // --with-deps adds the upstream stage, as DVC's does.
  const withDeps = await cli(`${tmp.path}/a`, [
    "push",
    "cell@7",
    "--with-deps",
    "--run-cache",
    "--set",
    "grid.s=[7, 8]",
  ]);
  assertMatch(withDeps.out, /pushed 1 run-cache entries\npushed 1 objects .*; 1 already there/);
});

Deno.test("push of a lock whose outputs this cache lacks names those stages, pushes the rest, exits 1", async () => {
  await using tmp = await tempDir();
  writeToy(`${tmp.path}/a`, { seed: 3, n: 4, kb: 1 }, remoteConfig);
  assertEquals((await cli(`${tmp.path}/a`, ["repro"])).code, 0);
  // A clone brings the lock but no cache; it makes only 'gen' (a run that stopped early, say).
  cloneToy(`${tmp.path}/a`, `${tmp.path}/b`);
  assertEquals((await cli(`${tmp.path}/b`, ["repro", "gen"])).code, 0);
  const pushed = await cli(`${tmp.path}/b`, ["push"]);
  assertEquals(pushed.code, 1, pushed.out);
  assertMatch(pushed.out, /pushed 5 objects/); // gen's 4 files and manifest
  assertMatch(pushed.out, /error: 1 objects are not in the local cache/);
  assertMatch(pushed.out, /locked outputs of 1 stage\(s\) this cache does not hold: sum\. Run them/);
  // Pushing only what ran is clean.
  const onlyGen = await cli(`${tmp.path}/b`, ["push", "gen"]);
  assertEquals(onlyGen.code, 0, onlyGen.out);
  assert(!onlyGen.out.includes("does not hold"), onlyGen.out);
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "pipeline-remote-dir-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
