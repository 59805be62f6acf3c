#!/usr/bin/env bash
# GPU check for issue 6: training throughput and inference on CUDA, with the
# device printed by each benchmark's header. Sized to stay under 5 minutes of
# device time (shortened epochs; the full CPU runs are in RESULTS.md).
# Run from the repository root:  bash benchmarks/gpu_check.sh
set -euo pipefail
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python benchmarks/train_throughput.py --device cuda --epochs 3 --batch-sizes 8 32 64
python benchmarks/inference.py --device cuda --repeats 3
