import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDataParams, prepareData } from "../../stages/prepare_data.ts";
import { parseTrainArgs, parseTrainParams } from "../../stages/train.ts";
import { CHECKPOINT_JSON } from "../../lib/train/checkpoint.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
const baseParams = {
  train: { epochs: 6, batch_size: 32, lr: 0.05, schedule: { kind: "cosine" } },
  model: { name: "cnn" },
  si: {},
};

Deno.test("train params: defaults, and errors that name the key", () => {
  const p = parseTrainParams(baseParams);
  assert.equal(p.train.momentum, 0.9);
  assert.equal(p.train.augment, "auto");
  assert.deepEqual(p.train.schedule, { kind: "cosine", min_factor: 0 });
  assert.equal(p.si.epsilon, 1e-7);
  assert.throws(
    () => parseTrainParams({ ...baseParams, model: { name: "vgg" } }),
    /invalid params: model\.name/,
  );
  assert.throws(
    () => parseTrainParams({ ...baseParams, train: { ...baseParams.train, lr: -1 } }),
    /train\.lr/,
  );
  assert.throws(
    () => parseTrainParams({ ...baseParams, train: { ...baseParams.train, lrr: 0.1 } }),
    /train: Unrecognized key: "lrr"/,
  );
  assert.throws(
    () => parseTrainParams({ ...baseParams, train: { ...baseParams.train, schedule: { kind: "poly" } } }),
    /train\.schedule\.kind/,
  );
});

Deno.test("train args: negative alpha as a separate word; backend from flag, else env, else auto", () => {
  const a = parseTrainArgs(["--alpha", "-0.3", "--seed", "2"], env({}));
  assert.equal(a.alpha, "-0.3");
  assert.equal(a.seed, "2");
  assert.equal(a.run, "a-0.3-s2");
  assert.throws(() => parseTrainArgs(["--seed", "1"], env({})), /--alpha is required/);
  assert.throws(
    () => parseTrainArgs(["--alpha", "x", "--seed", "1"], env({})),
    /--alpha 'x' is not a number/,
  );
  const base = ["--alpha", "1", "--seed", "1"];
  assert.deepEqual([parseTrainArgs(base, env({})).backend, parseTrainArgs(base, env({})).threads], [
    "auto",
    undefined,
  ]);
  const fromEnv = parseTrainArgs(base, env({ PIPELINE_BACKEND: "wasm", PIPELINE_THREADS: "2" }));
  assert.deepEqual([fromEnv.backend, fromEnv.threads], ["wasm", 2]);
  assert.equal(
    parseTrainArgs([...base, "--backend", "webgpu"], env({ PIPELINE_BACKEND: "wasm" })).backend,
    "webgpu",
  );
  assert.throws(() => parseTrainArgs(base, env({ PIPELINE_BACKEND: "gpu" })), /backend 'gpu'.*not one of/);
});

