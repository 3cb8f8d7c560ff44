#!/usr/bin/env bash
# Carries issue 17's finished ResNet20 stages across a code change that leaves their outputs as they are
# (e.g. the webgpu pool bound of free_pool.ts), so the device does not train them again. A stage key covers its
# code deps, so a change under lib/backends or lib/train (deps of `train`) gives every train stage a new key, and
# the carried remote (bench/gpu/README.md), keyed by the old code, no longer matches. This script, run here (not
# on the device), from the repository root, with the Fashion-MNIST IDX files in .data/fashion-mnist:
#   1. restores the named stages (default: every `train` stage) in a worktree of OLD_COMMIT from the
#      carried remote (`repro --pull`);
#   2. copies them into a clone of HEAD and records them there with `runner commit` (README: the runner), which
#      writes run-cache entries under HEAD's keys without running anything;
#   3. pushes them with those entries into a copy of the carried remote and packs it into
#      .gpu-carry/remote.tar.partNN (≤ 15 MiB each), replacing the remote parts there. The copy keeps everything
#      else the carried remote holds: an evaluation whose deps the change left alone keeps its key, and its
#      dep on a trained network is that network's content, which the commit leaves as it was.
# Usage: bash bench/gpu/adopt_trainings.sh OLD_COMMIT OLD_PARTS_DIR [STAGE...] (OLD_PARTS_DIR: the
# remote.tar.part* a device call returned under OLD_COMMIT's code; STAGE: e.g. train train-methods@noise-1, or
# a measurement stage group after a change that leaves its outputs as they are, e.g. one under lib/backends
# that webgpu does not use)
# Check afterwards on the GPU that HEAD trains the same weights: CHECKS=1 of resnet20_fashion_mnist.sh runs
# `runner verify train@0-1` (resnet20_checks.sh).
set -euo pipefail
old="$1"
old_parts="$(cd "$2" && pwd)"
shift 2
stages=("${@:-train}")
mkdir -p .gpu-carry
parts="$(cd .gpu-carry && pwd)"
root="$PWD"
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/old" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/remote-old"
cat "$old_parts"/remote.tar.part* | tar -x -C "$work/remote-old"
cp -r "$work/remote-old" "$work/remote-new"
# The run's stages, with the params resnet20_fashion_mnist.sh gives them.
source "$(dirname "$0")/fashion_mnist_sets.sh"
sets=("${FMNIST_DATA[@]}" "${FULL_RUN[@]}" "${R20_RUN[@]}")
git worktree add --detach "$work/old" "$old" >/dev/null
git clone -q "$root" "$work/new"
for tree in "$work/old" "$work/new"; do ln -s "$root/.data" "$tree/.data"; done
(cd "$work/old" && deno task -q repro "${sets[@]}" --pull --remote "$work/remote-old" "${stages[@]}" | tail -1)
(cd "$work/new" && deno task -q repro "${sets[@]}" prepare-data | tail -1)
# Every output the restore put there (models, and the measurements and report when they are named too); the
# new tree's data stays its own, recomputed from .data above.
for out in "$work"/old/outputs/*; do
  [ "$(basename "$out")" = data ] && continue
  rm -rf "$work/new/outputs/$(basename "$out")"
  cp -r "$out" "$work/new/outputs/"
done
(cd "$work/new" && deno task -q runner commit "${sets[@]}" "${stages[@]}" | tail -1 &&
  deno task -q runner push --run-cache --remote "$work/remote-new" "${sets[@]}" "${stages[@]}" | tail -2)
rm -f "$parts"/remote.tar.part*
(cd "$work/remote-new" && tar -cf - .) | split -b 15M -d - "$parts/remote.tar.part"
ls -la "$parts"
