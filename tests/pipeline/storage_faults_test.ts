/**
 * A full disk or a forbidden cache directory while committing a result: a clear error, the new outputs kept,
 * nothing recorded, and a later repro on a healthy disk records the stage. Dangling links and link loops in
 * deps or outs are refused by name.
 *
 * The faults are real: a 128 KiB tmpfs mounted over `.pipeline/cache` in a private mount namespace
 * (`unshare -rm`) gives ENOSPC; a user namespace mapping us to an unprivileged uid (`unshare -U`) makes a
 * read-only directory really refuse writes (EACCES/EPERM), as root otherwise ignores the mode bits.
 */
import { deepStrictEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { counted, makeToy } from "./helpers.ts";

const CLI = new URL("../../pipeline/cli.ts", import.meta.url).pathname;

/** Run the CLI in `dir` under a wrapper shell script; `$1` is the project, `$2` deno, the rest the CLI args. */
async function cliUnder(wrapper: string[], script: string, dir: string, args: string[]) {
  const r = await new Deno.Command(wrapper[0], {
    args: [
      ...wrapper.slice(1),
      "sh",
      "-c",
      script,
      "sh",
      dir,
      Deno.execPath(),
      "run",
      "-A",
      CLI,
      "-C",
      dir,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { CI: "" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

async function namespacesWork(wrapper: string[]): Promise<boolean> {
  const probe = await new Deno.Command(wrapper[0], { args: [...wrapper.slice(1), "true"], stderr: "null" })
    .output().catch(() => undefined);
  if (probe?.success) return true;
  if (Deno.env.get("CI")) throw new Error(`'${wrapper.join(" ")}' does not work here, and CI is set`);
  console.error(`!!! SKIPPED: '${wrapper.join(" ")}' does not work on this machine (no user namespaces?)`);
  return false;
}

const BIG = counted("big", "head -c 300000 /dev/zero | tr '\\0' x > big.bin && echo ${v} >> big.bin");

Deno.test("ENOSPC while committing to the cache: a clear error, the outputs kept, nothing recorded", async () => {
  const wrapper = ["unshare", "-rm"];
  if (!(await namespacesWork(wrapper))) return;
  await using toy = await makeToy({ stages: { big: { cmd: BIG, params: ["v"], outs: ["big.bin"] } } }, {
    v: 1,
  });
  Deno.mkdirSync(`${toy.dir}/.pipeline/cache`, { recursive: true });
  const full = await cliUnder(
    wrapper,
    'mount -t tmpfs -o size=128k tmpfs "$1/.pipeline/cache" && shift && exec "$@"',
    toy.dir,
    ["repro"],
  );
  assertEquals(full.code, 1, full.out);
  assertMatch(
    full.out,
    /the command succeeded, but its result could not be recorded: No space left on device/,
  );
  assertMatch(full.out, /new outputs are kept in the workspace/);
  assert(!/at async|TypeError|Uncaught/.test(full.out), full.out);
  assertEquals(Deno.statSync(`${toy.dir}/big.bin`).size, 300002, "the new output is kept");
  assert(!toy.exists("pipeline.lock"), "nothing recorded");
  assert(!toy.exists(".pipeline/tmp/big"), "no backup left for recovery to undo the kept output");
  const healthy = await toy.cli("repro");
  assertEquals(healthy.code, 0, healthy.out);
  assertEquals(toy.runs(), { big: 2 });
  assertMatch(toy.read("pipeline.lock"), /big\.bin/);
});

Deno.test("a cache directory that refuses writes (EACCES/EPERM): a clear error, outputs kept, nothing recorded", async () => {
  const wrapper = ["unshare", "-U", "--map-user=1000", "--map-group=1000"];
  if (!(await namespacesWork(wrapper))) return;
  await using toy = await makeToy({ stages: { big: { cmd: BIG, params: ["v"], outs: ["big.bin"] } } }, {
    v: 1,
  });
  assertEquals((await toy.cli("repro")).code, 0);
  const lock = toy.read("pipeline.lock");
  toy.write("params.yaml", "v: 2\n");
  const objects = `${toy.dir}/.pipeline/cache/objects`;
  const readOnly = (mode: number) => {
    for (const e of Deno.readDirSync(objects)) Deno.chmodSync(`${objects}/${e.name}`, mode);
    Deno.chmodSync(objects, mode);
  };
  readOnly(0o555);
  try {
    const r = await cliUnder(wrapper, 'shift && exec "$@"', toy.dir, ["repro"]);
    assertEquals(r.code, 1, r.out);
    assertMatch(r.out, /result could not be recorded: Permission denied/);
    assertMatch(toy.read("big.bin"), /x2\n$/, "the new output is kept");
    assertEquals(toy.read("pipeline.lock"), lock, "nothing recorded");
  } finally {
    readOnly(0o755);
  }
  const healthy = await toy.cli("repro");
  assertEquals(healthy.code, 0, healthy.out);
  assertMatch(toy.read("pipeline.lock"), /v: 2/);
});

Deno.test("a dangling symlink or a link loop in a dep or out directory is refused by name, never a crash", async () => {
  await using toy = await makeToy({
    stages: {
      a: { cmd: "cat in/f > a.txt", deps: ["in"], outs: ["a.txt"] },
      b: { cmd: "mkdir -p d && echo 1 > d/x && ln -sfn ${target} d/link", params: ["target"], outs: ["d"] },
    },
  }, { target: "/nonexistent-target" });
  toy.write("in/f", "1\n");
  Deno.symlinkSync("/nonexistent-target", `${toy.dir}/in/dangling`);
  const dep = await toy.cli("repro", "a");
  assertEquals(dep.code, 1, dep.out);
  assertMatch(dep.out, /'in\/dangling' is a symbolic link to nothing \(dangling\)/);
  Deno.removeSync(`${toy.dir}/in/dangling`);
  Deno.symlinkSync("..", `${toy.dir}/in/up`);
  const loop = await toy.cli("status", "a");
  assertEquals(loop.code, 2, loop.out);
  assertMatch(
    loop.out,
    /'in\/up\/in' leads back into itself or a directory above it through a symbolic link/,
  );
  Deno.removeSync(`${toy.dir}/in/up`);
  assertEquals((await toy.cli("repro", "a")).code, 0);
  const out = await toy.cli("repro", "b");
  assertEquals(out.code, 1, out.out);
  assertMatch(out.out, /'d\/link' is a symbolic link to nothing/);
  assert(!toy.exists("d"), "the failed run's output is removed, as for any failure");
  toy.write("params.yaml", "target: x\n");
  const ok = await toy.cli("repro", "b");
  assertEquals(ok.code, 0, ok.out);
  assertEquals(Deno.readTextFileSync(`${toy.dir}/d/link`), "1\n", "a link that resolves is followed");
});
