#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (default 600), one after another, on the
# seed corpora in corpus/<target> (regenerated from the documented examples first) and the
# inputs of earlier crashes in regressions/<target> (read only; new finds go to corpus/<target>).
# The targets' checks live in carbonext-fuzz-checks; `cargo test -p carbonext-fuzz-checks`
# replays the committed inputs on stable in seconds (see README.md).
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain works with RUSTC_BOOTSTRAP=1.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(timestamp decimal responses filter_by)
export RUSTC_BOOTSTRAP=1
python3 scripts/seed-corpora.py >/dev/null
cargo fuzz build -O >/dev/null 2>&1 || cargo fuzz build -O
status=0
for target in "${targets[@]}"; do
  echo "==> $target for ${seconds}s"
  mkdir -p "corpus/$target"
  dirs=("corpus/$target")
  [ -d "regressions/$target" ] && dirs+=("regressions/$target")
  if cargo fuzz run -O "$target" "${dirs[@]}" -- \
      -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 2>&1 \
      | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done)|panicked|SUMMARY|artifact"; then
    :
  fi
  if compgen -G "artifacts/$target/crash-*" >/dev/null; then
    echo "!! $target: crash artifacts in fuzz/artifacts/$target"
    status=1
  fi
done
exit $status
