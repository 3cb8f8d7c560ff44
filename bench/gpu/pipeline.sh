#!/usr/bin/env bash
# The default pipeline (`deno task repro`, 32 stages) on the GPU machine, on webgpu, with a synthetic
# Fashion-MNIST-sized dataset in place of Fashion-MNIST (the device has no dataset package): the stage times a
# GPU user gets. Run from the repository root with .offline/ and .gl/ (see README.md); logs go to $OUT.
# Extra arguments go to `repro` (e.g. --jobs 4).
set -uo pipefail
OUT="${OUT:-$PWD/bench-gpu-out}"
mkdir -p "$OUT"
if [ ! -x /tmp/bin/deno ]; then
  mkdir -p /tmp/bin && xz -dc .offline/deno.xz > /tmp/bin/deno && chmod +x /tmp/bin/deno
fi
[ -d .offline-denodir ] || tar xJf .offline/deps.tar.xz
export DENO_DIR="$PWD/.offline-denodir" PATH="/tmp/bin:$PATH" DENO_NO_UPDATE_CHECK=1
for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
ldconfig 2>/dev/null || true
export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
export XDG_RUNTIME_DIR="$(mktemp -d)"
start=$(date +%s)
deno task repro --set runtime.backend=webgpu --set data.name=synthetic \
  --set data.synthetic.train=2000 --set data.synthetic.test=1000 --set data.synthetic.classes=10 \
  --set 'data.synthetic.shape=[28, 28, 1]' "$@" \
  > "$OUT/pipeline.log" 2>&1
rc=$?
echo "repro exit $rc in $(( $(date +%s) - start )) s" | tee -a "$OUT/pipeline.log"
grep -aE "ran in|stages? (ran|checked)|ran, " "$OUT/pipeline.log" | sed 's/\x1b\[[0-9;]*m//g'
