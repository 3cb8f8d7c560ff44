/**
 * Remote transfer throughput: `push` and `pull` of a directory output (default 1 GiB in 10,000 files) to a
 * directory remote and to a local S3 server (npm s3rver), against `rclone copy` of the same objects to the same
 * kind of target, side by side on the same machine.
 *
 *   deno run -A bench/remote_transfer.ts [--files 10000] [--mib 1024] [--jobs 8] [--targets dir,s3]
 *
 * For each target: our `push` (cache → remote) vs `rclone copy` of the cache's objects directory to a fresh
 * location of the same kind; then our `fetch` (remote → an empty cache, every object hashed on arrival) and
 * `pull` (fetch, then check out into the workspace) in a fresh clone vs `rclone copy` back to an empty
 * directory. rclone runs with `--transfers` = jobs and its default checks (size, and MD5 where the backend has
 * it). Each cell is one timed run (a 1 GiB run is minutes on a shared 2-core machine); ratios are rclone's time
 * over ours, so above 1 means we are faster. Needs `rclone` (Debian package) on PATH.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { stringify } from "yaml";

const args = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string" },
    mib: { type: "string" },
    jobs: { type: "string" },
    targets: { type: "string" },
  },
});
const nFiles = Number(args.values.files ?? 10_000);
const mib = Number(args.values.mib ?? 1024);
const jobs = Number(args.values.jobs ?? 8);
const targets = (args.values.targets ?? "dir,s3").split(",");
const repo = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const cli = `${repo}/pipeline/cli.ts`;
const root = await Deno.makeTempDir({ prefix: "remote-bench-" });

/** Write `nFiles` random files totalling `mib` MiB into `dir`. */
function writeData(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true });
  const size = Math.floor((mib << 20) / nFiles);
  const block = new Uint8Array(size);
  for (let i = 0; i < nFiles; i++) {
    for (let o = 0; o < size; o += 65536) {
      crypto.getRandomValues(block.subarray(o, Math.min(o + 65536, size)));
    }
    Deno.writeFileSync(`${dir}/f${String(i).padStart(5, "0")}.bin`, block);
  }
}

