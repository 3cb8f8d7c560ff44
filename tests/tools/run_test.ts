/**
 * The front door (`./run`) as a new user meets it: no Deno on the PATH, a fresh HOME, and only the files the
 * set-up reads. The full path (a fresh clone running `./run repro` twice) is exercised by `.ci/run`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const DEC = new TextDecoder();

interface Ran {
  code: number;
  out: string;
}

/** A directory of links to every program on this machine's PATH except `deno`. */
async function pathWithoutDeno(dir: string): Promise<string> {
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  for (const source of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    for await (const entry of Deno.readDir(source)) {
      if (entry.name === "deno") continue;
      try {
        await Deno.symlink(join(source, entry.name), join(bin, entry.name));
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      }
    }
  }
  return `${bin}:/usr/sbin:/sbin`;
}

/** A minimal project: the front door and what its set-up reads. */
async function project(dir: string, extraPackageRow = ""): Promise<string> {
  const p = join(dir, "p");
  await Deno.mkdir(join(p, "tools/setup"), { recursive: true });
  for (const f of ["run", "deno.json", "deno.lock", "tools/setup/packages.tsv"]) {
    await Deno.copyFile(join(ROOT, f), join(p, f));
  }
  await Deno.chmod(join(p, "run"), 0o755);
  if (extraPackageRow) {
    await Deno.writeTextFile(join(p, "tools/setup/packages.tsv"), extraPackageRow, { append: true });
  }
  return p;
}

async function run(cwd: string, args: string[], env: Record<string, string>, user?: string): Promise<Ran> {
  const [cmd, ...rest] = user
    ? ["setpriv", `--reuid=${user}`, `--regid=${user}`, "--clear-groups", ...args]
    : args;
  const r = await new Deno.Command(cmd, { args: rest, cwd, env, stdout: "piped", stderr: "piped" }).output();
  return { code: r.code, out: DEC.decode(r.stdout) + DEC.decode(r.stderr) };
}

Deno.test("./run setup installs the pinned Deno and the dependencies once, then starts at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = {
      PATH: await pathWithoutDeno(dir),
      DENO: "", // `./run test` exports the Deno it found; a new user has none
      HOME: join(dir, "home"),
      DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache/deno"),
    };
    const p = await project(dir);
    const first = await run(p, ["./run", "setup", "repro"], env);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /installing Deno 2\.9\.6/);
    assert.match(first.out, /fetching \d+ npm dependencies/);
    assert.doesNotMatch(first.out, /Download/, "one progress line, not a line per package");
    const version = await run(p, [join(p, ".tools/deno/node_modules/.bin/deno"), "--version"], env);
    assert.match(version.out, /^deno 2\.9\.6/);

    const second = await run(p, ["./run", "setup", "repro"], env);
    assert.equal(second.code, 0, second.out);
    assert.doesNotMatch(second.out, /installing|fetching/, "nothing is installed twice");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("./run as a user who is not root prints the apt-get line and stops", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o755);
    const row =
      "no-such-package-for-the-test\ttest\tpath:/nonexistent/front-door\ta package that is missing\n";
    const p = await project(dir, row);
    const env = { PATH: Deno.env.get("PATH")!, HOME: "/tmp" };
    const r = await run(p, ["./run", "setup", "test"], env, "65534");
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /apt-get install -y .*no-such-package-for-the-test/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("./run names the file when a package probe is malformed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const p = await project(dir, "broken\ttest\twhich:broken\twhy\n");
    const r = await run(p, ["./run", "setup", "test"], { PATH: Deno.env.get("PATH")!, HOME: "/tmp" });
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /tools\/setup\/packages\.tsv: unknown probe 'which:broken' for broken/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's system-package table lists exactly tools/setup/packages.tsv", async () => {
  const rows = (await Deno.readTextFile(join(ROOT, "tools/setup/packages.tsv"))).split("\n")
    .filter((l) => l && !l.startsWith("#") && !l.startsWith("package\t"))
    .map((l) => l.split("\t")[0]);
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const section = readme.split("### System packages")[1]?.split("\n## ")[0] ?? "";
  const listed = [...section.matchAll(/^\| `([a-z0-9.+-]+)`/gm)].map((m) => m[1]);
  assert.deepEqual(listed, rows);
});
