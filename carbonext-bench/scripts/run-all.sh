#!/usr/bin/env bash
# Every benchmark, then the summary: the one command to reproduce BENCHMARKS.md.
#   carbonext-bench/scripts/run-all.sh [--markdown]
# About 5-8 minutes on 2 cores once dependencies are built. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p carbonext-cli            # the `carbonext` binary P3 measures
cargo bench -p carbonext-bench
carbonext-bench/scripts/codegen-timing.sh
cargo run --release -q -p carbonext-bench --bin carbonext-bench-summary -- "$@"
