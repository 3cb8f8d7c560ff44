#!/usr/bin/env bash
# Start-up of stage hosts (bench/gpu/host_startup.ts: Deno's start, a stage module's import, the backend's
# initialisation), one alone and then N at once (default 8, as `--jobs 8` starts them), in DIR (default the
# tree bench/gpu/pipeline_ab.sh ran last, /tmp/pipeline-ab/new). Run from the repository root with .offline/
# and .gl/ carried, after pipeline_ab.sh in the same call. $OUT gets host_startup.txt.
set -uo pipefail
OUT="${OUT:-$PWD/bench-gpu-out}"
mkdir -p "$OUT"
dir="${1:-/tmp/pipeline-ab/new}"
n="${N:-8}"
source bench/gpu/device_env.sh
cp bench/gpu/host_startup.ts "$dir/bench/gpu/host_startup.ts"
probe() { (cd "$dir" && /usr/bin/time -f "wall %e s" deno run -A bench/gpu/host_startup.ts "$@" 2>&1 | grep -v Download); }
{
  echo "## one alone"
  probe stages/train.ts
  echo "## $n at once"
  for i in $(seq "$n"); do probe stages/train.ts > "/tmp/host-startup-$i.txt" & done
  wait
  cat /tmp/host-startup-*.txt
} | tee "$OUT/host_startup.txt"
