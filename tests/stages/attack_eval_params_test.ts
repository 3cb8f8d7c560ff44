/**
 * Stage `attack-eval` through its entry point on a tiny saved model: each declared `attack` param moves the
 * output the way it should (the example PNG holds the adversarial images at each attack's largest ε, so a
 * setting of the attacks that changes nothing else shows there), and the batch size does not move the numbers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAttackParams } from "../../stages/attack_eval.ts";
import { assertDiffer, pngSize, runAll, runStageScript, stageFixture } from "./stage_fixture.ts";

const fx = await stageFixture([8, 8, 1], 40);
const base = {
  attacks: ["pgd-linf", "apgd-l2"],
  eps_linf_255: [0, 4],
  eps_l2: [0, 0.1],
  pgd: { steps: 2, step_factor: 2.5, restarts: 1, random_start: true },
  apgd: { steps: 2 },
  n_examples: 16,
  batch_size: 16,
  seed: 0,
  tolerance: 0.005,
  example_images: 4,
};
const run = (p: Record<string, unknown>) => async () => {
  const r = await runStageScript(fx, "attack_eval.ts", { attack: { ...base, ...p } }, [], "wasm");
  const png = await Deno.readFile(join(r.out, "a0-s1.png")).catch(() => null);
  return { json: r.json, png };
};

Deno.test("attack-eval: every declared param reaches the evaluation", async () => {
  const [a, which, epsInf, epsL2, steps, factor, restarts, noStart, apgd, n, batch, seed, tol, images] =
    await runAll([
      run({}),
      run({ attacks: ["fgsm-linf", "pgd-linf"] }),
      run({ eps_linf_255: [0, 2, 8] }),
      run({ eps_l2: [0.25, 1] }),
      run({ pgd: { ...base.pgd, steps: 4 } }),
      run({ pgd: { ...base.pgd, step_factor: 1 } }),
      run({ pgd: { ...base.pgd, restarts: 3 } }),
      run({ pgd: { ...base.pgd, random_start: false } }),
      run({ apgd: { steps: 5 } }),
      run({ n_examples: 24 }),
      run({ batch_size: 5 }),
      run({ seed: 3 }),
      run({ tolerance: 0.25 }),
      run({ example_images: 3 }),
    ]);
  const j = a.json;
  assert.equal(j.samples, 16);
  assert.deepEqual(Object.keys(j.attacks), ["pgd-linf", "apgd-l2"]);
  assert.deepEqual(Object.keys(which.json.attacks), ["fgsm-linf", "pgd-linf"]);
  assert.ok(which.json.checks.some((c: { check: string }) => c.check === "pgd-vs-fgsm"));
  assert.deepEqual(j.attacks["pgd-linf"].eps, [0, 4 / 255]);
  assert.deepEqual(epsInf.json.attacks["pgd-linf"].eps, [0, 2 / 255, 8 / 255]);
  assert.deepEqual(epsL2.json.attacks["apgd-l2"].eps, [0.25, 1]);
  assert.ok(
    j.clean_accuracy > 0.4,
    `the fixture model predicts more than one class (clean ${j.clean_accuracy})`,
  );
  // The PNG's adversarial columns change with every attack setting; pgd settings leave APGD's column alone.
  for (
    const [name, r] of [["pgd.steps", steps], ["pgd.step_factor", factor], ["pgd.restarts", restarts], [
      "pgd.random_start",
      noStart,
    ], ["apgd.steps", apgd]] as const
  ) {
    assertDiffer(a.png, r.png, `attack.${name}`);
  }
  assert.equal(n.json.samples, 24);
  assert.deepEqual(batch.json.attacks["pgd-linf"].accuracy, j.attacks["pgd-linf"].accuracy, "batch_size");
  // APGD keeps all its state per sample, but its loss comparisons see the float summation order of a batched
  // convolution on wasm: between batch sizes 16 and 5 one sample may flip (seen), no more.
  j.attacks["apgd-l2"].accuracy.forEach((v: number, i: number) =>
    assert.ok(
      Math.abs(batch.json.attacks["apgd-l2"].accuracy[i] - v) <= 1 / 16 + 1e-12,
      "batch_size: apgd-l2",
    )
  );
  assertDiffer(j.examples.test_indices, seed.json.examples.test_indices, "attack.seed (the subset)");
  assert.equal(j.tolerance, 1 / 16, "tolerance 0.005 is raised to one sample of 16");
  assert.equal(tol.json.tolerance, 0.25);
  assert.equal(images.json.examples.test_indices.length, 3);
  assert.equal(pngSize(a.png!).height, 4 * 8 + 3 * 2, "4 rows of 8 px, 2 px gaps");
  assert.equal(pngSize(images.png!).height, 3 * 8 + 2 * 2);
});

Deno.test("attack-eval params: an empty attack list is refused", () => {
  assert.throws(() => parseAttackParams({ attack: { attacks: [] } }), /attack\.attacks/);
});
