#!/usr/bin/env bash
# P1 in instructions: user-space instructions per price request through each layer of
# `p1_layer_probe`, counted by valgrind's callgrind (needs `valgrind`), for the client's thread
# (the probe's main thread: request building, hooks, decoding) and for the whole process
# (client and in-process sandbox). Each layer runs 1,000 and 3,000 sequential calls; the
# difference / 2,000 is the cost of one call, start-up excluded. Counts move by a few hundred
# between runs (thread interleavings differ), far less than timings on a shared machine.
#
#   carbonext-bench/scripts/p1-instructions.sh [LAYER...]   # default: raw generated authenticated sdk
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
layers=("$@")
[ ${#layers[@]} -gt 0 ] || layers=(raw generated authenticated sdk)
cargo build -q --release -p carbonext-bench --example p1_layer_probe
probe=target/release/examples/p1_layer_probe
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Instructions of thread 1 and of all threads of one callgrind run with `--separate-threads`.
count() {
    local layer=$1 calls=$2
    valgrind --tool=callgrind --separate-threads=yes \
        --callgrind-out-file="$out/$layer.$calls" "$probe" "$layer" "$calls" >/dev/null 2>&1
    awk '/^summary:/ { total += $2; if (FILENAME ~ /-01$/) main = $2 } END { print main, total }' \
        "$out/$layer.$calls"-*
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

printf '%-16s %13s %8s %13s %8s\n' layer client/call "vs raw" process/call "vs raw"
read -r c1 t1 < <(count raw 1000)
read -r c3 t3 < <(count raw 3000)
base_client=$(( (c3 - c1) / 2000 )) base_total=$(( (t3 - t1) / 2000 ))
printf '%-16s %13d %7s× %13d %7s×\n' raw "$base_client" 1.000 "$base_total" 1.000
for layer in "${layers[@]}"; do
    [ "$layer" = raw ] && continue
    read -r c1 t1 < <(count "$layer" 1000)
    read -r c3 t3 < <(count "$layer" 3000)
    client=$(( (c3 - c1) / 2000 )) total=$(( (t3 - t1) / 2000 ))
    printf '%-16s %13d %7s× %13d %7s×\n' "$layer" "$client" "$(ratio "$client" "$base_client")" \
        "$total" "$(ratio "$total" "$base_total")"
done
