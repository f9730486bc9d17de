#!/usr/bin/env bash
# P1 in simulated cache misses and branch mispredictions: per price request through each
# layer of `p1_layer_probe`, on the client's thread (the probe's main thread), as valgrind's
# callgrind simulates them (`--cache-sim=yes --branch-sim=yes`; needs `valgrind`).
#
# Why: the SDK's throughput gap is larger than its share of instructions (see BENCHMARKS.md,
# "P1: where the time goes"). On the client's thread the SDK runs a few percent more
# instructions than the raw request but misses the simulated first-level instruction cache
# about 10 % more often and mispredicts about 15 % more indirect branches (the state dispatch
# of each `async fn` and boxed future it polls): those, not instruction counts, track the
# throughput ratio. Like `p1-instructions.sh`, each layer runs 1,000 and 3,000 sequential
# calls and the difference / 2,000 is one call's; counts move by a few percent between runs.
#
#   carbonext-bench/scripts/p1-cache.sh [LAYER...]   # default: raw generated authenticated sdk
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
layers=("$@")
[ ${#layers[@]} -gt 0 ] || layers=(raw generated authenticated sdk)
[ "${layers[0]}" = raw ] || layers=(raw "${layers[@]}")
cargo build -q --release -p carbonext-bench --example p1_layer_probe
probe=target/release/examples/p1_layer_probe
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for layer in "${layers[@]}"; do
    for calls in 1000 3000; do
        valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes --separate-threads=yes \
            --callgrind-out-file="$out/$layer.$calls" "$probe" "$layer" "$calls" >/dev/null 2>&1 &
    done
    wait
done

# One line per layer: each event's count per call on the client's thread, and its ratio to
# the raw request's.
awk -v layers="${layers[*]}" '
    FNR == 1 { split(FILENAME, parts, "/"); name = parts[length(parts)]; sub(/-01$/, "", name) }
    /^events:/ { for (i = 2; i <= NF; i++) event[i - 1] = $i; events = NF - 1 }
    /^summary:/ { for (i = 2; i <= NF; i++) count[name, event[i - 1]] = $i }
    END {
        n = split("Ir I1mr D1mr D1mw Bcm Bim", shown, " ")
        printf "%-14s", "layer"
        for (j = 1; j <= n; j++) printf " %15s", shown[j]
        printf "\n"
        split(layers, names, " ")
        for (k = 1; k in names; k++) {
            printf "%-14s", names[k]
            for (j = 1; j <= n; j++) {
                e = shown[j]
                per = (count[names[k] ".3000", e] - count[names[k] ".1000", e]) / 2000
                base = (count["raw.3000", e] - count["raw.1000", e]) / 2000
                printf " %7.0f %6.3f×", per, base ? per / base : 0
            }
            printf "\n"
        }
    }' "$out"/*.1000-01 "$out"/*.3000-01
echo "Ir instructions; I1mr, D1mr, D1mw first-level instruction-read, data-read and data-write"
echo "misses; Bcm, Bim mispredicted conditional and indirect branches (simulated; client thread)."
