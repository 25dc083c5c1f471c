#!/bin/bash
# Packs the Node-side GPU tools for a lent GPU machine that has neither npm, Node nor a network:
# gpu-check, bench, the lab CLI and the study runner with its seed worker, each bundled by esbuild into
# .dev/b/; Dawn's linux-x64 addon; this machine's node binary; Debian's Vulkan loader and libglvnd
# (the NVIDIA Vulkan ICD needs both) in .gl/. About 35 MB; both folders are git-ignored. There, run
#   bash .dev/device.sh node .dev/b/gpu-check.mjs
#   bash .dev/device.sh node .dev/b/study.mjs run --arms A10 --jobs 8   (A10's CPU-engine runs on its cores)
#   BENCH_PARTS=decoding,gpustep,gpuprofile,gpusweep bash .dev/device.sh node .dev/b/bench.mjs
#     (issue 16's open question: the gpusweep table's GPU-busy and host-recording shares say whether the
#     shared queue or the host limits 8 seeds; gpuprofile says which kernels a GRPO step's GPU time goes to)
# device.sh unpacks everything, points Vulkan at the NVIDIA driver and runs its arguments with `node`
# on the PATH. It unpacks the .debs into / (root; the versions the GPU image lacks, as the lending
# tool's notes prescribe for these GL packages). The 2026-12-06 session (docs/measurements/
# h100-2026-12-06) did these steps by hand; this script was written after it. esbuild comes with vite.
# The bundles sit two folders deep (.dev/b) on purpose: nodeHost's REPO_ROOT is two folders up from
# its module, so public/models resolves; shaders/ is found through LAB_SHADERS_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .dev && mkdir -p .dev/b .dev/bin .dev/node_modules/webgpu/dist/linux-x64 .gl
banner="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
for entry in scripts/gpu-check.ts scripts/bench.ts src/cli/lab.ts scripts/study.ts src/cli/seedWorker.ts; do
  # The seed worker keeps its name: runInWorkers starts `./seedWorker.mjs` beside the bundle.
  npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 --log-level=error \
    --outfile=".dev/b/$(basename "$entry" .ts).mjs" --external:webgpu "--banner:js=$banner"
done
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .dev/node_modules/webgpu/
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .dev/node_modules/webgpu/dist/linux-x64/dawn.node.xz
xz -T0 -6 -c "$(command -v node)" > .dev/bin/node.xz
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/lab-amd64-lists'
mkdir -p /tmp/lab-amd64-lists/partial
apt-get $o update >/dev/null
(cd .gl && apt-get $o download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 2>/dev/null)
cat > .dev/device.sh <<'RUN'
#!/bin/bash
# Written by scripts/device-bundle.sh: unpack, point Vulkan at the NVIDIA driver, run "$@".
cd "$(dirname "$0")/.."
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
[ -x .dev/bin/node ] || { xz -d -c .dev/bin/node.xz > .dev/bin/node && chmod +x .dev/bin/node; }
dawn=.dev/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || xz -d -k "$dawn.xz"
export PATH="$PWD/.dev/bin:$PATH" LAB_NATIVE_GPU=1 LAB_SHADERS_DIR="$PWD/shaders"
exec "$@"
RUN
du -sh .dev .gl
