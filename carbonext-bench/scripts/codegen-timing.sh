#!/usr/bin/env bash
# P5 — codegen timings, in a temporary copy of the last commit (the repository is never
# modified), building into the repository's target directory so dependencies are not rebuilt:
#
#   check_secs          `cargo xtask codegen --check` (warm)
#   touch_rebuild_secs  `cargo build -p carbonext-api` after a one-line edit of a hand-written file
#   regenerate_secs     `cargo xtask codegen` after a one-line edit of openapi.yaml
#   spec_rebuild_secs   `cargo build -p carbonext-api` after that regeneration
#   ratio               (regenerate + spec rebuild) / touch rebuild
#
# Each the median of 3 rounds. Writes target/criterion/carbonext-extras/p5_codegen.json for carbonext-bench-summary.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}"
export CARGO_TARGET_DIR="$target_dir"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$repo" archive HEAD | tar -x -C "$work"
cd "$work"

seconds() { # runs "$@" quietly, prints the wall time in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/.last-stderr" || { cat "$work/.last-stderr" >&2; return 1; }
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 2))"
}

echo "warming up (build of xtask and carbonext-api in the copy)..." >&2
cargo build -q -p xtask -p carbonext-api
cargo xtask codegen --check >/dev/null

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
line='Lifetime of the access token in seconds (36000 in the docs)'
grep -q "$line" openapi.yaml || { echo "the edited spec line is gone; update this script" >&2; exit 1; }

checks=() touches=() regenerations=() spec_rebuilds=()
for round in 1 2 3; do
  checks+=("$(seconds cargo xtask codegen --check)")
  echo "// touched for P5 round $round" >>carbonext-api/src/decimal.rs
  touches+=("$(seconds cargo build -p carbonext-api)")
  sed -i "s/$line[^\n]*/$line, edited for P5 round $round/" openapi.yaml
  if cargo xtask codegen --check >/dev/null 2>&1; then
    echo "the spec edit did not change the generated code" >&2
    exit 1
  fi
  regenerations+=("$(seconds cargo xtask codegen)")
  spec_rebuilds+=("$(seconds cargo build -p carbonext-api)")
done
check=$(median "${checks[@]}")
touch_rebuild=$(median "${touches[@]}")
regenerate=$(median "${regenerations[@]}")
spec_rebuild=$(median "${spec_rebuilds[@]}")

mkdir -p "$target_dir/criterion/carbonext-extras"
python3 - "$target_dir/criterion/carbonext-extras/p5_codegen.json" <<PY
import json, sys
figures = {
    "check_secs": $check,
    "touch_rebuild_secs": $touch_rebuild,
    "regenerate_secs": $regenerate,
    "spec_rebuild_secs": $spec_rebuild,
    "ratio": round(($regenerate + $spec_rebuild) / max($touch_rebuild, 0.01), 3),
    "profile": "dev",
    "rounds": 3,
    "statistic": "median",
}
json.dump(figures, open(sys.argv[1], "w"), indent=2)
print("p5_codegen:", json.dumps(figures))
PY
