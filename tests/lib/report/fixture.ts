/** A small report with real rendered figures and a real PNG, shared by the report tests. */
import type { ReportContent } from "../../../lib/report/content.ts";
import { renderSvg } from "../../../lib/plots/render.ts";
import { layerHeatmap, lineWithBands, scatterWithFit } from "../../../lib/plots/specs.ts";
import { encodePng } from "../../../lib/eval/png.ts";
import { verdict } from "../../../lib/stats/verdict.ts";

/** An 8×8 RGB gradient image. */
export function gradientPng(): Uint8Array {
  const px = new Uint8Array(8 * 8 * 3);
  for (let i = 0; i < 64; i++) px.set([i * 4, 255 - i * 4, (i % 8) * 32], i * 3);
  return encodePng(px, 8, 8, 3);
}

export async function sampleReport(): Promise<ReportContent> {
  const figures = [
    {
      svg: await renderSvg(lineWithBands([
        { group: "μ_SI", x: -1, mean: 0.2, lo: 0.18, hi: 0.22 },
        { group: "μ_SI", x: 0, mean: 0.33, lo: 0.31, hi: 0.35 },
        { group: "μ_SI", x: 1, mean: 0.6, lo: 0.55, hi: 0.65 },
      ], { title: "Mean selectivity vs α", x: "α", y: "μ_SI", group: "metric" })),
      caption: "μ_SI rises with α (mean and 95 % CI over 3 seeds).",
    },
    {
      svg: await renderSvg(scatterWithFit(
        [{ x: 0.2, y: 0.53 }, { x: 0.33, y: 0.52 }, { x: 0.6, y: 0.5 }],
        { slope: -0.075, intercept: 0.545 },
        { title: "Clean accuracy vs μ_SI", subtitle: "Spearman ρ = −1", x: "μ_SI", y: "test accuracy" },
      )),
      caption: "Clean accuracy <falls> as selectivity rises & the fit is dashed.",
    },
    {
      svg: await renderSvg(layerHeatmap([
        { layer: "block1", group: "-1", value: 0.1 },
        { layer: "block2", group: "-1", value: 0.2 },
        { layer: "block1", group: "1", value: 0.5 },
        { layer: "block2", group: "1", value: 0.7 },
      ], { title: "SI per layer", x: "layer", y: "α", group: "SI" })),
      caption: "Per-layer selectivity.",
    },
  ];
  return {
    title: "ResNet20 / CIFAR-10 <test> report",
    params: { grid: { alpha: [-1, 0, 1], seeds: [0, 1, 2] }, train: { epochs: 2, lr: 0.1 } },
    summary: {
      columns: ["α", "n", "μ_SI", "μ_SI 95 % CI", "test acc"],
      rows: [
        [-1, 3, 0.2, "[0.18, 0.22]", 0.53],
        [0, 3, 0.33, "[0.31, 0.35]", 0.52],
        [1, 3, 0.6, "[0.55, 0.65]", NaN],
      ],
    },
    claims: [
      {
        id: "1",
        claim: "μ_SI increases with α",
        expectedSign: 1,
        statistic: "Spearman ρ(alpha, mean_si)",
        estimate: 0.9,
        lo: 0.8,
        hi: 0.95,
        n: 12,
        method: "Spearman ρ(α, μ_SI), percentile bootstrap",
        p: 0.001,
        pAdjusted: 0.002,
        slope: 0.21,
        slopeUnit: "μ_SI per α",
        test: "two-sided permutation test of Spearman ρ",
        verdict: verdict(1, 0.9, 0.002, 12),
      },
      {
        id: "6",
        claim: "Adversarial accuracy vs μ_SI | positive",
        expectedSign: 1,
        statistic: "Spearman ρ(mean_si, adv_auc:worst-linf)",
        estimate: -0.1,
        lo: -0.5,
        hi: 0.3,
        n: 9,
        method: "Spearman ρ",
        verdict: verdict(1, -0.1, NaN, 9),
      },
    ],
    networks: {
      columns: ["run", "α", "seed", "μ_SI"],
      rows: [["a-1-s0", -1, 0, 0.2], ["a1-s0", 1, 0, 0.6]],
    },
    figures,
    examples: [{ png: gradientPng(), caption: "gaussian_noise s3" }, {
      png: gradientPng(),
      caption: "PGD ε=8",
    }],
    notes: ["attack-eval outputs were not found"],
  };
}
