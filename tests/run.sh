#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up the machine, build twice
# (a warnings-as-errors build and an address+undefined sanitizer build),
# and run every CTest label in both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh

jobs=$(nproc)

echo "== build: Debug, warnings as errors"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DHV_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs"
(cd build-test && ctest --output-on-failure -j"$jobs")

echo "== build: address+undefined sanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHV_WERROR=ON \
  -DHV_SANITIZER=address >/dev/null
cmake --build build-asan -j"$jobs"
# Sanitizer options and leak suppressions come from each test's CTest
# environment (tests/CMakeLists.txt, tests/lsan.supp).
(cd build-asan && ctest --output-on-failure -j"$jobs")
