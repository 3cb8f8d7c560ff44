import assert from "node:assert/strict";
import { join } from "node:path";
import { aggregate, gridRuns, verdictTable } from "../../stages/aggregate.ts";
import { fixtureArgs, writeFixture } from "./aggregate_fixture.ts";

// The fixture has 9 networks: the verdict rule's minimum is lowered to 9 so that its claims can be decided.
const PARAMS = { aggregate: { seed: 3, resamples: 1000, permutations: 2000, min_networks: 9 } };

async function withTemp(prefix: string, fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split("\n").map((l) => l.split(","));
  return lines.map((l) => Object.fromEntries(head.map((h, i) => [h, l[i]])));
}

Deno.test("aggregate: one row per network with every stage's metrics, as written by hand", async () => {
  await withTemp("aggregate-rows-", async (root) => {
    const nets = await writeFixture(root);
    const args = fixtureArgs(root);
    const content = await aggregate(args, PARAMS);
    const rows = parseCsv(await Deno.readTextFile(join(args.out, "table.csv")));
    assert.equal(rows.length, 9);
    assert.deepEqual(rows.map((r) => r.run), nets.map((n) => n.run), "sorted by α, then seed");
    for (const n of nets) {
      const r = rows.find((r) => r.run === n.run)!;
      const close = (key: string, want: number) =>
        assert.ok(Math.abs(Number(r[key]) - want) < 1e-12, `${n.run} ${key}: ${r[key]} vs ${want}`);
      assert.equal(Number(r.alpha), n.alpha);
      close("mean_si", n.si); // from measure-selectivity, not train's n.si + 0.01
      close("train_mean_si", n.si + 0.01);
      close("test_acc", n.acc);
      close("corrupted_ratio", n.ratio);
      close("corrupted_acc", n.acc * n.ratio);
      close("corrupted_acc_sev:3", n.acc * n.ratio - 0.05);
      close("adv_acc:pgd-linf:2", n.aucWorst + 0.1);
      close("adv_acc:worst-linf:8", n.aucWorst - 0.2);
      close("adv_auc:pgd-linf", n.aucWorst + 0.01);
      close("adv_auc:worst-linf", n.aucWorst);
      close("dim_clean_early", n.dimClean);
      close("dim_clean:block2_relu", n.dimClean + 5);
      close("dim_delta_corruption_early", (n.deltaCorruption[0] + n.deltaCorruption[1]) / 2);
      close("dim_delta_attack:block2_relu", (n.deltaAttack[0] + n.deltaAttack[1]) / 2 + 10);
      close("dim_delta_attack_pr_early", (n.deltaAttack[0] + n.deltaAttack[1]) / 8);
      close("grad_cv_samples", n.cvSamples);
      close("grad_cv_units:block1_relu", n.cvUnits);
      assert.ok(!("grad_cv_units:block2_relu" in r), "a CV that is null everywhere gives no column");
      close("si:block2_relu", n.si * 1.2);
    }
    const json = JSON.parse(await Deno.readTextFile(join(args.out, "table.json")));
    assert.equal(json.length, 9);
    assert.equal(json[0].values.mean_si, nets[0].si);
    // Per α: 3 networks each, and the mean of μ_SI over the seeds.
    const perAlpha = JSON.parse(await Deno.readTextFile(join(args.out, "per_alpha.json")));
    assert.deepEqual(perAlpha.map((s: { alpha: number }) => s.alpha), [-1, 0, 1]);
    const mean = nets.filter((n) => n.alpha === 1).reduce((s, n) => s + n.si, 0) / 3;
    assert.ok(Math.abs(perAlpha[2].metrics.mean_si.mean - mean) < 1e-12);
    assert.equal(perAlpha[2].networks, 3);
    assert.equal(content.networks.rows.length, 9);
    assert.equal(content.summary.rows.length, 3);
  });
});

