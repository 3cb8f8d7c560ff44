/**
 * Training throughput (images/s) of the project's training step (lib/train/loop.ts `trainStep`: forward with
 * selectivity outputs, CE − α·μ_SI, gradients, momentum SGD) for each model on each backend, next to PyTorch on
 * CPU (bench/train_torch.py, same architectures) at the same batch size and thread count.
 *
 * Each (model, backend) runs in its own process (the wasm thread count is fixed per process). Inputs are random
 * [0, 1] pixels held in memory, so the numbers measure compute only; throughput = batch / median step time
 * after warm-up.
 *
 * Usage:
 *   deno run -A bench/train.ts [--models cnn,resnet20,resnet18] [--backends wasm,cpu] [--threads 2]
 *     [--batch 128] [--steps 12] [--warmup 3] [--alpha 0] [--torch /usr/bin/python3]
 * The pure-JS cpu backend runs only for `--cpu-models` (default cnn). `--backends` may include webgpu (llvmpipe here; very slow). `--torch ''` skips PyTorch. Per-config steps can
 * be set like `--steps resnet18=2,cpu=2,6`; `--timeout S` (default 300) gives up on one configuration after S seconds (model or backend name, first match wins, bare number = default).
 * `--rounds N` (default 1) runs everything N times, PyTorch first in odd rounds and last in even ones, and
 * reports medians over the rounds with the lowest and highest per-round ratio: on a machine whose speed drifts
 * from minute to minute, one round's ratio can be off by a third.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type BackendChoice, initBackend } from "../lib/backends/select.ts";
import { buildModel } from "../lib/models/registry.ts";
import { Rng } from "../lib/random.ts";
import { stepContext, type TrainConfig, trainStep } from "../lib/train/loop.ts";

/** Input shape and classes of each model, as the project trains them. */
const SHAPES: Record<string, { shape: [number, number, number]; classes: number }> = {
  cnn: { shape: [28, 28, 1], classes: 10 },
  resnet20: { shape: [32, 32, 3], classes: 10 },
  resnet18: { shape: [64, 64, 3], classes: 200 },
};

