#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up the machine, then build and
# test three times: warnings as errors (every label), address+undefined
# sanitizers (every label), thread sanitizer (the integration label, where
# the loop, the thread pool and the test servers run concurrently).
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

echo "== build: thread sanitizer (the loop, the pool and the servers' threads)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DHV_WERROR=ON \
  -DHV_SANITIZER=thread >/dev/null
cmake --build build-tsan -j"$jobs"
# tests/tsan.supp says why one report is suppressed.
tsan_supp=$PWD/tests/tsan.supp
(cd build-tsan && \
  TSAN_OPTIONS="halt_on_error=1 suppressions=$tsan_supp" \
  ctest --output-on-failure -j"$jobs" -L integration)
