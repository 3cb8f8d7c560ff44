/**
 * The stage sandbox (pipeline/sandbox.ts, pipeline/executors/sandbox.ts), through the real CLI and real
 * bubblewrap: undeclared writes and reads fail naming the path, params.yaml is hidden, the environment is the
 * allow-list, there is no network, declared outs land in place, and sandboxing changes no result.
 */
import {
  deepStrictEqual as assertEquals,
  doesNotMatch as assertNotMatch,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { parse } from "yaml";
import { collectOuts, planSandbox, sandboxHints } from "../../pipeline/sandbox.ts";
import { makeToy, spawnCli, type Toy } from "./helpers.ts";

const hasBwrap = await new Deno.Command("bwrap", { args: ["--version"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);
if (!hasBwrap) {
  const msg = "SKIPPING tests/pipeline/sandbox_test.ts: bubblewrap ('bwrap') is not installed; " +
    "install the Debian package bubblewrap ('./run setup test')";
  if (Deno.env.get("CI")) throw new Error(msg);
  console.error(`\n${"!".repeat(20)}\n${msg}\n${"!".repeat(20)}\n`);
}
const sandboxTest = (name: string, fn: () => Promise<void>) => Deno.test({ name, ignore: !hasBwrap, fn });

function lockOf(toy: Toy): Record<string, { outs: Record<string, { digest: string }> }> {
  return (parse(toy.read("pipeline.lock")) as { stages: Record<string, never> }).stages;
}

sandboxTest(
  "a sandboxed stage writes its declared outs (new files, dirs, beside readable siblings)",
  async () => {
    await using toy = await makeToy({
      stages: {
        a: {
          cmd:
            "mkdir -p out/d && cat out/sibling.txt > out/d/copy.txt && echo m > out/m.json && echo top > t.txt",
          deps: ["out/sibling.txt"],
          outs: ["out/d", "t.txt"],
          metrics: ["out/m.json"],
          sandbox: true,
        },
      },
    }, {});
    toy.write("out/sibling.txt", "sibling\n");
    const r = await toy.cli("repro");
    assertEquals(r.code, 0, r.out);
    assertEquals(toy.read("out/d/copy.txt"), "sibling\n");
    assertEquals(toy.read("out/m.json"), "m\n");
    assertEquals(toy.read("t.txt"), "top\n");
    assertEquals(toy.read("out/sibling.txt"), "sibling\n");
    assertMatch((await toy.cli("status")).out, /up to date|no changes|0 of 1/i);
    assertMatch((await toy.cli("repro")).out, /Everything is up to date/);
  },
);

sandboxTest("an undeclared write to a read-only path fails the stage, naming the path", async () => {
  await using toy = await makeToy({
    stages: { a: { cmd: "echo x > notes.txt && echo o > out/o.txt", outs: ["out/o.txt"], sandbox: true } },
  }, {});
  toy.write("out/.keep", "");
  const r = await toy.cli("repro");
  assertEquals(r.code, 1, r.out);
  assertMatch(r.out, /sandbox: 'notes\.txt' is not writable here/);
  assert(!toy.exists("notes.txt"));
});

sandboxTest(
  "an undeclared write beside a declared out fails the stage; the stray file is removed",
  async () => {
    await using toy = await makeToy({
      stages: {
        a: { cmd: "echo o > out/o.txt && echo s > out/scratch.txt", outs: ["out/o.txt"], sandbox: true },
      },
    }, {});
    toy.write("out/.keep", "");
    const r = await toy.cli("repro");
    assertEquals(r.code, 1, r.out);
    assertMatch(r.out, /sandbox: the stage wrote 'out\/scratch\.txt', which is not a declared out/);
    assert(!toy.exists("out/scratch.txt"));
    assert(!toy.exists("out/o.txt"), "a failed run records and leaves nothing");
  },
);

sandboxTest("params.yaml is hidden; declared params arrive through PIPELINE_PARAMS", async () => {
  await using toy = await makeToy({
    stages: {
      reads: { cmd: "cat params.yaml > o.txt", outs: ["o.txt"], sandbox: true },
      declared: { cmd: 'printf "%s" "$PIPELINE_PARAMS" > p.json', params: ["lr"], outs: ["p.json"] },
    },
  }, { lr: 0.5 });
  const r = await toy.cli("repro", "--sandbox", "--keep-going");
  assertEquals(r.code, 1, r.out);
  assertMatch(r.out, /sandbox: 'params\.yaml' is hidden/);
  assertEquals(JSON.parse(toy.read("p.json")), { lr: 0.5 });
});

sandboxTest("the environment is cleared to the allow-list (defaults, env_allow, top-level env)", async () => {
  await using toy = await makeToy({
    env: { MODE: { value: "fast", execution_only: true } },
    env_allow: ["ALLOWED_*"],
    stages: {
      a: { cmd: "env > env.txt", outs: ["env.txt"], sandbox: true, env_allow: ["ONE_MORE"] },
    },
  }, {});
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../pipeline/cli.ts", import.meta.url).pathname, "-C", toy.dir, "repro"],
    env: { CI: "", SECRET_TOKEN: "s3cr3t", ALLOWED_X: "1", ONE_MORE: "2", PIPELINE_EXTRA: "3" },
  }).output();
  assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
  const env = toy.read("env.txt");
  assertNotMatch(env, /SECRET_TOKEN/);
  for (const line of ["ALLOWED_X=1", "ONE_MORE=2", "PIPELINE_EXTRA=3", "MODE=fast", "TMPDIR=/tmp"]) {
    assertMatch(env, new RegExp(`^${line}$`, "m"));
  }
  assertMatch(env, /^PATH=/m);
  assertMatch(env, /^PIPELINE_STAGE=a$/m);
});

sandboxTest("a sandboxed stage has no network", async () => {
  using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = server.addr.port;
  await using toy = await makeToy({
    stages: {
      net: { cmd: `echo hi > /dev/tcp/127.0.0.1/${port} && echo ok > o.txt`, outs: ["o.txt"], sandbox: true },
      plain: { cmd: `echo hi > /dev/tcp/127.0.0.1/${port} && echo ok > p.txt`, outs: ["p.txt"] },
    },
  }, {});
  const accepted = (async () => {
    for await (const conn of server) conn.close();
  })().catch(() => {});
  const r = await toy.cli("repro", "--keep-going");
  assertMatch(r.out, /✗ net/);
  assertEquals(toy.read("p.txt"), "ok\n", "the same command reaches the server unsandboxed");
  assert(!toy.exists("o.txt"));
  server.close();
  await accepted;
});

sandboxTest("a persist out is modified in place; the sandbox changes neither keys nor results", async () => {
  const pipeline = (sandbox: boolean) => ({
    stages: {
      gen: {
        cmd: "mkdir -p d && seq 1 100 > d/n.txt && sort -r d/n.txt > s.txt",
        outs: ["d", "s.txt"],
        sandbox,
      },
      acc: { cmd: "echo run >> log.txt", outs: [{ "log.txt": { persist: true, cache: false } }], sandbox },
    },
  });
  await using plain = await makeToy(pipeline(false), {});
  await using boxed = await makeToy(pipeline(true), {});
  for (const toy of [plain, boxed]) {
    toy.write("log.txt", "before\n");
    assertEquals((await toy.cli("repro")).code, 0);
  }
  assertEquals(boxed.read("log.txt"), "before\nrun\n");
  const [a, b] = [lockOf(plain), lockOf(boxed)];
  assertEquals(JSON.stringify(b.gen), JSON.stringify(a.gen), "same key, same out digests");
});

sandboxTest("a missing bwrap is a clear error, not a crash", async () => {
  await using toy = await makeToy(
    { stages: { a: { cmd: "echo > o.txt", outs: ["o.txt"], sandbox: true } } },
    {},
  );
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../pipeline/cli.ts", import.meta.url).pathname, "-C", toy.dir, "repro"],
    env: { CI: "", PATH: "/nonexistent" },
  }).output();
  const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  assertEquals(r.code, 1, out);
  assertMatch(out, /bubblewrap \('bwrap'\), which is not installed/);
});

