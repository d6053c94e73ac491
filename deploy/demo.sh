#!/usr/bin/env bash
# Sets up, builds and runs the demo harvest: bundled sample handover
# points served on loopback, harvested into a fresh SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec ./build/harvester/govharvest demo "$@"
