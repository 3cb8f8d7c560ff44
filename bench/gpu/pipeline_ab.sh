#!/usr/bin/env bash
# The default pipeline on webgpu (bench/gpu/pipeline.sh: synthetic 28×28×1 data) in several variants, one after
# another in one call, each in a fresh copy of this tree, so that their times compare; then whether their
# results are the same bytes (pipeline.lock digests, bench/gpu/lock_digests.ts). Run from the repository root
# with .offline/ and .gl/ carried (see README.md).
#
# VARIANTS: space-separated name=repro-args, `,` for spaces in the args (a name containing `counters` runs with
#   PIPELINE_GPU_COUNTERS=1, as every variant does when it is exported); default
#   "local=--jobs,8 persistent=--jobs,8,--executor,persistent persistent2=… local2=…" (ABBA).
# OLD_TREE: a tar.gz of another revision (e.g. `git archive --format=tar.gz HEAD~3`); when set, variant `old`
#   runs it first, with OLD_ARGS (default --jobs,8), and so does every variant of VARIANTS named old… (for
#   ABAB orders).
# A warm-up run of the whole pipeline comes first (WARMUP_ARGS, default --jobs,8; not reported): the driver's
# shader cache and node_modules are then as warm for the first variant as for the last.
# Each variant's stage costs (bench/gpu/stage_costs.ts: mean wall with its fastest and slowest run, CPU
# seconds, and with PIPELINE_GPU_COUNTERS=1 exported the pipelines compiled, reads and submits, per stage group)
# go into summary.txt.
# MONITOR=1 samples the GPU's utilization (`nvidia-smi dmon -s u`) and the CPUs (`vmstat`) once a second
# during each variant, into its logs.
# Each variant's timeline (bench/gpu/stage_timeline.ts: the launch to the first stage, the last stage's end to
# the runner's exit, stages in flight) and the time of an up-to-date rerun go into summary.txt too.
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
cp pipeline.lock "$work/pipeline.lock.orig"
warmup="${WARMUP_ARGS:---jobs,8}"
OUT="$work/logs/warmup" LIMIT_S=300 bash bench/gpu/pipeline.sh ${warmup//,/ } > /dev/null 2>&1
echo "warm-up: $(grep -a 'repro exit' "$work/logs/warmup/pipeline.log")"

# A copy of the source tree without outputs or run state, with its own lock as committed; the unpacked deps
# and node_modules are shared.
fresh_copy() {
  local dir="$1" src="$2"
  rm -rf "$dir" && mkdir -p "$dir"
  tar -C "$src" --exclude=./node_modules --exclude=./outputs --exclude=./.pipeline --exclude=./.git \
    --exclude=./.offline-denodir -cf - . | tar -C "$dir" -xf -
  ln -s "$BASE/node_modules" "$dir/node_modules"
  ln -s "$DENO_DIR" "$dir/.offline-denodir"
  [ "$src" = "$BASE" ] && cp "$work/pipeline.lock.orig" "$dir/pipeline.lock"
  return 0
}

run_variant() {
  local name="$1" args="$2" src="$3"
  fresh_copy "$work/$name" "$src"
  mkdir -p "$work/logs/$name"
  local monitors=()
  if [ "${MONITOR:-0}" = 1 ]; then
    nvidia-smi dmon -s u -d 1 > "$work/logs/$name/gpu_util.txt" 2>&1 &
    monitors+=($!)
    vmstat -n 1 > "$work/logs/$name/vmstat.txt" 2>&1 &
    monitors+=($!)
  fi
  local counters="${PIPELINE_GPU_COUNTERS:-}"
  [[ "$name" == *counters* ]] && counters=1
  # This tree's pipeline.sh, whatever the variant's tree has, so that every variant is timed alike.
  (cd "$work/$name" && PIPELINE_GPU_COUNTERS="$counters" OUT="$work/logs/$name" LIMIT_S=300 \
    bash "$BASE/bench/gpu/pipeline.sh" ${args//,/ } > /dev/null 2>&1)
  [ ${#monitors[@]} -gt 0 ] && kill "${monitors[@]}" 2> /dev/null
  rm -rf "$work/logs/$name/report" "$work/logs/$name/metrics.tgz"
  deno run -A bench/gpu/lock_digests.ts "$work/$name/pipeline.lock" > "$work/logs/$name/digests.txt" 2> /dev/null
  deno run -A bench/gpu/stage_costs.ts "$work/$name/.pipeline" > "$work/logs/$name/costs.md" 2> /dev/null
  local times
  times=$(grep -aoE "launch [0-9]+, exit [0-9]+" "$work/logs/$name/pipeline.log" | grep -oE "[0-9]+" | tr '\n' ' ')
  deno run -A bench/gpu/stage_timeline.ts "$work/$name/.pipeline" $times > "$work/logs/$name/timeline.md" 2> /dev/null
  echo "$name: $(grep -a 'repro exit' "$work/logs/$name/pipeline.log")  [$args]" | tee -a "$OUT/summary.txt"
  grep -a "up-to-date rerun" "$work/logs/$name/pipeline.log" | sed 's/^/  /' | tee -a "$OUT/summary.txt"
  head -4 "$work/logs/$name/timeline.md" | sed 's/^/  /' | tee -a "$OUT/summary.txt"
}

: > "$OUT/summary.txt"
names=()
if [ -n "${OLD_TREE:-}" ]; then
  mkdir -p "$work/old-src" && tar -C "$work/old-src" -xzf "$OLD_TREE"
  cp -r .offline .gl "$work/old-src/" 2> /dev/null
  run_variant old "${OLD_ARGS:---jobs,8}" "$work/old-src"
  names+=(old)
fi
for spec in $VARIANTS; do
  name="${spec%%=*}" src="$BASE"
  [[ -n "${OLD_TREE:-}" && "$name" == old* ]] && src="$work/old-src"
  run_variant "$name" "${spec#*=}" "$src"
  names+=("$name")
done

{
  if [ "${MONITOR:-0}" = 1 ]; then
    echo
    echo "Mean GPU SM utilization (nvidia-smi dmon, %) and CPU user+system (vmstat, %) during each variant:"
    for name in "${names[@]}"; do
      sm=$(awk '$1 !~ /^#/ && NF > 2 { s += $2; n++ } END { if (n) printf "%.0f", s / n }' "$work/logs/$name/gpu_util.txt")
      cpu=$(awk 'NR > 2 { s += $13 + $14; n++ } END { if (n) printf "%.0f", s / n }' "$work/logs/$name/vmstat.txt")
      echo "  $name: GPU SM ${sm:-?} %, CPU ${cpu:-?} %"
      echo "    GPU per second: $(awk '$1 !~ /^#/ && NF > 2 { printf "%s ", $2 }' "$work/logs/$name/gpu_util.txt")"
      echo "    CPU per second: $(awk 'NR > 2 { printf "%d ", $13 + $14 }' "$work/logs/$name/vmstat.txt")"
    done
  fi
  echo
  for name in "${names[@]}"; do
    echo "## Stage costs, $name (bench/gpu/stage_costs.ts)"
    cat "$work/logs/$name/costs.md"
    echo
  done
  echo "Result digests against the first variant (${names[0]}):"
  for name in "${names[@]:1}"; do
    n=$(diff "$work/logs/${names[0]}/digests.txt" "$work/logs/$name/digests.txt" | grep -c '^>')
    echo "$name: $n of $(wc -l < "$work/logs/$name/digests.txt") outputs differ"
    diff "$work/logs/${names[0]}/digests.txt" "$work/logs/$name/digests.txt" | grep '^>' | head -5
  done
} >> "$OUT/summary.txt"
cat "$OUT/summary.txt"
tar -C "$work" -czf "$OUT/ab.tgz" logs
