#!/usr/bin/env bash
# Consumer build cost (issue 27): what depending on carbonext-domain adds to a service's clean
# build. Two minimal services under carbonext-bench/build-cost/, each its own workspace:
#
#   sdk  quotes 1 VCU through carbonext-domain (path dependency, default features)
#   raw  the same quote by hand: reqwest (the SDK's version, its default TLS: rustls) + serde
#
# Each is built from clean (a fresh CARGO_TARGET_DIR of its own in a temporary directory,
# removed after the build), `cargo build` then `cargo build --release`, with the profile
# cargo gives a service by default: this script clears the CARGO_PROFILE_* and
# CARGO_INCREMENTAL variables .ci/run exports. The carbonext crates, path dependencies here,
# are compiled without incremental compilation, as they are when taken from git (see
# sdk/Cargo.toml). Builds alternate between the two services (round 1: sdk raw sdk raw,
# round 2: raw sdk raw sdk, ...) so a change in the machine's load falls on both. Sources
# come from the local registry (--offline: run `cargo fetch` once if a crate is missing).
#
#   carbonext-bench/scripts/build-cost.sh [ROUNDS]     # ROUNDS defaults to 2
#
# Prints each build, the load (`uptime`) before and after, and the ratios sdk/raw of the
# summed wall times of `cargo build` per profile, e.g. `dev: 1.15×  release: 1.08×`, with the
# number of crates each build compiled. The CPU time of each build (user + sys of cargo and
# the compilers it runs) is printed beside it, with its own ratios: on a machine shared with
# other builds the wall time swings with their load, the CPU time much less. Both services
# are locked to the versions of the main Cargo.lock: it is copied beside each and cargo drops
# what the service does not use.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-2}"
services="$repo/carbonext-bench/build-cost"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A service's own build: none of the workspace's cargo settings from the environment.
unset CARGO_TARGET_DIR CARGO_INCREMENTAL CARGO_BUILD_INCREMENTAL RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
for var in $(env | sed -n 's/^\(CARGO_PROFILE_[A-Z_]*\)=.*/\1/p'); do unset "$var"; done

for service in sdk raw; do
  cp "$repo/Cargo.lock" "$services/$service/Cargo.lock"
  cargo metadata --offline --format-version 1 --manifest-path "$services/$service/Cargo.toml" >/dev/null
done

echo "machine: $(nproc) cores; $(cargo --version)"
echo "load before: $(uptime)"

declare -A total cpu crates
build() { # service profile round
  local service=$1 profile=$2 round=$3 target="$work/$1-$2-$3" flags=() secs cpu_secs count
  [ "$profile" = release ] && flags=(--release)
  # Wall time, and user + sys time of cargo and its children (rustc, build scripts, cc).
  if ! /usr/bin/time -f '%e %U %S' -o "$work/time" env CARGO_TARGET_DIR="$target" \
      cargo build --offline --locked "${flags[@]}" \
      --manifest-path "$services/$service/Cargo.toml" 2>"$work/log"; then
    cat "$work/log" >&2
    exit 1
  fi
  read -r secs user sys <"$work/time"
  cpu_secs=$(python3 -c "print(f'{$user + $sys:.1f}')")
  count=$(grep -c '^ *Compiling ' "$work/log" || true)
  rm -rf "$target"
  total[$service-$profile]=$(python3 -c "print(${total[$service-$profile]:-0} + $secs)")
  cpu[$service-$profile]=$(python3 -c "print(${cpu[$service-$profile]:-0} + $cpu_secs)")
  crates[$service]=$count
  printf 'round %s  %-3s %-7s %6.1f s wall  %6.1f s cpu  %3s crates compiled  (load %s)\n' \
    "$round" "$service" "$profile" "$secs" "$cpu_secs" "$count" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order=(sdk raw); else order=(raw sdk); fi
  for profile in dev release; do
    for service in "${order[@]}"; do
      build "$service" "$profile" "$round"
    done
  done
done

echo "load after: $(uptime)"
python3 - "${total[sdk-dev]}" "${total[raw-dev]}" "${total[sdk-release]}" "${total[raw-release]}" \
  "${cpu[sdk-dev]}" "${cpu[raw-dev]}" "${cpu[sdk-release]}" "${cpu[raw-release]}" \
  "${crates[sdk]}" "${crates[raw]}" "$rounds" <<'PY'
import sys
sdk_dev, raw_dev, sdk_rel, raw_rel = map(float, sys.argv[1:5])
cpu_sdk_dev, cpu_raw_dev, cpu_sdk_rel, cpu_raw_rel = map(float, sys.argv[5:9])
sdk_crates, raw_crates, rounds = sys.argv[9], sys.argv[10], int(sys.argv[11])
print(f"mean of {rounds} rounds, wall: sdk dev {sdk_dev / rounds:.1f} s, raw dev {raw_dev / rounds:.1f} s, "
      f"sdk release {sdk_rel / rounds:.1f} s, raw release {raw_rel / rounds:.1f} s")
print(f"mean of {rounds} rounds, cpu:  sdk dev {cpu_sdk_dev / rounds:.1f} s, raw dev {cpu_raw_dev / rounds:.1f} s, "
      f"sdk release {cpu_sdk_rel / rounds:.1f} s, raw release {cpu_raw_rel / rounds:.1f} s")
print(f"cpu time: dev {cpu_sdk_dev / cpu_raw_dev:.2f}×  release {cpu_sdk_rel / cpu_raw_rel:.2f}×")
print(f"dev: {sdk_dev / raw_dev:.2f}×  release: {sdk_rel / raw_rel:.2f}×  "
      f"(wall time; crates compiled: sdk {sdk_crates}, raw {raw_crates})")
PY
