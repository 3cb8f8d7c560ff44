/**
 * Human-readable labels of the aggregate table's columns (lib/report/readers.ts names them), for axis titles
 * and table headers.
 *
 * @module
 */

const LABELS: Record<string, string> = {
  alpha: "α",
  mean_si: "μ_SI",
  train_mean_si: "μ_SI (train stage)",
  test_acc: "clean test accuracy",
  val_acc: "validation accuracy",
  si_acc: "accuracy (selectivity images)",
  corrupt_clean_acc: "clean accuracy (corruption images)",
  corrupted_acc: "mean corrupted accuracy",
  corrupted_drop: "clean − corrupted accuracy",
  corrupted_ratio: "corrupted / clean accuracy",
  adv_clean_acc: "clean accuracy (attack images)",
  "adv_auc:worst-linf": "adversarial AUC (worst L∞)",
  grad_cv_samples: "gradient CV across samples",
  grad_cv_units: "gradient CV across units",
  dim_clean_early: "early-layer dimensionality (clean)",
  dim_clean_pr_early: "early-layer participation ratio (clean)",
  dim_delta_corruption_early: "early-layer ΔX dimensionality (corruptions)",
  dim_delta_attack_early: "early-layer ΔX dimensionality (attacks)",
  dim_delta_corruption_matched_early: "early-layer ΔX dim. (corruptions, matched L2)",
};

const PREFIXES: Record<string, string> = {
  adv_auc: "AUC",
  adv_acc: "accuracy",
  corrupted_acc_sev: "corrupted accuracy, severity",
  si: "mean SI",
  dead_units: "dead units",
  dim_clean: "dimensionality (clean)",
  dim_clean_pr: "participation ratio (clean)",
  dim_delta_corruption: "ΔX dimensionality (corruptions)",
  dim_delta_attack: "ΔX dimensionality (attacks)",
  dim_delta_corruption_matched: "ΔX dimensionality (corruptions, matched L2)",
  dim_delta_corruption_pr: "ΔX participation ratio (corruptions)",
  dim_delta_attack_pr: "ΔX participation ratio (attacks)",
  grad_cv_samples: "gradient CV across samples",
  grad_cv_units: "gradient CV across units",
};

/**
 * The label of a column key; unknown keys come back unchanged.
 *
 * @example
 * ```ts
 * columnLabel("adv_auc:pgd-linf");       // "AUC pgd-linf"
 * columnLabel("adv_acc:pgd-linf:2");     // "accuracy pgd-linf ε=2/255"
 * columnLabel("corrupted_acc_sev:3");    // "corrupted accuracy, severity 3"
 * ```
 */
export function columnLabel(key: string): string {
  if (key in LABELS) return LABELS[key];
  const [head, ...rest] = key.split(":");
  if (!(head in PREFIXES) || rest.length === 0) return key;
  if (head === "adv_acc" && rest.length === 2) {
    return `accuracy ${rest[0]} ε=${rest[1]}${rest[0].endsWith("linf") ? "/255" : ""}`;
  }
  return `${PREFIXES[head]} ${rest.join(" ")}`;
}
