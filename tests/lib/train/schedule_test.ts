import assert from "node:assert/strict";
import { learningRateAt } from "../../../lib/train/schedule.ts";

Deno.test("step schedule divides at the milestone epochs (hand-worked, 8 epochs, milestones 50 %/75 %)", () => {
  const s = { kind: "step" as const, milestones: [0.5, 0.75], gamma: 0.1 };
  const lrs = Array.from({ length: 8 }, (_, e) => learningRateAt(s, 1, e, 8));
  const want = [1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01];
  lrs.forEach((lr, e) => assert.ok(Math.abs(lr - want[e]) < 1e-12, `epoch ${e}: ${lr} vs ${want[e]}`));
});

Deno.test("cosine schedule: base at epoch 0, half-way value, floor respected", () => {
  const s = { kind: "cosine" as const, minFactor: 0.1 };
  assert.equal(learningRateAt(s, 0.2, 0, 4), 0.2);
  // epoch 2 of 4: cos(π/2) = 0 → min + (base − min)/2 = 0.02 + 0.09
  assert.ok(Math.abs(learningRateAt(s, 0.2, 2, 4) - 0.11) < 1e-12);
  assert.ok(learningRateAt(s, 0.2, 3, 4) > 0.02);
  assert.equal(learningRateAt({ kind: "constant" }, 0.3, 5, 6), 0.3);
  assert.throws(() => learningRateAt(s, 0.2, 4, 4), /epoch 4 outside 0\.\.3/);
});
