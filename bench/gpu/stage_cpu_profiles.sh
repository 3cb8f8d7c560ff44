#!/usr/bin/env bash
# V8 CPU profiles (`--prof`) of single stages, each run alone on webgpu in the tree DIR (default: the last
# variant bench/gpu/pipeline_ab.sh ran, /tmp/pipeline-ab/new), whose outputs/ the stages read; their own
# outputs go to /tmp/stage-cpu-profiles. Run from the repository root with .offline/ and .gl/ carried, after
# pipeline_ab.sh in the same call. PROFILES: space-separated module:args (`,` for spaces); default
# corrupt-eval, attack-eval, measure-dimensionality and train of network a0-s1. $OUT gets, per stage, the
# gzipped isolate logs (`cpu_<stage>-<n>.log.gz`, the main thread's is the largest) and the stage's wall and
# CPU seconds (`cpu_<stage>.txt`). Read a log here with `node --prof-process <(zcat cpu_<stage>-1.log.gz)`:
# ticks in the shared library libc under `async_op` are the main thread blocked in a WebGPU wait.
set -uo pipefail
OUT="${OUT:-$PWD/bench-gpu-out}"
mkdir -p "$OUT"
dir="${1:-/tmp/pipeline-ab/new}"
source bench/gpu/device_env.sh
net="--alpha,0,--seed,1"
PROFILES="${PROFILES:-stages/corrupt_eval.ts:$net stages/attack_eval.ts:$net stages/measure_dimensionality.ts:$net stages/train.ts:$net}"
for spec in $PROFILES; do
  module="${spec%%:*}"
  args="${spec#*:}"
  name="$(basename "$module" .ts)"
  work="/tmp/stage-cpu-profiles/$name"
  rm -rf "$work" && mkdir -p "$work/out"
  (cd "$dir" && rm -f isolate-*.log && /usr/bin/time -f "wall %e s, user %U s, system %S s" \
    timeout 120 deno run -A --v8-flags=--prof "$module" ${args//,/ } --out "$work/out" > "$OUT/cpu_$name.txt" 2>&1
    k=0
    for log in $(ls -S isolate-*.log 2> /dev/null); do
      k=$((k + 1))
      gzip -c "$log" > "$OUT/cpu_$name-$k.log.gz"
      rm -f "$log"
    done)
  echo "$name: $(tail -1 "$OUT/cpu_$name.txt")"
done
