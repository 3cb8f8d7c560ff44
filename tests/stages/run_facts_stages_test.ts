/**
 * Every per-network measurement stage (and corrupt-data, which makes corrupt-eval's sets), run twice on a tiny
 * model: its result files are byte-identical between the runs, and how each run went (backend, device,
 * seconds; the evaluation stages' images per second) is in the run facts the runner asked for
 * (`PIPELINE_RUN_RECORD`), never in a result.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDataParams, prepareData } from "../../stages/prepare_data.ts";
import { buildModel } from "../../lib/models/registry.ts";
import { saveModel } from "../../lib/models/io.ts";
import { initBackend } from "../../lib/backends/select.ts";

const CORRUPT = { corruptions: ["gaussian_noise", "contrast"], severities: [1, 3], limit: 12 };

/**
 * Stage script, its params, its output flags (each pointed at a fresh directory per run) and its other
 * arguments given the scratch folder (default: the network a0-s1 on the cpu backend and the prepared data).
 */
const STAGES: {
  script: string;
  params: Record<string, unknown>;
  outs: string[];
  args?: (dir: string) => string[];
}[] = [
  {
    script: "stages/corrupt_data.ts",
    params: { corrupt: CORRUPT },
    outs: ["--out"],
    args: (dir) => ["--data", join(dir, "data")],
  },
  {
    script: "stages/measure_selectivity.ts",
    params: { si: {}, selectivity: { limit: 16 } },
    outs: ["--out"],
  },
  { script: "stages/measure_gradients.ts", params: { grad: { n_samples: 8 } }, outs: ["--out"] },
  {
    script: "stages/measure_dimensionality.ts",
    params: {
      dim: {
        n_samples: 8,
        corruptions: ["gaussian_noise"],
        severities: [1],
        attacks: [{ name: "fgsm-linf", eps_linf_255: 2 }],
      },
    },
    outs: ["--out"],
  },
  {
    script: "stages/corrupt_eval.ts",
    params: { corrupt: CORRUPT },
    outs: ["--out", "--examples"],
    // The sets of corrupt-data's first run (its entry comes first).
    args: (dir) => [...networkArgs(dir), "--corrupted", join(dir, "stages_corrupt_data_ts-1", "out")],
  },
  {
    script: "stages/attack_eval.ts",
    params: { attack: { attacks: ["fgsm-linf"], eps_linf_255: [0, 4], n_examples: 12, example_images: 2 } },
    outs: ["--out"],
  },
];

/** The arguments of a per-network stage on the network a0-s1 under `dir`, on the cpu backend. */
function networkArgs(dir: string): string[] {
  return [
    "--alpha",
    "0",
    "--seed",
    "1",
    "--backend",
    "cpu",
    "--data",
    join(dir, "data"),
    "--models",
    join(dir, "models"),
  ];
}

/** Every file under `dir`: relative path → bytes. */
function files(dir: string, rel = ""): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const e of Deno.readDirSync(join(dir, rel))) {
    const path = join(rel, e.name);
    if (e.isDirectory) { for (const [k, v] of files(dir, path)) out.set(k, v); }
    else out.set(path, Deno.readFileSync(join(dir, path)));
  }
  return out;
}

/** `rate` is `count` per `seconds`, as recorded (to 0.1). */
function assertRate(rate: number, count: number, seconds: number, what: string): void {
  assert.ok(
    seconds > 0 && Math.abs(rate - count / seconds) <= 0.05 + 1e-9 * rate,
    `${what}: ${rate} vs ${count}/${seconds}`,
  );
}

Deno.test("measurement stages: identical result bytes on a rerun, run facts only in the run record", async () => {
  await initBackend("cpu");
  const dir = await Deno.makeTempDir();
  try {
    const data = join(dir, "data");
    await prepareData(parseDataParams({
      data: { name: "synthetic", out: data, synthetic: { train: 40, test: 24, shape: [28, 28, 1] } },
    }));
    const { model } = buildModel("cnn", { inputShape: [28, 28, 1], numClasses: 4, seed: 1 });
    await saveModel(model, join(dir, "models", "a0-s1"));
    for (const stage of STAGES) {
      const runOnce = async (tag: string) => {
        const outArgs = stage.outs.flatMap((flag) => [flag, join(dir, tag, flag.slice(2))]);
        const facts = join(dir, `${tag}.facts.json`);
        const r = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", stage.script, ...(stage.args ?? networkArgs)(dir), ...outArgs],
          env: { PIPELINE_PARAMS: JSON.stringify(stage.params), PIPELINE_RUN_RECORD: facts },
        }).output();
        assert.equal(r.code, 0, `${stage.script}: ${new TextDecoder().decode(r.stderr)}`);
        return { out: files(join(dir, tag)), facts: JSON.parse(await Deno.readTextFile(facts)) };
      };
      const tag = stage.script.replace(/\W/g, "_");
      const [a, b] = [await runOnce(`${tag}-1`), await runOnce(`${tag}-2`)];
      assert.ok(a.out.size > 0, `${stage.script} wrote nothing`);
      assert.deepEqual([...a.out.keys()], [...b.out.keys()], stage.script);
      for (const [path, bytes] of a.out) {
        assert.deepEqual(b.out.get(path), bytes, `${stage.script}: ${path} differs`);
      }
      for (const [path, bytes] of a.out) {
        if (!path.endsWith(".json")) continue;
        const text = new TextDecoder().decode(bytes);
        for (const volatile of ["backend", "device", "time_s", "seconds", "wall"]) {
          assert.ok(!text.includes(`"${volatile}`), `${stage.script}: ${path} carries '${volatile}'`);
        }
      }
      if (stage.script !== "stages/corrupt_data.ts") {
        assert.equal(a.facts.backend.name, "cpu", stage.script);
        assert.ok(typeof a.facts.backend.device === "string", stage.script);
      }
      const seconds = a.facts.wall_seconds ?? a.facts.time_s?.total ?? a.facts.time_s;
      assert.ok(typeof seconds === "number" && seconds > 0, `${stage.script}: ${JSON.stringify(a.facts)}`);
      if (stage.script === "stages/attack_eval.ts") {
        assert.equal(a.facts.attack_tracking?.tracking, "shrink", "attack-eval records the cpu bookkeeping");
        const attacks = Object.keys(a.facts.attack_seconds);
        assert.deepEqual(Object.keys(a.facts.images_per_sec), attacks, "images/s for every attack");
        // 12 images at each of 2 radii, in the attack's measured seconds.
        for (const attack of attacks) {
          assertRate(a.facts.images_per_sec[attack], 12 * 2, a.facts.attack_seconds[attack], attack);
        }
      }
      if (stage.script === "stages/corrupt_data.ts") {
        // 12 images in each of 4 (corruption, severity) cells, corrupted in the stage's seconds.
        assertRate(a.facts.images_per_sec.corrupt, 4 * 12, a.facts.time_s.total, "corrupt");
      }
      if (stage.script === "stages/corrupt_eval.ts") {
        // 12 images in each of 4 (corruption, severity) cells read; prediction also of the 12 clean ones.
        assertRate(a.facts.images_per_sec.read, 4 * 12, a.facts.time_s.read, "read");
        assertRate(a.facts.images_per_sec.predict, 5 * 12, a.facts.time_s.predict, "predict");
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
