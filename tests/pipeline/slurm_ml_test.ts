/**
 * The project's own ML pipeline, shrunk hard, through Slurm and locally in two copies of the repository: the
 * results must be byte-identical. Compared: the lock's out digests of the outputs that hold no timings (the
 * prepared data, the trained model, the corruption examples, the attack figure) and every metrics and curves
 * JSON after dropping its timing and device fields (`time_s`, `*seconds`, `images_per_sec`, `backend`), which
 * are not results.
 * Skipped loudly without a Slurm; a failure in CI.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parse } from "yaml";
import { runCli } from "./helpers.ts";
import { slurmTestsEnabled } from "./slurm_helpers.ts";

const enabled = slurmTestsEnabled();
const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

const SHRINK = [
  "data.limit_train=300",
  "data.limit_test=100",
  "grid.alpha=[0]",
  "grid.seeds=[1]",
  "train.epochs=1",
  "selectivity.limit=100",
  "grad.n_samples=10",
  "dim.n_samples=32",
  "corrupt.limit=20",
  "corrupt.severities=[1]",
  "attack.n_examples=20",
  "attack.pgd.steps=2",
  "attack.apgd.steps=2",
].flatMap((s) => ["--set", s]);
/** Every per-network stage; `aggregate` needs several alphas and is left out of the shrunk grid. */
const TARGETS = [
  "train",
  "measure-selectivity",
  "measure-gradients",
  "measure-dimensionality",
  "corrupt-eval",
  "attack-eval",
];
/** Outputs free of timings and device names, compared by their recorded digests. */
const EXACT = /^outputs\/(data|corrupted|models\/a0-s1|corruption-examples\/.*|attack\/.*\.png)$/;
/** Keys that hold timings or the device, not results. */
const VOLATILE = /^(time_s|seconds|wall_seconds|train_seconds|images_per_sec|backend)$/;

/** A copy of the repository's tracked and new files, without outputs or the lock, sharing node_modules. */
async function copyRepo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "slurm-ml-" });
  const list = new Deno.Command("git", {
    args: ["-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    stdout: "piped",
  }).outputSync();
  const files = new TextDecoder().decode(list.stdout).split("\0").filter((f) =>
    f && !f.startsWith("outputs/") && f !== "pipeline.lock"
  );
  for (const f of files) {
    try {
      const data = Deno.readFileSync(`${ROOT}/${f}`);
      Deno.mkdirSync(`${dir}/${f}`.replace(/\/[^/]*$/, ""), { recursive: true });
      Deno.writeFileSync(`${dir}/${f}`, data);
    } catch { /* deleted in the worktree */ }
  }
  Deno.symlinkSync(`${ROOT}/node_modules`, `${dir}/node_modules`);
  return dir;
}

function withoutVolatile(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutVolatile);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).filter(([k]) => !VOLATILE.test(k)).map(([k, x]) => [k, withoutVolatile(x)]),
    );
  }
  return v;
}

/** Out digests of the timing-free outputs, and the metrics JSONs without volatile fields. */
function results(dir: string): { digests: Record<string, string>; metrics: Record<string, unknown> } {
  const lock = parse(Deno.readTextFileSync(`${dir}/pipeline.lock`)) as {
    stages: Record<string, { outs: Record<string, { digest: string }> }>;
  };
  const digests: Record<string, string> = {};
  const metrics: Record<string, unknown> = {};
  for (const entry of Object.values(lock.stages)) {
    for (const [path, rec] of Object.entries(entry.outs)) {
      if (EXACT.test(path)) digests[path] = rec.digest;
      else if (path.endsWith(".json")) {
        metrics[path] = withoutVolatile(JSON.parse(Deno.readTextFileSync(`${dir}/${path}`)));
      }
    }
  }
  return { digests, metrics };
}

Deno.test({
  name: "slurm: the shrunk ML pipeline through Slurm gives results byte-identical to a local run",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const local = await copyRepo();
    const slurm = await copyRepo();
    try {
      const a = await runCli(local, ["repro", ...SHRINK, "--jobs", "2", ...TARGETS]);
      assertEquals(a.code, 0, a.out);
      const b = await runCli(slurm, [
        "repro",
        "--executor",
        "slurm",
        ...SHRINK,
        "--slurm",
        "cpus=1",
        "--slurm",
        "mem=2G",
        // slurm_test.ts may take a node down meanwhile (deno test --parallel): survive it as a user would.
        "--retries",
        "2",
        ...TARGETS,
      ]);
      assertEquals(b.code, 0, b.out);
      const ra = results(local);
      const rb = results(slurm);
      assertEquals(
        Object.keys(ra.digests).length >= 4,
        true,
        `too few outputs compared: ${Object.keys(ra.digests)}`,
      );
      assertEquals(Object.keys(ra.metrics).length, 7, `metrics compared: ${Object.keys(ra.metrics)}`);
      assertEquals(rb.digests, ra.digests);
      assertEquals(rb.metrics, ra.metrics);
    } finally {
      await Deno.remove(local, { recursive: true });
      await Deno.remove(slurm, { recursive: true });
    }
  },
});
