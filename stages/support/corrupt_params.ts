/**
 * The `corrupt` params, shared by stage `corrupt-data` (which makes the corrupted sets) and `corrupt-eval`
 * (which evaluates a network on them), so that both read the same keys with the same defaults.
 *
 * @module
 */
import { z } from "zod";
import { parseSection } from "./params.ts";
import {
  BENCHMARK_CORRUPTIONS,
  type CorruptionName,
  CORRUPTIONS,
  EXTRA_CORRUPTIONS,
  isCorruptionName,
} from "../../lib/corruptions/registry.ts";

/** Schema of the stage's `corrupt` params. */
export const corruptParamsSchema = z.strictObject({
  corruptions: z.union([
    z.enum(["all", "benchmark", "extra"]),
    z.array(
      z.string().refine(isCorruptionName, {
        error: (iss) => `unknown corruption '${iss.input}' (known: ${CORRUPTIONS.join(", ")})`,
      }),
    ).min(1),
  ], { error: 'use "all", "benchmark", "extra" or a list of corruption names' }).default("all"),
  severities: z.array(z.number().int().min(1).max(5)).min(1).default([1, 2, 3, 4, 5]),
  seed: z.number().int().default(0),
  batch_size: z.number().int().positive().default(256),
  limit: z.number().int().positive().nullish(),
  official_dir: z.string().min(1).nullish(),
  official_wnids: z.string().min(1).nullish(),
  examples: z.number().int().min(0).max(16).default(2),
});

/** Validated `corrupt` params. */
export type CorruptParams = z.infer<typeof corruptParamsSchema>;

/**
 * Validates the `corrupt` section of a stage's params; errors name the stage and each bad key as `corrupt.<key>`.
 *
 * @example
 * ```ts
 * const p = parseCorruptParams("corrupt-eval", stageParams());
 * ```
 */
export function parseCorruptParams(stage: string, params: Record<string, unknown>): CorruptParams {
  return parseSection(stage, params, "corrupt", corruptParamsSchema);
}

/** The corruption names a `corruptions` param selects, in canonical order. */
export function selectedCorruptions(choice: CorruptParams["corruptions"]): CorruptionName[] {
  if (choice === "all") return [...CORRUPTIONS];
  if (choice === "benchmark") return [...BENCHMARK_CORRUPTIONS];
  if (choice === "extra") return [...EXTRA_CORRUPTIONS];
  return CORRUPTIONS.filter((n) => (choice as string[]).includes(n));
}

/** The severities a `severities` param selects: each once, ascending. */
export function selectedSeverities(severities: readonly number[]): number[] {
  return [...new Set(severities)].sort((a, b) => a - b);
}