Deno.test("aggregate: every claim is reproduced on paper-like data and contradicted when the data flips", async () => {
  for (const flip of [false, true]) {
    await withTemp("aggregate-claims-", async (root) => {
      await writeFixture(root, flip);
      const args = fixtureArgs(root);
      const content = await aggregate(args, PARAMS);
      const verdicts = JSON.parse(await Deno.readTextFile(join(args.out, "verdicts.json")));
      const byId = Object.fromEntries(
        verdicts.map((v: { id: string; verdict: string }) => [v.id, v.verdict]),
      );
      // Claim 1 (μ_SI rises with α) is a sanity check the fixture never flips.
      assert.equal(byId["1"], "reproduced");
      for (const id of ["5", "6", "7", "7b", "8", "9a", "9b"]) {
        assert.equal(byId[id], flip ? "contradicted" : "reproduced", `claim ${id}, flip ${flip}`);
      }
      const eight = verdicts.find((v: { id: string }) => v.id === "8");
      assert.equal(eight.kind, "paired");
      assert.equal(eight.stats.positive, flip ? 0 : 9);
      assert.ok(Math.abs(eight.p - 2 / 512) < 1e-12, "sign test, 9 of 9 on one side");
      assert.ok(
        verdicts.every((v: { p_holm: number | null; p: number | null }) => v.p === null || v.p_holm! >= v.p),
        "Holm never lowers a p",
      );
      // Within-α rows use the 3 seeds of each α: 9 networks in 3 strata.
      const within = verdicts.find((v: { id: string }) => v.id === "6w");
      assert.equal(within.kind, "within");
      assert.deepEqual([within.n, within.stats.groups], [9, 3]);
      // One SVG per figure: 4 vs α, 2 training curves, 1 corruption, 2 attack (pgd, worst case), 11 claims (not
      // the within-α rows), 4 heatmaps.
      const plots = (await Array.fromAsync(Deno.readDir(join(args.out, "plots")))).map((e) => e.name);
      assert.equal(plots.length, content.figures.length);
      assert.equal(plots.length, 24, plots.join());
      const html = await Deno.readTextFile(join(args.out, "index.html"));
      assert.equal(html.split("<svg").length - 1, 24);
      // Claim 8's verdict uses the norm-matched corruptions; the sensitivity table shows the raw-size choice too.
      assert.equal(eight.x, "dim_delta_corruption_matched_early");
      const sens = JSON.parse(await Deno.readTextFile(join(args.out, "sensitivity.json")));
      const raw = sens.find((r: { choice: string }) => r.choice === "block1_relu, raw size, components");
      assert.ok(raw && raw.n === 9 && raw.agrees === !flip, JSON.stringify(raw));
      assert.ok(
        sens.some((r: { claim: string; choice: string }) =>
          r.claim === "6" && r.choice.includes("ε = 2/255")
        ),
      );
      assert.ok(html.includes("<h2>Provenance</h2>") && html.includes("Sensitivity"));
      assert.equal(html.split("data:image/png;base64,").length - 1, 4, "attack and fog PNG of α = -1 and 1");
      const md = await Deno.readTextFile(join(args.out, "summary.md"));
      assert.ok(
        md.includes(`| 6 | Adversarial robustness`) && md.includes(flip ? "contradicted" : "reproduced"),
      );
    });
  }
});

Deno.test("aggregate: missing inputs leave claims unchecked with notes; malformed files are errors", async () => {
  await withTemp("aggregate-missing-", async (root) => {
    await writeFixture(root);
    const args = fixtureArgs(root);
    await Deno.remove(args.gradients, { recursive: true });
    await Deno.remove(args.selectivity + "/a1-s3.json");
    const content = await aggregate(args, PARAMS);
    const byId = Object.fromEntries(content.claims.map((c) => [c.id, c]));
    assert.equal(byId["9a"].verdict, "unchecked");
    assert.match(byId["9a"].note!, /no network has grad_cv_samples/);
    assert.equal(byId["5"].verdict, "reproduced");
    assert.ok(content.notes.some((n) => n.startsWith("measure-gradients: no *.json files in")));
    assert.ok(content.notes.includes("measure-selectivity: no output for a1-s3"));
    assert.ok(content.notes.some((n) => n.includes("μ_SI from the train stage") && n.includes("a1-s3")));
    const table = verdictTable(content.claims).split("\n");
    assert.match(table[0], /^claim\s+verdict\s+estimate\s+CI\s+p\s+p_holm\s+n$/);
    assert.match(table.find((l) => l.startsWith("9a "))!, /unchecked/);
    const strict = await aggregate(args, { aggregate: { ...PARAMS.aggregate, min_networks: 10 } });
    const five = strict.claims.find((c) => c.id === "5")!;
    assert.equal(five.verdict, "too few networks (9)", "the default rule needs 10 networks");
    assert.ok(five.estimate < 0 && Number.isNaN(five.pAdjusted!), "effect size shown, not tested");

    await Deno.writeTextFile(join(args.corruption, "a0-s1.json"), "{ not json");
    await assert.rejects(() => aggregate(args, PARAMS), /corruption\/a0-s1\.json: not valid JSON/);
    await Deno.writeTextFile(
      join(args.corruption, "a0-s1.json"),
      JSON.stringify({ clean_accuracy: "0.9", benchmark: null, per_severity: {} }),
    );
    await assert.rejects(() => aggregate(args, PARAMS), /corruption\/a0-s1\.json: clean_accuracy: .*number/);
  });
});

