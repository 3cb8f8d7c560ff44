#!/usr/bin/env bash
# Per-kernel GPU time of single stages (bench/gpu/stage_profile.ts), each run alone on webgpu in the tree DIR
# (default: the last variant bench/gpu/pipeline_ab.sh ran, /tmp/pipeline-ab/persistent), whose outputs/ the
# stages read; their own outputs go to /tmp/stage-profiles, not into DIR. Run from the repository root with
# .offline/ and .gl/ carried, after pipeline_ab.sh or bench/gpu/pipeline.sh in the same call. PROFILES:
# space-separated module:args (`,` for spaces); default measure-dimensionality, corrupt-eval, attack-eval,
# and measure-gradients of network a0-s1 (train reads only its own params sections from the runner, and
# replays step graphs, which the profile does not see). $OUT gets profile_<stage>.md.
set -uo pipefail
OUT="${OUT:-$PWD/bench-gpu-out}"
mkdir -p "$OUT"
dir="${1:-/tmp/pipeline-ab/persistent}"
source bench/gpu/device_env.sh
net="--alpha,0,--seed,1"
PROFILES="${PROFILES:-stages/measure_dimensionality.ts:$net stages/corrupt_eval.ts:$net stages/attack_eval.ts:$net stages/measure_gradients.ts:$net}"
for spec in $PROFILES; do
  module="${spec%%:*}"
  args="${spec#*:}"
  name="$(basename "$module" .ts)"
  mkdir -p "/tmp/stage-profiles/$name"
  (cd "$dir" && timeout 120 deno run -A bench/gpu/stage_profile.ts "$module" ${args//,/ } \
    --out "/tmp/stage-profiles/$name" --top 20) > "$OUT/profile_$name.md" 2>&1
  echo "$name: $(grep -a 'kernels through tfjs' "$OUT/profile_$name.md" || tail -1 "$OUT/profile_$name.md")"
done
