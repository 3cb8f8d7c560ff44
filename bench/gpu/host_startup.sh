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
SETUP_ONLY=1 bash bench/gpu/pipeline.sh > /dev/null
export DENO_DIR="$PWD/.offline-denodir" PATH="/tmp/bin:$PATH" DENO_NO_UPDATE_CHECK=1
export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
export XDG_RUNTIME_DIR="$(mktemp -d)" PIPELINE_BACKEND="${PIPELINE_BACKEND:-webgpu}"
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
