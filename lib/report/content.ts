/**
 * What a report is made of; the HTML and Markdown builders take these shapes.
 *
 * @module
 */
import type { ExpectedSign, Verdict } from "../stats/verdict.ts";
import type { Cell } from "./format.ts";

/** A table: column headers and rows of cells (one cell per column). */
export interface Table {
  columns: string[];
  rows: Cell[][];
  /**
   * Leading columns that identify a row (e.g. run, α, seed): repeated in every part when a wide table is
   * split into parts that fit the page (default 1).
   */
  keyColumns?: number;
}

/** The check of one headline claim (docs/method.md §9), with the numbers its verdict was computed from. */
export interface ClaimCheck {
  /** Claim number or short id, e.g. "5". */
  id: string;
  /** The claim in words, e.g. "Corrupted accuracy vs μ_SI has a negative slope". */
  claim: string;
  expectedSign: ExpectedSign;
  /** What `estimate` is, e.g. "Spearman ρ(mean_si, corrupted_ratio)". */
  statistic: string;
  /** Estimated effect, e.g. Spearman ρ (NaN when unchecked). */
  estimate: number;
  /** Its confidence interval. */
  lo: number;
  hi: number;
  /** Number of networks (or replicates) behind the estimate. */
  n: number;
  /** How the estimate and interval were computed, e.g. "Spearman ρ, 95 % percentile bootstrap (10000, seed 0)". */
  method: string;
  /** The test's raw p-value (permutation or exact), if computed. */
  p?: number;
  /** p after Holm's adjustment across the claims tested (NaN when the claim was not tested). */
  pAdjusted?: number;
  /** The number of claims in the Holm family, when this claim is one of them. */
  family?: number;
  /** Least-squares slope of y on x (NaN for paired claims) and its unit, e.g. "ratio per μ_SI". */
  slope?: number;
  slopeUnit?: string;
  /** The hypothesis test behind p, e.g. "two-sided permutation test of Spearman ρ (10000 permutations)". */
  test?: string;
  /** From lib/stats/verdict.ts, never written by hand; "unchecked" when the inputs were missing. */
  verdict: Verdict | "unchecked";
  /** Why the claim is unchecked. */
  note?: string;
}

/** A figure: SVG markup (from lib/plots/render.ts) and a caption. */
export interface Figure {
  svg: string;
  caption: string;
}

/** An example image (e.g. a corrupted or adversarial input) as PNG bytes. */
export interface ExampleImage {
  png: Uint8Array;
  caption: string;
}

/** Everything the report shows. */
export interface ReportContent {
  title: string;
  /** The configuration the results were made with (shown as YAML). */
  params: Record<string, unknown>;
  /** Per-α summary (mean and CI over seeds). */
  summary: Table;
  /** One row per network (selected columns; the full table is in table.csv). */
  networks: Table;
  claims: ClaimCheck[];
  /** The verdict rule in words (lib/report/claims.ts ruleText). */
  rule?: string;
  /** Each claim recomputed on its other reasonable choices (lib/report/sensitivity.ts). */
  sensitivity?: Table;
  /** What the results were made from: data, model, budgets (key, value rows). */
  provenance?: Table;
  /** The bidirectional experiment per training method (lib/report/methods.ts); null without variants. */
  methods?: Table | null;
  figures: Figure[];
  examples: ExampleImage[];
  /** Free-text notes (e.g. which inputs were missing). */
  notes: string[];
}
