/**
 * Hand-written per-network metrics files of every stage for the aggregate tests: a 3 α × 3 seed grid in which
 * μ_SI rises with α and each metric follows the paper's sign (or the opposite sign with `flip`), with only
 * the fields the readers need, in the stages' shapes.
 */
import { join } from "node:path";
import type { AggregateArgs } from "../../stages/aggregate.ts";
import { encodePng } from "../../lib/eval/png.ts";
import { Rng } from "../../lib/random.ts";

export const ALPHAS = [-1, 0, 1];
export const SEEDS = [1, 2, 3];
export const LAYERS = ["block1_relu", "block2_relu"];
/** The second layer's across-unit CV is written as null (a layer where every unit was excluded). */
const NULL_CV_LAYER = LAYERS[1];

/** The values written for one network (what the table rows must show). */
export interface FixtureNetwork {
  run: string;
  alpha: number;
  seed: number;
  si: number;
  acc: number;
  ratio: number;
  aucWorst: number;
  dimClean: number;
  /** ΔX components of the early layer: two corruption conditions and two attack conditions. */
  deltaCorruption: [number, number];
  deltaAttack: [number, number];
  cvSamples: number;
  cvUnits: number;
}

/** Stage directories under `root`, as the stage takes them. */
export function fixtureArgs(root: string): AggregateArgs {
  return {
    models: join(root, "models"),
    selectivity: join(root, "selectivity"),
    gradients: join(root, "gradients"),
    dimensionality: join(root, "dimensionality"),
    corruption: join(root, "corruption"),
    "corruption-examples": join(root, "corruption-examples"),
    attack: join(root, "attack"),
    out: join(root, "report"),
  };
}

const write = (path: string, v: unknown) => Deno.writeTextFile(path, JSON.stringify(v, null, 2));

/**
 * Writes the fixture; with `flip`, every claim's metric moves against the paper's sign (and ΔX is larger for
 * corruptions than for attacks). Returns the networks written.
 */
export async function writeFixture(root: string, flip = false): Promise<FixtureNetwork[]> {
  const a = fixtureArgs(root);
  for (const d of [a.models, a.selectivity, a.gradients, a.dimensionality, a.corruption, a.attack]) {
    await Deno.mkdir(d, { recursive: true });
  }
  const s = flip ? -1 : 1;
  const rng = new Rng(11);
  const nets: FixtureNetwork[] = [];
  for (const alpha of ALPHAS) {
    for (const seed of SEEDS) {
      const run = `a${alpha}-s${seed}`;
      const si = 0.3 + 0.15 * alpha + 0.01 * rng.normal();
      const acc = 0.8 - 0.02 * alpha + 0.005 * rng.normal();
      const small = 30 + Math.round(40 * si), big = 70 - Math.round(20 * si);
      const n: FixtureNetwork = {
        run,
        alpha,
        seed,
        si,
        acc,
        ratio: 0.7 - s * 0.5 * si + 0.005 * rng.normal(),
        aucWorst: 0.3 + s * 0.5 * si + 0.005 * rng.normal(),
        dimClean: 50 - s * Math.round(60 * si),
        deltaCorruption: flip ? [big, big + 2] : [small, small + 1],
        deltaAttack: flip ? [small, small + 1] : [big, big + 2],
        cvSamples: 0.3 + s * 0.4 * si + 0.005 * rng.normal(),
        cvUnits: 0.5 + s * 0.3 * si + 0.005 * rng.normal(),
      };
      nets.push(n);
      await write(join(a.models, `${run}.metrics.json`), {
        run,
        test: { acc, loss: 0.5, mean_si: si + 0.01 },
        val: { acc: null, loss: null, mean_si: null },
      });
      await write(join(a.models, `${run}.curves.json`), [
        { epoch: 1, loss: 2 - alpha * 0.1, val_acc: 0.5 },
        { epoch: 2, loss: 1.5 - alpha * 0.1, val_acc: 0.6 + seed * 0.01 },
      ]);
      await Deno.mkdir(join(a.models, run), { recursive: true });
      await write(join(a.selectivity, `${run}.json`), {
        network_mean_si: si,
        accuracy: acc,
        layers: LAYERS.map((name, l) => ({ name, mean_si: si * (0.8 + 0.4 * l), dead_units: l })),
      });
      await write(join(a.gradients, `${run}.json`), {
        network: { cv_across_samples: n.cvSamples, cv_across_units: n.cvUnits },
        layers: LAYERS.map((name) => ({
          name,
          across_samples: { cv: n.cvSamples },
          across_units: { cv: NULL_CV_LAYER === name ? null : n.cvUnits },
        })),
      });
      const dims = (c: number) => ({ components: c, participation_ratio: c / 4, total_variance: 1 });
      const condition = (id: string, kind: string, c: number) => ({
        id,
        kind,
        input_norm: kind === "corruption" ? { l2: 4, linf: 0.5 } : { l2: 1.2, linf: 4 / 255 },
        layers: LAYERS.map((name, l) => ({ name, delta: dims(c + 10 * l), perturbed: dims(c) })),
      });
      await write(join(a.dimensionality, `${run}.json`), {
        layers: LAYERS.map((name, l) => ({ name, clean: dims(n.dimClean + 5 * l), rank_ceiling: 255 })),
        conditions: [
          condition("gaussian_noise-3", "corruption", n.deltaCorruption[0]),
          condition("fog-3", "corruption", n.deltaCorruption[1]),
          // The same corruptions rescaled to the attack's input size: ΔX a little smaller than at raw size.
          condition("gaussian_noise-3@pgd-linf-4/255", "corruption_matched", n.deltaCorruption[0] - 1),
          condition("fog-3@pgd-linf-4/255", "corruption_matched", n.deltaCorruption[1] - 1),
          condition("pgd-linf-0.01569", "attack", n.deltaAttack[0]),
          condition("fgsm-linf-0.01569", "attack", n.deltaAttack[1]),
        ],
      });
      const corrupted = acc * n.ratio;
      await write(join(a.corruption, `${run}.json`), {
        clean_accuracy: acc,
        mean_corrupted_accuracy: corrupted,
        benchmark: { mean_accuracy: corrupted, drop: acc - corrupted, ratio: n.ratio, cells: 2 },
        extra: null,
        per_severity: {
          "1": { mean_accuracy: corrupted + 0.05, drop: 0, ratio: 1, cells: 1 },
          "3": { mean_accuracy: corrupted - 0.05, drop: 0, ratio: 1, cells: 1 },
        },
      });
      const pgd = [acc, n.aucWorst + 0.1, n.aucWorst - 0.2];
      await write(join(a.attack, `${run}.json`), {
        clean_accuracy: acc,
        attacks: {
          "pgd-linf": { norm: "linf", eps: [0, 2 / 255, 8 / 255], accuracy: pgd, auc: n.aucWorst + 0.01 },
        },
        worst_case: { linf: { eps: [0, 2 / 255, 8 / 255], accuracy: pgd, auc: n.aucWorst } },
      });
      if (seed === SEEDS[0] && (alpha === ALPHAS[0] || alpha === ALPHAS.at(-1))) {
        const png = encodePng(new Uint8Array(4 * 4 * 3).fill(alpha + 1), 4, 4, 3);
        await Deno.writeFile(join(a.attack, `${run}.png`), png);
        await Deno.mkdir(join(a["corruption-examples"], run), { recursive: true });
        await Deno.writeFile(join(a["corruption-examples"], run, "fog.png"), png);
      }
    }
  }
  return nets;
}
