import assert from "node:assert/strict";
import { join } from "node:path";
import { aggregate, gridRuns, verdictTable } from "../../stages/aggregate.ts";
import { fixtureArgs, writeFixture } from "./aggregate_fixture.ts";

const PARAMS = { aggregate: { seed: 3, resamples: 1000, permutations: 200 } };

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
    // The CSV holds the same summary: one row per (α, metric).
    const csv = (await Deno.readTextFile(join(args.out, "per_alpha.csv"))).trim().split("\n");
    assert.equal(csv[0], "alpha,networks,metric,n,mean,std,lo,hi");
    const siRow = csv.find((l) => l.startsWith("1,3,mean_si,"))!.split(",");
    assert.ok(Math.abs(Number(siRow[4]) - mean) < 1e-9, "per_alpha.csv: mean of μ_SI at α = 1");
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
      // One SVG per figure: 3 vs α, 1 corruption, 2 attack (pgd, worst case), 10 claims, 3 heatmaps.
      const plots = (await Array.fromAsync(Deno.readDir(join(args.out, "plots")))).map((e) => e.name);
      assert.equal(plots.length, content.figures.length);
      assert.equal(plots.length, 19, plots.join());
      const html = await Deno.readTextFile(join(args.out, "index.html"));
      assert.equal(html.split("<svg").length - 1, 19);
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
    assert.match(table[0], /^claim\s+verdict\s+estimate\s+CI\s+p\s+n$/);
    assert.match(table.find((l) => l.startsWith("9a "))!, /unchecked/);

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
