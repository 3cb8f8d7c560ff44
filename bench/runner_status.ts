/**
 * No-op `status` latency on a 100-stage, 10,000-file toy pipeline, against Snakemake's dry run (`snakemake -n`)
 * on the equivalent workflow (Debian's `snakemake`; install it for the benchmark only).
 *
 *   deno run -A bench/runner_status.ts [--stages 100] [--files-per-stage 100]
 *
 * Each stage reads its own directory of input files and writes one output. Both tools run once to build
 * everything; then each no-op check is timed five times (as a fresh process, as a user runs it) and the median is
 * reported, with the ratio.
 *
 * @module
 */
import { parseArgs } from "node:util";

const args = parseArgs({
  args: Deno.args,
  options: { stages: { type: "string" }, "files-per-stage": { type: "string" } },
});
const nStages = Number(args.values.stages ?? 100);
const perStage = Number(args.values["files-per-stage"] ?? 100);
const dir = await Deno.makeTempDir({ prefix: "status-bench-" });
const cli = new URL("../pipeline/cli.ts", import.meta.url).pathname;

const stages: string[] = [];
const rules: string[] = [
  `rule all:\n    input: [${Array.from({ length: nStages }, (_, i) => `"out/s${i}.txt"`).join(", ")}]\n`,
];
for (let s = 0; s < nStages; s++) {
  Deno.mkdirSync(`${dir}/in/s${s}`, { recursive: true });
  for (let f = 0; f < perStage; f++) {
    Deno.writeTextFileSync(`${dir}/in/s${s}/f${f}.txt`, `stage ${s} file ${f}\n`);
  }
  stages.push(
    `  s${s}:\n    cmd: mkdir -p out && cat in/s${s}/* | wc -l > out/s${s}.txt\n    deps: [in/s${s}]\n    outs: [out/s${s}.txt]`,
  );
  const inputs = Array.from({ length: perStage }, (_, f) => `"in/s${s}/f${f}.txt"`).join(", ");
  rules.push(
    `rule s${s}:\n    input: [${inputs}]\n    output: "out/s${s}.txt"\n    shell: "cat {input} | wc -l > {output}"\n`,
  );
}
Deno.writeTextFileSync(`${dir}/pipeline.yaml`, `stages:\n${stages.join("\n")}\n`);
Deno.writeTextFileSync(`${dir}/params.yaml`, "{}\n");
const smDir = `${dir}/snakemake`;
Deno.mkdirSync(smDir);
await new Deno.Command("cp", { args: ["-r", `${dir}/in`, smDir] }).output();
Deno.writeTextFileSync(`${smDir}/Snakefile`, rules.join("\n"));

async function run(cmd: string, argv: string[], cwd: string): Promise<number> {
  const t = performance.now();
  const r = await new Deno.Command(cmd, { args: argv, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) throw new Error(`${cmd} ${argv.join(" ")} failed:\n${new TextDecoder().decode(r.stderr)}`);
  return (performance.now() - t) / 1000;
}
async function median(fn: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) xs.push(await fn());
  return xs.sort((a, b) => a - b)[2];
}

const build = await run(Deno.execPath(), ["run", "-A", cli, "repro", "--jobs", "2"], dir);
const ours = await median(() => run(Deno.execPath(), ["run", "-A", cli, "status"], dir));
const out = new TextDecoder().decode(
  (await new Deno.Command(Deno.execPath(), { args: ["run", "-A", cli, "status"], cwd: dir, stdout: "piped" })
    .output()).stdout,
);
if (!out.includes("Everything is up to date")) {
  throw new Error(`status is not a no-op:\n${out.slice(0, 500)}`);
}
let snake = "not installed";
let ratio = "—";
try {
  await run("snakemake", ["--cores", "2", "--quiet"], smDir);
  const t = await median(() => run("snakemake", ["-n", "--quiet"], smDir));
  snake = `${t.toFixed(3)} s`;
  ratio = `${(t / ours).toFixed(1)}× faster`;
} catch (e) {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}
console.log(
  `${nStages} stages x ${perStage} files = ${nStages * perStage} input files; first build took ${
    build.toFixed(1)
  } s`,
);
console.log("| no-op check (fresh process, median of 5) | seconds |\n|---|---:|");
console.log(`| runner \`status\` | ${ours.toFixed(3)} |`);
console.log(`| \`snakemake -n\` | ${snake} |`);
console.log(`runner vs Snakemake: ${ratio}`);
await Deno.remove(dir, { recursive: true });
