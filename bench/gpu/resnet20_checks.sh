#!/usr/bin/env bash
# Issue 17's two checks on the GPU, run by resnet20_fashion_mnist.sh (CHECKS=1) beside its own repro in the same
# device call, each in a copy of the tree of its own (the GPU has room for them; the copies stay under
# /tmp/r20-checks on a warm machine, so a check that a call's time bound stopped continues in the next call):
#   verify    restores train@0-1 from the run's remote and reruns it with `runner verify`: the GPU must train the
#             committed weights again, bit for bit (they were trained under older code and carried over with
#             adopt_trainings.sh);
#   baseline  trains train@0-1 with no regularizer for twice the epochs, the reference the grid's clean accuracy
#             must come within 1 point of.
# Usage (from the repository root, after resnet20_fashion_mnist.sh unpacked the carried remote):
#   bash bench/gpu/resnet20_checks.sh REMOTE_DIR RESULTS_DIR [--set …]   (extra --set after the run's own)
# Writes RESULTS_DIR/checks/{verify.log,verify.rc,baseline.log} and, once the baseline is done,
# RESULTS_DIR/checks/baseline/a0-s1.{metrics,curves}.json. LIMIT_S bounds each check (default 480 s); a verify
# that came to a verdict (reproduced or not) is not run again on the same machine.
set -uo pipefail
state=/tmp/r20-checks
remote="$(cd "$1" && pwd)"
mkdir -p "$2/checks" "$state"
results="$(cd "$2/checks" && pwd)"
shift 2
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/fashion_mnist_sets.sh"
# As pipeline.sh sets them up: the unpacked Deno and its offline deps, the Vulkan driver.
export DENO_DIR="$PWD/.offline-denodir" PATH="/tmp/bin:$PATH" DENO_NO_UPDATE_CHECK=1
export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
sets=(--set runtime.backend=webgpu "${FMNIST_DATA[@]}" "${FULL_RUN[@]}" "${R20_RUN[@]}" "$@")

# A copy of the tree without the run's state (outputs, cache, carried parts), made once per machine.
copy_tree() {
  local dest="$state/$1"
  if [ ! -d "$dest" ]; then
    mkdir -p "$dest"
    tar -c --exclude=./outputs --exclude=./.pipeline --exclude=./.gpu-carry --exclude=./.offline-denodir . |
      tar -x -C "$dest"
  fi
  echo "$dest"
}

run_verify() {
  local tree
  tree=$(copy_tree verify)
  cd "$tree" || return 1
  # verify exits 0 (reproduced) or 1 (not reproduced); anything else (stopped, failed to start) runs again.
  if [ -f "$state/verify.rc" ] && [ "$(cat "$state/verify.rc")" -le 1 ]; then
    echo "verify finished in an earlier call (exit $(cat "$state/verify.rc")):" && cat "$state/verify.log"
    return 0
  fi
  deno task -q repro "${sets[@]}" --pull --remote "$remote" train@0-1 | tail -1
  timeout "${LIMIT_S:-480}" deno task runner verify "${sets[@]}" train@0-1 2>&1 | tee "$state/verify.log"
  echo "${PIPESTATUS[0]}" > "$state/verify.rc"
}

run_baseline() {
  local tree
  tree=$(copy_tree baseline)
  cd "$tree" || return 1
  timeout "${LIMIT_S:-480}" deno task repro "${sets[@]}" --set "train.epochs=$((2 * ${EPOCHS:-8}))" train@0-1
  if [ $? = 0 ]; then
    mkdir -p "$results/baseline"
    cp outputs/models/a0-s1.metrics.json outputs/models/a0-s1.curves.json "$results/baseline/"
  fi
}

run_verify > "$results/verify.log" 2>&1 &
run_baseline > "$results/baseline.log" 2>&1 &
wait
cp "$state/verify.rc" "$results/" 2>/dev/null
echo "verify exit $(cat "$results/verify.rc" 2>/dev/null || echo none) (0: reproduced, 1: not reproduced, 124: stopped by LIMIT_S)"
[ -d "$results/baseline" ] && echo "baseline done: $results/baseline" || echo "baseline not done (resumes next call)"