async function run(
  cmd: string,
  argv: string[],
  env: Record<string, string> = {},
  cwd = root,
): Promise<number> {
  const t = performance.now();
  // AWS_CA_BUNDLE, set on some machines, makes rclone's S3 backend refuse to start; neither side needs it here.
  const base = Object.fromEntries(Object.entries(Deno.env.toObject()).filter(([k]) => k !== "AWS_CA_BUNDLE"));
  const r = await new Deno.Command(cmd, {
    args: argv,
    env: { ...base, ...env },
    clearEnv: true,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const secs = (performance.now() - t) / 1000;
  if (!r.success) {
    throw new Error(`${cmd} ${argv.join(" ")} failed:\n${new TextDecoder().decode(r.stderr).slice(-2000)}`);
  }
  return secs;
}

const ours = (dir: string, argv: string[], env: Record<string, string> = {}) =>
  run(Deno.execPath(), ["run", "-A", cli, "-C", dir, ...argv], { CI: "1", ...env });

// The project: one stage whose output is the data directory (moved into place by the stage).
const project = `${root}/a`;
Deno.mkdirSync(project);
Deno.writeTextFileSync(`${project}/params.yaml`, "{}\n");
Deno.writeTextFileSync(
  `${project}/pipeline.yaml`,
  stringify({ stages: { data: { cmd: `mv ${root}/source data`, outs: ["data"] } } }),
);

const rows: string[][] = [];
const addRow = (target: string, op: string, ourSecs: number, rcloneSecs: number) => {
  const gibs = (s: number) => ((mib / 1024) / s * 1024).toFixed(0);
  rows.push([
    target,
    op,
    `${ourSecs.toFixed(1)} s (${gibs(ourSecs)} MiB/s)`,
    `${rcloneSecs.toFixed(1)} s (${gibs(rcloneSecs)} MiB/s)`,
    (rcloneSecs / ourSecs).toFixed(2),
  ]);
};

async function main() {
  console.error(`writing ${nFiles} files, ${mib} MiB in all, under ${root}`);
  writeData(`${root}/source`);
  await ours(project, ["repro"]); // commits the data into the cache
  const objects = `${project}/.pipeline/cache/objects`;

  let s3: Deno.ChildProcess | undefined;
  try {
    for (const target of targets) {
      let remoteUrl: string, rcloneDest: (name: string) => string, env: Record<string, string> = {};
      let config: Record<string, unknown>;
      if (target === "dir") {
        remoteUrl = `${root}/dir-remote`;
        rcloneDest = (name) => `${root}/${name}`;
        config = { remotes: { bench: { url: remoteUrl, default: true } } };
      } else {
        const started = await startS3(`${root}/s3data`);
        s3 = started.process;
        const endpoint = `http://127.0.0.1:${started.port}`;
        remoteUrl = "s3://bench/ours";
        config = { remotes: { bench: { url: remoteUrl, endpoint, default: true } } };
        env = {
          AWS_ACCESS_KEY_ID: "S3RVER",
          AWS_SECRET_ACCESS_KEY: "S3RVER",
          RCLONE_CONFIG_S3_TYPE: "s3",
          RCLONE_CONFIG_S3_PROVIDER: "Other",
          RCLONE_CONFIG_S3_ENDPOINT: endpoint,
          RCLONE_CONFIG_S3_ACCESS_KEY_ID: "S3RVER",
          RCLONE_CONFIG_S3_SECRET_ACCESS_KEY: "S3RVER",
          RCLONE_CONFIG_S3_FORCE_PATH_STYLE: "true",
        };
        rcloneDest = (name) => `s3:bench/${name}`;
      }
      Deno.writeTextFileSync(`${project}/pipeline.config.yaml`, stringify(config));
      const rclone = (from: string, to: string) =>
        run("rclone", ["copy", from, to, "--transfers", String(jobs), "--checkers", String(jobs)], env);

      console.error(`${target}: push`);
      const pushOurs = await ours(project, ["push", "--jobs", String(jobs)], env);
      const pushRclone = await rclone(objects, rcloneDest("rclone"));
      addRow(target, "push", pushOurs, pushRclone);

      console.error(`${target}: fetch / pull`);
      const clone = `${root}/clone-${target}`;
      Deno.mkdirSync(clone);
      for (const f of ["pipeline.yaml", "params.yaml", "pipeline.lock", "pipeline.config.yaml"]) {
        Deno.copyFileSync(`${project}/${f}`, `${clone}/${f}`);
      }
      const fetchOurs = await ours(clone, ["fetch", "--jobs", String(jobs)], env);
      const pullRclone = await rclone(rcloneDest("rclone"), `${root}/rclone-back-${target}`);
      addRow(target, "fetch (into the cache)", fetchOurs, pullRclone);
      Deno.removeSync(`${clone}/.pipeline`, { recursive: true });
      const pullOurs = await ours(clone, ["pull", "--jobs", String(jobs)], env);
      addRow(target, "pull (fetch + checkout)", pullOurs, pullRclone);
      Deno.removeSync(`${root}/rclone-back-${target}`, { recursive: true });
      Deno.removeSync(clone, { recursive: true });
    }
  } finally {
    if (s3) {
      s3.kill("SIGTERM");
      await s3.status;
    }
  }
  console.log(`\n${nFiles} files, ${mib} MiB, --jobs ${jobs} / rclone --transfers ${jobs}; one run each\n`);
  console.log("| target | operation | ours | rclone copy | rclone time / ours |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

async function startS3(dir: string): Promise<{ process: Deno.ChildProcess; port: number }> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${repo}/tools/services/s3rver.ts`, dir, "bench"],
    cwd: repo,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/port \d+\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`s3rver did not start: ${text}`);
    text += value;
  }
  reader.releaseLock();
  return { process, port: Number(text.match(/port (\d+)/)![1]) };
}

try {
  await main();
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
