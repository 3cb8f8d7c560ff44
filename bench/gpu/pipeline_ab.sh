#!/usr/bin/env bash
# The default pipeline on webgpu (bench/gpu/pipeline.sh: synthetic 28×28×1 data) in several variants, one after
# another in one call, each in a fresh copy of this tree, so that their times compare; then whether their
# results are the same bytes (pipeline.lock digests, bench/gpu/lock_digests.ts). Run from the repository root
# with .offline/ and .gl/ carried (see README.md).
#
# VARIANTS: space-separated name=repro-args, `,` for spaces in the args; default
#   "local=--jobs,8 persistent=--jobs,8,--executor,persistent persistent2=… local2=…" (ABBA).
# OLD_TREE: a tar.gz of another revision (e.g. `git archive --format=tar.gz HEAD~3`); when set, variant `old`
#   runs it first with `--jobs 8`.
# A warm-up run of the whole pipeline comes first (not reported): the driver's shader cache and node_modules
# are then as warm for the first variant as for the last.
# $OUT gets summary.txt (wall per variant, stage means, digest comparisons) and ab.tgz (every variant's log and
# run records).
set -uo pipefail
OUT="${OUT:-$PWD/bench-gpu-out}"
mkdir -p "$OUT"
BASE="$PWD"
VARIANTS="${VARIANTS:-local=--jobs,8 persistent=--jobs,8,--executor,persistent persistent2=--jobs,8,--executor,persistent local2=--jobs,8}"
SETUP_ONLY=1 bash bench/gpu/pipeline.sh > /dev/null
export DENO_DIR="$BASE/.offline-denodir" PATH="/tmp/bin:$PATH" DENO_NO_UPDATE_CHECK=1
work=/tmp/pipeline-ab
rm -rf "$work" && mkdir -p "$work/logs"
OUT="$work/logs/warmup" LIMIT_S=300 bash bench/gpu/pipeline.sh --jobs 8 > /dev/null 2>&1

# A copy of the base tree without its outputs and run state; node_modules shared.
fresh_copy() {
  local dir="$1" src="$2"
  rm -rf "$dir" && mkdir -p "$dir"
  tar -C "$src" --exclude=./node_modules --exclude=./outputs --exclude=./.pipeline --exclude=./.git -cf - . |
    tar -C "$dir" -xf -
  ln -s "$BASE/node_modules" "$dir/node_modules"
}

run_variant() {
  local name="$1" args="$2" src="$3"
  fresh_copy "$work/$name" "$src"
  (cd "$work/$name" && OUT="$work/logs/$name" LIMIT_S=300 bash bench/gpu/pipeline.sh ${args//,/ } > /dev/null 2>&1)
  rm -rf "$work/logs/$name/report" "$work/logs/$name/metrics.tgz"
  deno run -A bench/gpu/lock_digests.ts "$work/$name/pipeline.lock" > "$work/logs/$name/digests.txt" 2> /dev/null
  echo "$name: $(grep -a 'repro exit' "$work/logs/$name/pipeline.log")  [$args]" | tee -a "$OUT/summary.txt"
}

: > "$OUT/summary.txt"
names=()
if [ -n "${OLD_TREE:-}" ]; then
  mkdir -p "$work/old-src" && tar -C "$work/old-src" -xzf "$OLD_TREE"
  cp -r .offline .gl "$work/old-src/" 2> /dev/null
  ln -s "$DENO_DIR" "$work/old-src/.offline-denodir"
  run_variant old "--jobs,8" "$work/old-src"
  names+=(old)
fi
for spec in $VARIANTS; do
  run_variant "${spec%%=*}" "${spec#*=}" "$BASE"
  names+=("${spec%%=*}")
done

{
  echo
  echo "Stage wall seconds, mean over a stage's runs (run records):"
  for name in "${names[@]}"; do
    echo "## $name"
    awk '/^[a-z-]+(@|$)/ { print }' "$work/logs/$name/runs.txt" | head -0
    grep -aE '^\s*(train|measure|corrupt|attack|aggregate|prepare)' "$work/logs/$name/runs.txt" | head -80
  done
  echo
  echo "Result digests against the first variant (${names[0]}):"
  for name in "${names[@]:1}"; do
    n=$(diff "$work/logs/${names[0]}/digests.txt" "$work/logs/$name/digests.txt" | grep -c '^>')
    echo "$name: $n of $(wc -l < "$work/logs/$name/digests.txt") outputs differ"
    diff "$work/logs/${names[0]}/digests.txt" "$work/logs/$name/digests.txt" | grep '^>' | head -5
  done
} >> "$OUT/summary.txt"
cat "$OUT/summary.txt"
tar -C "$work" -czf "$OUT/ab.tgz" logs
