#!/usr/bin/env bash
# Runs every benchmark in bench/ (or those named as arguments) and prints their figures.
# Benchmarks print absolute figures and a ratio against a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
export TSS2_LOG=all+NONE
benches=("$@")
[ "${#benches[@]}" -gt 0 ] || benches=(bench/*.ts)
for b in "${benches[@]}"; do
  echo "=== $b"
  node --import tsx "$b"
  echo
done
