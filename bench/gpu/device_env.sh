# Sourced by the device scripts that run stages by hand (stage_profiles.sh, stage_cpu_profiles.sh,
# host_startup.sh), from the repository root with .offline/ and .gl/ carried: unpacks Deno and the Vulkan loader
# (pipeline.sh with SETUP_ONLY=1), then exports what a stage needs to find them and the GPU: DENO_DIR, PATH,
# VK_DRIVER_FILES, a fresh XDG_RUNTIME_DIR, and PIPELINE_BACKEND (webgpu unless already set).
SETUP_ONLY=1 bash bench/gpu/pipeline.sh > /dev/null
export DENO_DIR="$PWD/.offline-denodir" PATH="/tmp/bin:$PATH" DENO_NO_UPDATE_CHECK=1
export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
export XDG_RUNTIME_DIR="$(mktemp -d)" PIPELINE_BACKEND="${PIPELINE_BACKEND:-webgpu}"