Deno.test("aggregate: no inputs give an empty report with notes; bad params name the key; same input, same bytes", async () => {
  await withTemp("aggregate-empty-", async (root) => {
    const args = fixtureArgs(root);
    const content = await aggregate(args, {});
    assert.ok(content.claims.every((c) => c.verdict === "unchecked"));
    assert.ok(content.notes.some((n) => n.startsWith("train: no *.metrics.json files")));
    await assert.rejects(() => aggregate(args, { aggregate: { level: 2 } }), /aggregate\.level/);
    await writeFixture(root);
    await aggregate(args, PARAMS);
    const first = await Deno.readTextFile(join(args.out, "index.html"));
    await aggregate(args, PARAMS);
    assert.equal(await Deno.readTextFile(join(args.out, "index.html")), first);
  });
});

Deno.test("aggregate: with a grid, reads only its runs and names the files of other runs it ignored", async () => {
  await withTemp("aggregate-grid-", async (root) => {
    await writeFixture(root); // α −1, 0, 1 × seeds 1, 2, 3
    const args = fixtureArgs(root);
    const content = await aggregate(args, { ...PARAMS, grid: { alpha: [-1, 1], seeds: [1, 2, 3] } });
    const rows = parseCsv(await Deno.readTextFile(join(args.out, "table.csv")));
    assert.deepEqual(rows.map((r) => r.run), ["a-1-s1", "a-1-s2", "a-1-s3", "a1-s1", "a1-s2", "a1-s3"]);
    const note = content.notes.find((n) => n.startsWith("ignored"));
    assert.equal(
      note,
      "ignored, not in grid.alpha × grid.seeds (outputs of an earlier grid): a0-s1, a0-s2, a0-s3",
    );
    // A run of the grid with no output at all is reported, not invented.
    const more = await aggregate(args, { ...PARAMS, grid: { alpha: [-1, 2], seeds: [1] } });
    assert.deepEqual(more.networks.rows.length, 1);
    assert.throws(
      () => gridRuns({ grid: { alpha: 1, seeds: [1] } }),
      /grid.alpha and grid.seeds must be lists/,
    );
  });
});

Deno.test("aggregate: robustness-training variants are checked as claim 10 and kept out of the α grid", async () => {
  await withTemp("aggregate-methods-", async (root) => {
    await writeFixture(root);
    const args = fixtureArgs(root);
    // Three seeds of noise- and PGD-trained networks at α = 0, with μ_SI below and above the standard ones.
    for (const [method, si] of [["noise", 0.1], ["pgd", 0.6]] as const) {
      for (const seed of [1, 2, 3]) {
        const run = `a0-s${seed}-${method}`;
        await Deno.writeTextFile(
          join(args.models, `${run}.metrics.json`),
          JSON.stringify({ test: { acc: 0.8, mean_si: si }, epochs: 2 }),
        );
        await Deno.writeTextFile(
          join(args.selectivity, `${run}.json`),
          JSON.stringify({
            network_mean_si: si + 0.01 * seed,
            accuracy: 0.8,
            layers: [{ name: "block1_relu", mean_si: si, dead_units: 0 }],
          }),
        );
      }
    }
    const params = {
      ...PARAMS,
      grid: { alpha: [-1, 0, 1], seeds: [1, 2, 3] },
      bidirectional: { alpha: 0, seeds: [1, 2, 3], methods: ["noise", "pgd"] },
    };
    assert.ok(gridRuns(params)!.has("a0-s2-pgd"));
    const content = await aggregate(args, params);
    const ten = content.claims.find((c) => c.id === "10")!;
    // 3 standard networks at α = 0 and 6 variants; the ordering noise < standard < pgd holds in every network.
    assert.equal(ten.n, 9);
    assert.equal(ten.verdict, "reproduced");
    assert.ok(ten.estimate > 0.9);
    // The α grid is unchanged: 9 standard networks, 3 at α = 0.
    assert.equal(content.networks.rows.length, 9);
    assert.equal(content.summary.rows.find((r) => r[0] === 0)![1], 3);
    assert.deepEqual(content.methods!.rows.map((r) => [r[0], r[1]]), [
      ["Gaussian-noise augmentation", 3],
      ["standard", 3],
      ["PGD adversarial training", 3],
    ]);
    const plots = [...Deno.readDirSync(join(args.out, "plots"))].map((e) => e.name);
    assert.ok(plots.includes("selectivity_by_training_method.svg"));
    const csv = await Deno.readTextFile(join(args.out, "table.csv"));
    assert.ok(csv.startsWith("run,alpha,seed,method,") && csv.includes("\na0-s3-pgd,0,3,pgd,"));
  });
});