/** Runs the stage as a process; returns the child so a test can kill it. */
function spawnStage(root: string, alpha: string, stageKey?: string) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../stages/train.ts", import.meta.url).pathname,
      "--alpha",
      alpha,
      "--seed",
      "1",
      "--backend",
      "wasm",
      "--threads",
      "1",
      "--data",
      join(root, "data"),
      "--out",
      join(root, "models"),
      "--checkpoints",
      join(root, "ckpt"),
    ],
    env: {
      PIPELINE_PARAMS: JSON.stringify(baseParams),
      PIPELINE_RUN_RECORD: join(root, "facts.json"),
      ...(stageKey ? { PIPELINE_STAGE_KEY: stageKey } : {}),
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("train stage: outputs, metrics; a killed run resumes to the uninterrupted weights, not under another stage key", async () => {
  const root = await Deno.makeTempDir();
  await prepareData(parseDataParams({
    data: {
      name: "synthetic",
      out: join(root, "data"),
      val_fraction: 0.2,
      synthetic: { train: 160, test: 40 },
    },
  }));
  const full = await spawnStage(root, "-0.5").output();
  assert.equal(full.code, 0, text(full.stderr));
  const name = "a-0.5-s1";
  const metrics = JSON.parse(await Deno.readTextFile(join(root, "models", `${name}.metrics.json`)));
  assert.equal(metrics.alpha, -0.5);
  // Results only: how the run went is in the run facts, not in the metrics or curves.
  for (const key of ["backend", "images_per_sec", "train_seconds", "wall_seconds", "resumed_from_epoch"]) {
    assert.equal(key in metrics, false, `metrics carry ${key}`);
  }
  const facts = JSON.parse(await Deno.readTextFile(join(root, "facts.json")));
  assert.equal(facts.backend.name, "wasm");
  assert.equal(facts.resumed_from_epoch, 0);
  assert.equal(facts.epoch_images_per_sec.length, 6);
  assert.ok(facts.images_per_sec > 0 && facts.wall_seconds >= facts.train_seconds);
  const fullMetricsBytes = await Deno.readFile(join(root, "models", `${name}.metrics.json`));
  const fullCurvesBytes = await Deno.readFile(join(root, "models", `${name}.curves.json`));
  assert.ok(metrics.test.acc >= 0 && metrics.test.acc <= 1 && metrics.test.mean_si >= 0);
  assert.equal(metrics.params.train.epochs, 6);
  const curves = JSON.parse(await Deno.readTextFile(join(root, "models", `${name}.curves.json`)));
  assert.deepEqual(curves.map((r: { epoch: number }) => r.epoch), [1, 2, 3, 4, 5, 6]);
  assert.equal("images_per_sec" in curves[0], false);
  const fullWeights = await Deno.readFile(join(root, "models", name, "weights.bin"));
  await assert.rejects(Deno.stat(join(root, "ckpt", name)), Deno.errors.NotFound); // removed after success

  // Kill a second run (SIGKILL) once its first checkpoint exists, then run again.
  await Deno.remove(join(root, "models"), { recursive: true });
  const victim = spawnStage(root, "-0.5");
  const ckpt = join(root, "ckpt", name, CHECKPOINT_JSON);
  for (;;) {
    const done = await Deno.readTextFile(ckpt).then((t) => JSON.parse(t).epochs_done as number, () => 0);
    if (done >= 1) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  victim.kill("SIGKILL");
  await victim.output();
  const resumed = await spawnStage(root, "-0.5").output();
  assert.equal(resumed.code, 0, text(resumed.stderr));
  assert.match(text(resumed.stdout), /resuming after epoch [1-5]/);
  assert.deepEqual(await Deno.readFile(join(root, "models", name, "weights.bin")), fullWeights);
  // The resumed run's result files are byte-identical to the uninterrupted run's; only its facts differ.
  assert.deepEqual(await Deno.readFile(join(root, "models", `${name}.metrics.json`)), fullMetricsBytes);
  assert.deepEqual(await Deno.readFile(join(root, "models", `${name}.curves.json`)), fullCurvesBytes);
  assert.ok(JSON.parse(await Deno.readTextFile(join(root, "facts.json"))).resumed_from_epoch >= 1);

  // A checkpoint written under another stage key (the runner's key: other code, data or params) is not resumed.
  const stale = spawnStage(root, "-0.5", "key-before-a-code-change");
  for (;;) {
    const done = await Deno.readTextFile(ckpt).then((t) => JSON.parse(t).epochs_done as number, () => 0);
    if (done >= 1) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  stale.kill("SIGKILL");
  await stale.output();
  const changed = await spawnStage(root, "-0.5", "key-after-the-change").output();
  assert.equal(changed.code, 0, text(changed.stderr));
  assert.match(text(changed.stdout), /starting fresh: checkpoint .* made with other settings/);
  assert.deepEqual(await Deno.readFile(join(root, "models", name, "weights.bin")), fullWeights);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train: --method names the run and picks the variant's params from 'bidirectional'", async () => {
  const { methodOf } = await import("../../stages/train.ts");
  const a = parseTrainArgs(["--alpha", "0", "--seed", "1", "--method", "pgd"], env({}));
  assert.deepEqual([a.method, a.run], ["pgd", "a0-s1-pgd"]);
  assert.equal(parseTrainArgs(["--alpha", "0", "--seed", "1"], env({})).run, "a0-s1");
  assert.throws(
    () => parseTrainArgs(["--alpha", "0", "--seed", "1", "--method", "x"], env({})),
    /--method 'x'/,
  );
  assert.deepEqual(methodOf("standard", undefined), { kind: "standard" });
  assert.deepEqual(methodOf("pgd", { pgd: { eps_linf_255: 8, steps: 7 } }), {
    kind: "pgd",
    epsLinf255: 8,
    steps: 7,
    stepFactor: 2.5,
  });
  assert.throws(() => methodOf("noise", undefined), /needs params.yaml section 'bidirectional'/);
  assert.throws(() => methodOf("noise", { noise: { sigma: -1 } }), /sigma/);
});

Deno.test("train.lr far too high fails naming divergence and train.lr, not a NaN class mean", async () => {
  const root = await Deno.makeTempDir();
  try {
    await prepareData(parseDataParams({
      data: {
        name: "synthetic",
        out: join(root, "data"),
        val_fraction: 0.2,
        synthetic: { train: 40, test: 20 },
      },
    }));
    // One batch per epoch: the step's loss is read before its update, so only the weights show the damage.
    const params = { ...baseParams, train: { ...baseParams.train, epochs: 1, lr: 1e30 } };
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../stages/train.ts", import.meta.url).pathname,
        ...["--alpha", "0", "--seed", "1", "--backend", "wasm", "--threads", "1"],
        ...["--data", join(root, "data"), "--out", join(root, "models"), "--checkpoints", join(root, "ckpt")],
      ],
      env: { PIPELINE_PARAMS: JSON.stringify(params) },
    }).output();
    const err = text(out.stderr);
    assert.notEqual(out.code, 0);
    assert.match(err, /training diverged in epoch 1/);
    assert.match(err, /train\.lr/);
    assert.doesNotMatch(err, /class mean/);
    await assert.rejects(Deno.stat(join(root, "models", "a0-s1.metrics.json")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
