/**
 * Where the runner's own costs grow with the number of stages, for docs/scale.md: building the stage graph
 * (every dep is matched against every out) and rewriting pipeline.lock (the runner rewrites the whole lock after
 * each stage). Synthetic stages shaped like the train/measure stages of pipeline.yaml: 12 deps (shared library
 * directories and one upstream output) and 2 outs each, lock entries with that many digests.
 *
 * ```
 * deno run -A bench/runner_scale.ts [--stages 1000,4000]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildGraph } from "../pipeline/graph.ts";
import { formatLock, type Lock } from "../pipeline/lock.ts";
import type { StageSpec } from "../pipeline/spec.ts";

function stages(n: number): StageSpec[] {
  const shared = [
    "lib/train",
    "lib/models",
    "lib/data",
    "lib/random.ts",
    "stages/support",
    "lib/backends/*.ts",
  ];
  return Array.from({ length: n }, (_, i) => ({
    name: `s@${i}`,
    cmd: [`run ${i}`],
    wdir: "",
    deps: [
      ...shared,
      `stages/s${i % 6}.ts`,
      `lib/m${i % 6}`,
      "outputs/data",
      `outputs/up/${i}`,
      "x/a",
      "x/b",
    ],
    params: ["train"],
    outs: [
      { path: `outputs/models/${i}`, kind: "outs", cache: true, persist: false },
      { path: `outputs/models/${i}.json`, kind: "metrics", cache: true, persist: false },
    ],
    frozen: false,
    sandbox: false,
    envAllow: [],
    alwaysChanged: false,
    resources: {},
    where: "bench",
  }));
}

function lock(n: number): Lock {
  const d = (i: number) => ({ digest: i.toString(16).padStart(32, "0"), size: 1000 + i });
  return Object.fromEntries(
    stages(n).map((s, i) => [s.name, {
      key: i.toString(16).padStart(64, "0"),
      cmd: s.cmd,
      deps: Object.fromEntries(
        s.deps.map((p, j) => [p, { ...d(i + j), ...(p.startsWith("lib/") ? { nfiles: 9 } : {}) }]),
      ),
      params: { "train.lr": 0.05, "train.epochs": 200 },
      outs: Object.fromEntries(s.outs.map((o, j) => [o.path, d(i * 7 + j)])),
    }]),
  );
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { stages: { type: "string" } } });
  for (const n of (values.stages ?? "1000,4000").split(",").map(Number)) {
    let t0 = performance.now();
    buildGraph(stages(n));
    const graphMs = performance.now() - t0;
    const l = lock(n);
    t0 = performance.now();
    const text = formatLock(l);
    const lockMs = performance.now() - t0;
    console.log(
      `${n} stages: graph ${graphMs.toFixed(0)} ms; one lock rewrite ${lockMs.toFixed(0)} ms for ` +
        `${(text.length / 2 ** 20).toFixed(2)} MiB (${(text.length / n).toFixed(0)} B per stage)`,
    );
  }
}
