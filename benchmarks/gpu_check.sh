#!/usr/bin/env bash
# The GPU checks in one script: the CUDA tests (every model on the device,
# against the CPU), training throughput and inference on CUDA, and accuracy
# with every default on two generators at 250 subjects, each benchmark
# printing its device. About 4 minutes on an H200 (shortened epochs; the full
# CPU runs are in RESULTS.md). Run from the repository root:
#   bash benchmarks/gpu_check.sh
set -euo pipefail
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python -m pytest -q -rs tests/test_cuda.py
python benchmarks/train_throughput.py --device cuda --epochs 3 --batch-sizes 8 32 64
python benchmarks/inference.py --device cuda --repeats 3
(cd benchmarks && python accuracy.py --device cuda --quick --sizes 250 \
    --generators wiring dynamics --out accuracy_cuda.jsonl)