interface Result {
  model: string;
  backend: string;
  device: string;
  imagesPerSec: number;
  medianStepMs: number;
  steps: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child(
  model: string,
  backend: string,
  threads: number,
  batch: number,
  steps: number,
  warmup: number,
  alpha: number,
) {
  const info = await initBackend(backend as BackendChoice, { threads });
  const { shape, classes } = SHAPES[model];
  const built = buildModel(model, { inputShape: shape, numClasses: classes, seed: 1 });
  const config: TrainConfig = {
    epochs: 1,
    batchSize: batch,
    lr: 0.01,
    schedule: { kind: "constant" },
    momentum: 0.9,
    weightDecay: 1e-4,
    alpha,
    seed: 1,
    augmentation: { kind: "none" },
    evalBatchSize: batch,
    siEpsilon: 1e-7,
    siGrouping: "block",
  };
  const ctx = stepContext(built, config);
  const rng = new Rng(7);
  const x = Float32Array.from({ length: batch * shape[0] * shape[1] * shape[2] }, () => rng.uniform());
  const labels = Int32Array.from({ length: batch }, () => rng.int(classes));
  const b = { x, labels, shape: [batch, ...shape] as [number, number, number, number] };
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    await trainStep(ctx, b, 0.01, { epoch: 1, batch: i + 1 });
    if (i >= warmup) times.push(performance.now() - t0);
  }
  const ms = median(times);
  const result: Result = {
    model,
    backend: info.backend,
    device: info.device,
    imagesPerSec: (batch * 1000) / ms,
    medianStepMs: ms,
    steps,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

function stepsFor(spec: string, model: string, backend: string): number {
  let fallback = 6;
  for (const part of spec.split(",")) {
    const [k, v] = part.includes("=") ? part.split("=") : [null, part];
    if (k === null) fallback = Number(v);
    else if (k === model || k === backend) return Number(v);
  }
  return fallback;
}

async function runProcess(cmd: string, args: string[], timeoutS: number): Promise<string> {
  const signal = AbortSignal.timeout(timeoutS * 1000);
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null", signal })
    .output();
  if (signal.aborted) throw new Error(`timed out after ${timeoutS} s`);
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(-800)}`);
  }
  return text;
}

const parseResults = (text: string): Result[] =>
  text.split("\n").filter((l) => l.startsWith("RESULT ")).map((l) => JSON.parse(l.slice(7)));

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      models: { type: "string", default: "cnn,resnet20" },
      backends: { type: "string", default: "wasm,cpu" },
      threads: { type: "string", default: "2" },
      batch: { type: "string", default: "128" },
      steps: { type: "string", default: "resnet18=3,cpu=2,12" },
      warmup: { type: "string", default: "3" },
      alpha: { type: "string", default: "0" },
      torch: { type: "string", default: "/usr/bin/python3" },
      "cpu-models": { type: "string", default: "cnn" },
      timeout: { type: "string", default: "300" },
      rounds: { type: "string", default: "1" },
      child: { type: "string" },
    },
  });
  const threads = Number(values.threads), batch = Number(values.batch), warmup = Number(values.warmup);
  if (values.child) {
    const [model, backend] = values.child.split(":");
    await child(
      model,
      backend,
      threads,
      batch,
      stepsFor(values.steps, model, backend),
      warmup,
      Number(values.alpha),
    );
    Deno.exit(0); // wasm pthread workers would otherwise keep the process alive
  }
  const models = values.models.split(","), backends = values.backends.split(",");
  const timeoutS = Number(values.timeout);
  const configs = models.flatMap((model) =>
    backends.filter((b) => b !== "cpu" || values["cpu-models"].split(",").includes(model)).map((backend) => ({
      model,
      backend,
    }))
  );
  const torchRuns: Map<string, Result>[] = [];
  const ours = new Map<string, (Result | Error)[]>(configs.map((c) => [`${c.model}:${c.backend}`, []]));
  const rounds = Number(values.rounds);
  for (let round = 0; round < rounds; round++) {
    // Alternate which side runs first, so a machine that speeds up or slows down favours neither.
    const torchFirst = round % 2 === 0;
    if (values.torch && torchFirst) torchRuns.push(await runTorch(values, models, timeoutS));
    for (const c of configs) {
      const key = `${c.model}:${c.backend}`;
      ours.get(key)!.push(await runOurs(values, key, timeoutS).catch((e: Error) => e));
    }
    if (values.torch && !torchFirst) torchRuns.push(await runTorch(values, models, timeoutS));
    console.error(`round ${round + 1} of ${rounds} done`);
  }
  console.log(
    `batch ${batch}, ${threads} threads, alpha ${values.alpha}, warm-up ${warmup} steps, ${rounds} round(s) ` +
      "(medians over rounds; the last column: each round's ratio, lowest and highest)\n",
  );
  console.log(table(models, configs, torchRuns, ours, batch).join("\n"));
}

/** Runs bench/train_torch.py once for all models. */
async function runTorch(values: Record<string, string>, models: string[], timeoutS: number) {
  const script = new URL("./train_torch.py", import.meta.url).pathname;
  const steps = Math.max(...models.map((m) => stepsFor(values.steps, m, "torch")));
  const text = await runProcess(values.torch, [
    ...[script, "--models", models.join(","), "--threads", values.threads, "--batch", values.batch],
    ...["--steps", String(steps), "--warmup", values.warmup],
  ], timeoutS);
  return new Map(parseResults(text).map((r) => [r.model, r]));
}

/** Runs one (model, backend) configuration in its own process. */
async function runOurs(values: Record<string, string>, key: string, timeoutS: number): Promise<Result> {
  const self = new URL(import.meta.url).pathname;
  const text = await runProcess(Deno.execPath(), [
    ...["run", "-A", self, "--child", key, "--threads", values.threads, "--batch", values.batch],
    ...["--steps", values.steps, "--warmup", values.warmup, "--alpha", values.alpha],
  ], timeoutS);
  return parseResults(text)[0];
}

/** The Markdown table: per model PyTorch's median step, then each backend's, its ratio and its range. */
function table(
  models: string[],
  configs: { model: string; backend: string }[],
  torchRuns: Map<string, Result>[],
  ours: Map<string, (Result | Error)[]>,
  batch: number,
): string[] {
  const perSec = (ms: number) => (batch * 1000 / ms).toFixed(1);
  const rows = [
    "| model | backend | device | steps | ms/step | img/s | ÷ PyTorch CPU | per round |",
    "|---|---|---|---:|---:|---:|---:|---|",
  ];
  for (const model of models) {
    const t = torchRuns.map((m) => m.get(model));
    const measured = t.filter((r): r is Result => r !== undefined);
    const torchMs = measured.length ? median(measured.map((r) => r.medianStepMs)) : undefined;
    if (torchMs !== undefined) {
      rows.push(
        `| ${model} | pytorch | ${measured[0].device} | ${measured[0].steps} | ${torchMs.toFixed(0)} | ` +
          `${perSec(torchMs)} | 1.00 | |`,
      );
    }
    for (const c of configs.filter((c) => c.model === model)) {
      const runs = ours.get(`${c.model}:${c.backend}`)!;
      const ok = runs.filter((r): r is Result => !(r instanceof Error));
      if (ok.length === 0) {
        const why = (runs[0] as Error).message.split("\n")[0].slice(0, 80);
        rows.push(`| ${model} | ${c.backend} | failed: ${why} | | | | | |`);
        continue;
      }
      const ms = median(ok.map((r) => r.medianStepMs));
      const perRound = runs.flatMap((r, i) => {
        const peer = t[i];
        return r instanceof Error || !peer ? [] : [peer.medianStepMs / r.medianStepMs];
      });
      const range = perRound.length
        ? `${Math.min(...perRound).toFixed(3)}–${Math.max(...perRound).toFixed(3)}`
        : "";
      rows.push(
        `| ${model} | ${ok[0].backend} | ${ok[0].device} | ${ok[0].steps} | ${ms.toFixed(0)} | ` +
          `${perSec(ms)} | ${torchMs ? (torchMs / ms).toFixed(3) : "-"} | ${range} |`,
      );
    }
  }
  return rows;
}

if (import.meta.main) await main();