Deno.test("sandbox hints name the refused path in Deno's and bash's words, relative to the project", () => {
  const log = [
    "Read-only file system (os error 30): mkdir '/p/outputs/checkpoints/a-1-s1'",
    "bash: line 1: notes.txt: Read-only file system",
    "error: Uncaught (in promise) PermissionDenied: Permission denied (os error 13): open '/p/params.yaml'",
    "error: Uncaught (in promise) TypeError: error sending request: dns error: Temporary failure in name resolution",
  ].join("\n");
  const hints = sandboxHints(log, "/p");
  assertEquals(hints.length, 4, hints.join("\n"));
  assertMatch(hints[0], /^sandbox: 'outputs\/checkpoints\/a-1-s1' is not writable here/);
  assertMatch(hints[1], /^sandbox: 'notes\.txt' is not writable here/);
  assertMatch(hints[2], /^sandbox: 'params\.yaml' is hidden/);
  assertMatch(hints[3], /^sandbox: the stage has no network/);
  assertEquals(sandboxHints("all good\n", "/p"), []);
});

sandboxTest("a command found through a PATH directory under /tmp is still found in the sandbox", async () => {
  const tools = await Deno.makeTempDir({ prefix: "sandbox-path-" });
  try {
    await Deno.writeTextFile(`${tools}/sr-hello`, "#!/bin/sh\necho hello from a tool under /tmp\n");
    await Deno.chmod(`${tools}/sr-hello`, 0o755);
    await using toy = await makeToy({
      stages: { a: { cmd: "sr-hello > out.txt", outs: ["out.txt"], sandbox: true } },
    }, {});
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../pipeline/cli.ts", import.meta.url).pathname, "-C", toy.dir, "repro"],
      env: { CI: "", PATH: `${tools}:${Deno.env.get("PATH")}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 0, out);
    assertEquals(toy.read("out.txt"), "hello from a tool under /tmp\n");
  } finally {
    await Deno.remove(tools, { recursive: true });
  }
});

sandboxTest(
  "a sibling out moved away by a concurrent stage after planning does not stop the sandbox from starting",
  async () => {
    const root = await Deno.makeTempDir({ prefix: "sandbox-race-" });
    try {
      await Deno.mkdir(`${root}/outputs/models`, { recursive: true });
      await Deno.writeTextFile(`${root}/outputs/models/a0.json`, "other stage's out\n");
      await Deno.writeTextFile(`${root}/outputs/models/kept.json`, "kept\n");
      const plan = await planSandbox({
        root,
        cwd: root,
        outs: ["outputs/models/a1.json"],
        stagingDir: `${root}/.pipeline/sandbox/a1`,
      });
      // The concurrent stage backs up its out (moves it away) between this stage's planning and bwrap's start.
      await Deno.remove(`${root}/outputs/models/a0.json`);
      const run = await new Deno.Command("bwrap", {
        args: [...plan.args, "--", "sh", "-c", "cat outputs/models/kept.json > outputs/models/a1.json"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
      assertEquals(await collectOuts(plan), []);
      assertEquals(await Deno.readTextFile(`${root}/outputs/models/a1.json`), "kept\n");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
);

sandboxTest(
  "a runner killed mid-stage leaves its sandbox staging behind; gc removes it (--dry only counts)",
  async () => {
    await using toy = await makeToy({
      stages: { a: { cmd: "echo started > out/o.txt && sleep 30", outs: ["out/o.txt"], sandbox: true } },
    }, {});
    toy.write("out/.keep", "");
    const runner = spawnCli(toy.dir, ["repro"]);
    const staged = `${toy.dir}/.pipeline/sandbox/a`;
    for (let i = 0; i < 200 && !toy.exists(".pipeline/sandbox/a/out0/o.txt"); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert(toy.exists(".pipeline/sandbox/a/out0/o.txt"), "the stage never started");
    runner.kill("SIGKILL");
    await runner.status;
    await runner.stdout.cancel();
    await runner.stderr.cancel();
    assert(Deno.statSync(staged).isDirectory);
    const dry = await toy.cli("gc", "--dry");
    assertMatch(dry.out, /would remove 1 sandbox staging directories left by interrupted runs/);
    assert(toy.exists(".pipeline/sandbox/a"));
    const r = await toy.cli("gc");
    assertEquals(r.code, 0, r.out);
    assertMatch(r.out, /removed 1 sandbox staging directories/);
    assert(!toy.exists(".pipeline/sandbox/a"));
    assertNotMatch((await toy.cli("gc")).out, /staging/);
  },
);
