/**
 * Stage `measure-dimensionality` through its entry point on a tiny saved model: each declared `dim` param moves
 * the output the way it should (the sample, the representation, the PCA threshold, the corruption and attack
 * conditions and every attack setting), and the batch size does not move the numbers.
 */
import assert from "node:assert/strict";
import { assertDiffer, runAll, runStageScript, stageFixture } from "./stage_fixture.ts";

const fx = await stageFixture([28, 28, 1], 40);
const base = {
  n_samples: 12,
  seed: 0,
  representation: "flatten",
  max_features: null,
  variance_threshold: 0.95,
  corruptions: ["gaussian_noise"],
  severities: [3],
  attacks: [{ name: "pgd-linf", eps_linf_255: 8 }, { name: "apgd-l2", eps_l2: 0.5 }],
  match_norm: false,
  perturbed_dims: false,
  pgd: { steps: 2, step_factor: 2.5, restarts: 1, random_start: true },
  apgd: { steps: 2 },
  attack_seed: 0,
  batch_size: 128,
};
const run = (p: Record<string, unknown>) => () =>
  runStageScript(fx, "measure_dimensionality.ts", { dim: { ...base, ...p } }, [], "wasm");

interface Dim {
  components: number;
  participation_ratio: number;
  total_variance: number;
}
interface Condition {
  id: string;
  kind: string;
  accuracy: number;
  layers: { delta: Dim; perturbed?: Dim }[];
}

Deno.test("measure-dimensionality: every declared param reaches the measurement", async () => {
  const results = (await runAll([
    run({}),
    run({ n_samples: 16 }),
    run({ seed: 3 }),
    run({ representation: "spatial_mean" }),
    run({ max_features: 50 }),
    run({ variance_threshold: 0.5 }),
    run({ corruptions: ["contrast", "fog"], severities: [5, 1] }),
    run({ pgd: { ...base.pgd, steps: 4 } }),
    run({ pgd: { ...base.pgd, step_factor: 1 } }),
    run({ pgd: { ...base.pgd, random_start: false } }),
    run({ pgd: { ...base.pgd, restarts: 2 } }),
    run({ apgd: { steps: 4 } }),
    run({ attack_seed: 1 }),
    run({ batch_size: 5 }),
    run({ match_norm: true }),
    run({ perturbed_dims: true }),
  ])).map((r) => r.json);
  const [
    a,
    more,
    seed,
    mean,
    capped,
    threshold,
    corr,
    steps,
    factor,
    noStart,
    restarts,
    apgd,
    attackSeed,
    batch,
    matched,
    perturbed,
  ] = results;
  const cond = (j: typeof a, id: string): Condition => {
    const c = j.conditions.find((c: Condition) => c.id === id);
    assert.ok(c, `condition ${id} in ${j.conditions.map((c: Condition) => c.id)}`);
    return c;
  };
  const deltas = (j: typeof a, id: string) => cond(j, id).layers.map((l) => l.delta);
  const clean = (j: typeof a) => j.layers.map((l: { clean: Dim }) => l.clean);
  const pgdId = "pgd-linf-8/255", apgdId = "apgd-l2-l2-0.5";

  assert.equal(a.n_samples, 12);
  assert.deepEqual(a.conditions.map((c: Condition) => c.id), [pgdId, apgdId, "gaussian_noise-3"]);
  assert.equal(more.n_samples, 16);
  assertDiffer(clean(a), clean(more), "dim.n_samples");
  assertDiffer(clean(a), clean(seed), "dim.seed");
  assertDiffer(
    deltas(a, "gaussian_noise-3"),
    deltas(seed, "gaussian_noise-3"),
    "dim.seed (corruption draws)",
  );
  // spatial_mean: one feature per channel; flatten: h·w·c.
  for (const l of mean.layers) {
    assert.ok(l.features === l.features_used && l.features <= 64, `spatial_mean ${l.name}`);
  }
  for (const [i, l] of a.layers.entries()) {
    assert.ok(l.features > mean.layers[i].features, "flatten has more features than spatial_mean");
    assert.equal(l.features_used, l.features, "max_features null: every feature");
    assert.equal(capped.layers[i].features_used, 50, "max_features caps the features used");
  }
  assertDiffer(clean(a), clean(capped), "dim.max_features");
  clean(a).forEach((d: Dim, i: number) => assert.ok(clean(threshold)[i].components <= d.components));
  assert.ok(
    clean(threshold).some((d: Dim, i: number) => d.components < clean(a)[i].components),
    "variance_threshold 0.5 needs fewer components somewhere",
  );
  assert.deepEqual(
    corr.conditions.filter((c: Condition) => c.kind === "corruption").map((c: Condition) => c.id),
    ["contrast-1", "contrast-5", "fog-1", "fog-5"],
  );
  for (
    const [name, j] of [["pgd.steps", steps], ["pgd.step_factor", factor], ["pgd.random_start", noStart], [
      "pgd.restarts",
      restarts,
    ], ["attack_seed", attackSeed]] as const
  ) {
    assertDiffer(deltas(a, pgdId), deltas(j, pgdId), `dim.${name}`);
  }
  assertDiffer(deltas(a, apgdId), deltas(apgd, apgdId), "dim.apgd.steps");
  assert.deepEqual(deltas(a, apgdId), deltas(steps, apgdId), "pgd settings leave APGD alone");
  // match_norm adds each corruption rescaled to the first attack's per-image L2 norm.
  assert.ok(!a.conditions.some((c: Condition) => c.id.includes("@")));
  assert.ok(
    matched.conditions.some((c: Condition) => c.id === `gaussian_noise-3@${pgdId}`),
    "dim.match_norm",
  );
  // perturbed_dims adds the dimensionality of X_pert itself.
  assert.ok(cond(a, pgdId).layers.every((l) => l.perturbed === undefined));
  assert.ok(cond(perturbed, pgdId).layers.every((l) => l.perturbed!.components >= 1), "dim.perturbed_dims");
  // The batch size splits the forward passes and the attack batches, not the numbers.
  for (const id of ["gaussian_noise-3", pgdId]) {
    deltas(a, id).forEach((d: Dim, i: number) => {
      const e = deltas(batch, id)[i];
      assert.equal(e.components, d.components, `batch_size: ${id} layer ${i}`);
      assert.ok(
        Math.abs(e.total_variance - d.total_variance) <= 1e-4 * d.total_variance,
        `batch_size: ${id} ${i}`,
      );
    });
  }
});

Deno.test("measure-dimensionality's warm() starts the shared eigensolver workers that its runs then use", async () => {
  const { warm } = await import("../../stages/measure_dimensionality.ts");
  const { closeSharedEigenPool, defaultEigenWorkers, sharedEigenPool } = await import(
    "../../lib/linalg/eigen_pool.ts"
  );
  const threads = () => [...Deno.readDirSync("/proc/self/task")].length;
  closeSharedEigenPool();
  const before = threads();
  try {
    await warm(); // PIPELINE_BACKEND is not webgpu here: only the workers start
    assert.ok(
      threads() >= before + defaultEigenWorkers(),
      "the worker threads run before any network is measured",
    );
    const pool = sharedEigenPool();
    const after = threads();
    assert.equal(pool.alive, defaultEigenWorkers());
    assert.equal(sharedEigenPool(), pool);
    assert.equal(threads(), after, "the stage's run starts no more");
  } finally {
    closeSharedEigenPool();
  }
});
