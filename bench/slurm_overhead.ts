/**
 * Per-stage overhead of running a workflow through Slurm: our runner (`repro --executor slurm`) against
 * Snakemake 7.21 (`--cluster sbatch`) driving the same Slurm, on the same workflow: N independent stages that
 * each write one small file, at the same bound on jobs in flight. The work is nil, so everything measured is
 * overhead: submitting, Slurm's scheduling, the job's start-up, noticing the end, recording the result.
 * Per-stage overhead = makespan × jobs / N (job-slot seconds per stage); the closing line is the ratio.
 *
 * Needs a running Slurm (`bash tools/services/slurm.sh start`) and `snakemake` (Debian: apt-get install
 * snakemake). Usage:
 *
 * ```
 * deno run -A bench/slurm_overhead.ts [--stages 200] [--jobs 4] [--repeats 1]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

const CLI = new URL("../pipeline/cli.ts", import.meta.url).pathname;

interface Timing {
  readonly tool: string;
  readonly seconds: number;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  if (r.code !== 0) {
    const dec = new TextDecoder();
    throw new Error(
      `${cmd} failed (${r.code}):\n${dec.decode(r.stdout).slice(-2000)}${dec.decode(r.stderr).slice(-2000)}`,
    );
  }
}

/** Our runner: a matrix stage of `n` items, each job writing one file. */
function ours(n: number, jobs: number): Timing {
  const dir = Deno.makeTempDirSync({ prefix: "bench-slurm-ours-" });
  try {
    Deno.writeTextFileSync(
      `${dir}/params.yaml`,
      `items: [${Array.from({ length: n }, (_, i) => i).join(", ")}]\n`,
    );
    Deno.writeTextFileSync(
      `${dir}/pipeline.yaml`,
      [
        "stages:",
        "  s:",
        "    matrix: { i: '${items}' }",
        "    cmd: echo ${item.i} > out/s${item.i}.txt",
        '    outs: ["out/s${item.i}.txt"]',
        "    resources: { cpus: 1, mem: 50 }",
        "",
      ].join("\n"),
    );
    const t0 = performance.now();
    run(Deno.execPath(), ["run", "-A", CLI, "repro", "--executor", "slurm", "--jobs", String(jobs)], dir);
    const seconds = (performance.now() - t0) / 1000;
    for (let i = 0; i < n; i++) Deno.statSync(`${dir}/out/s${i}.txt`);
    return { tool: "ours", seconds };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Snakemake: one rule with a wildcard, `n` targets, `--cluster sbatch`. */
function snakemake(n: number, jobs: number): Timing {
  const dir = Deno.makeTempDirSync({ prefix: "bench-slurm-smk-" });
  try {
    Deno.mkdirSync(`${dir}/logs`);
    Deno.writeTextFileSync(
      `${dir}/Snakefile`,
      [
        `rule all:`,
        `    input: expand("out/s{i}.txt", i=range(${n}))`,
        ``,
        `rule s:`,
        `    output: "out/s{i}.txt"`,
        `    shell: "echo {wildcards.i} > {output}"`,
        ``,
      ].join("\n"),
    );
    const t0 = performance.now();
    run("snakemake", [
      "--jobs",
      String(jobs),
      "--cluster",
      `sbatch --parsable --cpus-per-task=1 --mem=50 --output=${dir}/logs/%j.out`,
      "--cluster-cancel",
      "scancel",
      "--latency-wait",
      "10",
      "--quiet",
    ], dir);
    const seconds = (performance.now() - t0) / 1000;
    for (let i = 0; i < n; i++) Deno.statSync(`${dir}/out/s${i}.txt`);
    return { tool: "snakemake", seconds };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { stages: { type: "string" }, jobs: { type: "string" }, repeats: { type: "string" } },
  });
  const n = Number(values.stages ?? 200);
  const jobs = Number(values.jobs ?? 4);
  const repeats = Number(values.repeats ?? 1);
  const version = new TextDecoder().decode(
    new Deno.Command("snakemake", { args: ["--version"], stdout: "piped" })
      .outputSync().stdout,
  ).trim();
  console.log(
    `${n} independent stages, at most ${jobs} jobs in flight, snakemake ${version}, ${repeats} repeat(s)`,
  );
  const best: Record<string, number> = {};
  for (let r = 0; r < repeats; r++) {
    // Alternate the order so neither tool always meets a cold or a warm controller.
    for (const t of r % 2 === 0 ? [ours(n, jobs), snakemake(n, jobs)] : [snakemake(n, jobs), ours(n, jobs)]) {
      console.log(`  ${t.tool.padEnd(10)} makespan ${t.seconds.toFixed(1)} s`);
      best[t.tool] = Math.min(best[t.tool] ?? Infinity, t.seconds);
    }
  }
  const per = (s: number) => (s * jobs) / n;
  console.log(`per-stage overhead (best makespan × jobs / stages):`);
  for (const [tool, s] of Object.entries(best)) {
    console.log(`  ${tool.padEnd(10)} ${per(s).toFixed(2)} job-slot s`);
  }
  console.log(`ratio snakemake / ours: ${(best.snakemake / best.ours).toFixed(2)}×`);
}
