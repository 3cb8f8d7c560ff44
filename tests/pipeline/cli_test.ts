import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { makeToy } from "./helpers.ts";

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
