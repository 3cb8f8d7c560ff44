import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAttackArgs, parseAttackParams } from "../../stages/attack_eval.ts";
import { parseDataParams, prepareData } from "../../stages/prepare_data.ts";
import { buildModel } from "../../lib/models/registry.ts";
import { saveModel } from "../../lib/models/io.ts";
import { initBackend } from "../../lib/backends/select.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });

Deno.test("attack-eval params: defaults, and errors that name the key", () => {
  const p = parseAttackParams({ attack: { attacks: ["pgd-linf"] } });
  assert.deepEqual(p.eps_linf_255, [0, 0.5, 1, 2, 4, 8]);
  assert.deepEqual([p.pgd.steps, p.pgd.step_factor, p.n_examples], [20, 2.5, null]);
  assert.throws(() => parseAttackParams({ attack: { attacks: ["pgd-l3"] } }), /attack\.attacks\.0/);
  assert.throws(
    () => parseAttackParams({ attack: { attacks: ["pgd-l2"], eps_l2: [0] } }),
    /attack\.eps_l2 needs an eps > 0/,
  );
  assert.throws(
    () => parseAttackParams({ attack: { attacks: ["fgsm-linf"], eps_linf_255: [1, 1] } }),
    /attack\.eps_linf_255/,
  );
  assert.throws(
    () => parseAttackParams({ attack: { attacks: ["pgd-linf"], pgd: { restarts: 3, random_start: false } } }),
    /attack\.pgd\.restarts/,
  );
  assert.throws(() => parseAttackParams({}), /invalid params: attack/);
});

Deno.test("attack-eval args: backend from the flag, else PIPELINE_BACKEND, else auto", () => {
  const base = ["--alpha", "0.5", "--seed", "2"];
  assert.equal(parseAttackArgs(base, env({})).backend, "auto");
  assert.equal(parseAttackArgs(base, env({ PIPELINE_BACKEND: "cpu" })).backend, "cpu");
  assert.equal(
    parseAttackArgs([...base, "--backend", "wasm"], env({ PIPELINE_BACKEND: "cpu" })).backend,
    "wasm",
  );
  assert.throws(() => parseAttackArgs(base, env({ PIPELINE_BACKEND: "gpu" })), /PIPELINE_BACKEND/);
  assert.throws(() => parseAttackArgs(["--seed", "1"], env({})), /--alpha/);
  assert.throws(() => parseAttackArgs(["--alpha", "1", "--seed", "x"], env({})), /--seed/);
});

Deno.test("attack-eval end to end on a tiny model: metrics, checks, PNG", async () => {
  await initBackend("cpu");
  const dir = await Deno.makeTempDir();
  const data = join(dir, "data");
  await prepareData(parseDataParams({
    data: { name: "synthetic", out: data, synthetic: { train: 40, test: 24, shape: [8, 8, 1] } },
  }));
  const { model } = buildModel("cnn", { inputShape: [8, 8, 1], numClasses: 4, seed: 1 });
  await saveModel(model, join(dir, "models", "a0-s3"));
  const params = {
    attack: {
      attacks: ["fgsm-linf", "pgd-linf", "pgd-l2"],
      eps_linf_255: [0, 2, 8],
      eps_l2: [0, 0.5],
      pgd: { steps: 3 },
      n_examples: 16,
      batch_size: 10,
      example_images: 3,
    },
  };
  const run = async (out: string) => {
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "stages/attack_eval.ts",
        "--alpha",
        "0",
        "--seed",
        "3",
        "--backend",
        "cpu",
        "--data",
        data,
        "--models",
        join(dir, "models"),
        "--out",
        out,
      ],
      env: { PIPELINE_PARAMS: JSON.stringify(params) },
    });
    const r = await cmd.output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    return JSON.parse(await Deno.readTextFile(join(out, "a0-s3.json")));
  };
  const a = await run(join(dir, "out1"));
  assert.equal(a.samples, 16);
  assert.deepEqual(Object.keys(a.attacks), ["fgsm-linf", "pgd-linf", "pgd-l2"]);
  assert.deepEqual(a.attacks["pgd-linf"].eps, [0, 2 / 255, 8 / 255]);
  assert.equal(a.attacks["pgd-l2"].accuracy[0], a.clean_accuracy);
  assert.ok(a.checks.some((c: { check: string }) => c.check === "pgd-vs-fgsm"));
  assert.equal(a.checks.filter((c: { check: string }) => c.check === "in-ball").length, 8);
  assert.deepEqual(a.examples.columns.length, 4);
  const png = await Deno.readFile(join(dir, "out1", "a0-s3.png"));
  assert.deepEqual(Array.from(png.subarray(1, 4)), [0x50, 0x4e, 0x47]); // "PNG"
  await Deno.remove(dir, { recursive: true });
});
