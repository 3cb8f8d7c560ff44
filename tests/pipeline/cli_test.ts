import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { makeToy, runCli } from "./helpers.ts";

const TOY = { stages: { a: { cmd: "echo a >> runs.log && echo 1 > a.txt", outs: ["a.txt"] } } };

Deno.test("per-command help prints that command's options and exits 0", async () => {
  await using toy = await makeToy(TOY, {});
  const cases: [string[], RegExp[]][] = [
    [["repro", "--help"], [/Usage: pipeline repro/, /--dry/, /--force/, /--jobs/, /--keep-going/, /--set/]],
    [["status", "-h"], [/Usage: pipeline status/, /--quiet/, /--json/]],
    [["dag", "--help"], [/Usage: pipeline dag/, /--outs/, /--mermaid/]],
    [["metrics", "diff", "--help"], [/Usage: pipeline metrics diff/, /--md/, /--all/]],
    [["help", "gc"], [/Usage: pipeline gc/, /--keep-run-cache/]],
    [["--help"], [/Commands:/, /repro/, /status/]],
  ];
  for (const [args, patterns] of cases) {
    const r = await toy.cli(...args);
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.out}`);
    for (const p of patterns) assertMatch(r.out, p, args.join(" "));
  }
  assertEquals(toy.runs(), {}, "help runs nothing");
});

Deno.test("unknown options, stray arguments and a bare command are refused with exit 2", async () => {
  await using toy = await makeToy(TOY, {});
  for (const args of [["repro", "--bogus"], ["gc", "extra"], ["params"], []]) {
    const r = await toy.cli(...args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.out}`);
  }
  assertMatch((await toy.cli("repro", "--bogus")).out, /unknown option '--bogus'/);
  assertEquals(toy.runs(), {});
});

Deno.test("-C is global: before or after the command, and relative to the previous -C", async () => {
  await using toy = await makeToy(TOY, {});
  const parent = toy.dir.replace(/\/[^/]+$/, "");
  const name = toy.dir.slice(parent.length + 1);
  const cmd = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../pipeline/cli.ts", import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
      cwd: "/",
    }).output();
  assertEquals((await cmd(["-C", parent, "-C", name, "repro"])).code, 0);
  assert(toy.exists("a.txt"));
  const r = await cmd(["status", "-C", toy.dir]);
  assertMatch(new TextDecoder().decode(r.stdout), /Everything is up to date/);
});

/** a -> b -> c, and x alone. */
const CHAIN = {
  stages: {
    a: { cmd: "echo a > a.txt", outs: ["a.txt"] },
    b: {
      cmd: "cat a.txt > b.txt && echo '{\"acc\": 0.5}' > b.json",
      deps: ["a.txt"],
      outs: ["b.txt"],
      metrics: ["b.json"],
    },
    c: { cmd: "cat b.txt > c.txt", deps: ["b.txt"], outs: ["c.txt"] },
    x: { cmd: "echo x > x.txt", outs: ["x.txt"] },
  },
};

Deno.test("dag STAGE shows that stage and its ancestors only; --outs draws outputs", async () => {
  await using toy = await makeToy(CHAIN, {});
  assertEquals((await toy.cli("dag", "b")).out.trim(), "a\nb  <- a");
  assertEquals((await toy.cli("dag")).out.trim().split("\n").length, 4);
  assertEquals(
    (await toy.cli("dag", "c", "--outs")).out.trim(),
    "a.txt\nb.txt  <- a.txt\nb.json  <- a.txt\nc.txt  <- b.txt",
  );
  const dot = (await toy.cli("dag", "b", "--dot")).out;
  assertMatch(dot, /"a" -> "b";/);
  assert(!dot.includes('"c"') && !dot.includes('"x"'), dot);
  const unknown = await toy.cli("dag", "nope");
  assertEquals(unknown.code, 2);
  assertMatch(unknown.out, /no stage named 'nope'/);
});

Deno.test("status -q prints nothing and exits 1 while anything would change, 0 after repro", async () => {
  await using toy = await makeToy(CHAIN, {});
  let q = await toy.cli("status", "-q");
  assertEquals([q.code, q.out], [1, ""]);
  assertEquals((await toy.cli("repro", "x")).code, 0);
  q = await toy.cli("status", "--quiet", "x");
  assertEquals([q.code, q.out], [0, ""], "x alone is up to date");
  assertEquals((await toy.cli("repro")).code, 0);
  q = await toy.cli("status", "-q");
  assertEquals([q.code, q.out], [0, ""]);
  Deno.removeSync(`${toy.dir}/c.txt`);
  q = await toy.cli("status", "-q");
  assertEquals([q.code, q.out], [1, ""], "a deleted out is a change (restore)");
});

Deno.test("deno task lists every task with its description (deno.json object form)", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const tasks = JSON.parse(Deno.readTextFileSync(`${root}deno.json`)).tasks as Record<string, unknown>;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["task"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  })
    .output();
  const listed = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  for (const [name, task] of Object.entries(tasks)) {
    const t = task as { description?: string; command?: string };
    assert(
      typeof t === "object" && t.description && t.command,
      `task '${name}' needs a description and a command`,
    );
    assert(
      listed.includes(`- ${name}\n    // ${t.description}`),
      `deno task shows '${name}' with its description`,
    );
  }
});

Deno.test("dag --outs: a glob dep draws edges only from the outs it matches", async () => {
  await using toy = await makeToy({
    stages: {
      t: {
        matrix: { s: [1, 2] },
        cmd: "true",
        outs: ["m/r${item.s}"],
        metrics: ["m/r${item.s}.metrics.json"],
      },
      agg: { cmd: "true", deps: ["m/*.metrics.json"], outs: ["report"] },
    },
  }, {});
  const out = (await toy.cli("dag", "agg", "--outs")).out.trim().split("\n");
  assertEquals(out[out.length - 1], "report  <- m/r1.metrics.json, m/r2.metrics.json");
});

Deno.test("dag on the real pipeline: a stage and its ancestors only", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const r = await runCli(root, ["dag", "measure-selectivity@0-1"]);
  assertEquals(r.code, 0, r.out);
  assertEquals(r.out.trim().split("\n"), [
    "prepare-data",
    "train@0-1  <- prepare-data",
    "measure-selectivity@0-1  <- prepare-data, train@0-1",
  ]);
  const all = await runCli(root, ["dag", "aggregate"]);
  assert(all.out.trim().split("\n").length > 10, "aggregate needs every stage");
});
