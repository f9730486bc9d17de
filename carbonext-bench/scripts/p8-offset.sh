#!/usr/bin/env bash
# P8: an offset batch's requests and wall time against a sandbox with 20 ms of latency, as a
# ratio to the floor `rows × requests per row × 20 ms / concurrency` (issue "A facade you can
# read"). One sandbox process per run (`carbonext sandbox serve`), one client process
# (`carbonext-bench-offset`): the batch of new rows, then the same batch again (the re-run),
# each read from the sandbox's request counter before and after.
#
#   carbonext-bench/scripts/p8-offset.sh ROWS [CONCURRENCY] [--metadata-filter]
#   BIN=/path/to/dir carbonext-bench/scripts/p8-offset.sh …   # binaries from elsewhere
#
# Without BIN it builds `carbonext` and `carbonext-bench-offset` in release mode. Prints one
# Markdown table row per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:?usage: p8-offset.sh ROWS [CONCURRENCY] [--metadata-filter]}
concurrency=${2:-32}
filter=${3:-}
latency_ms=20
if [ -z "${BIN:-}" ]; then
    cargo build -q --release -p carbonext-cli -p carbonext-bench --bins
    BIN=target/release
fi
out=$(mktemp -d)
trap 'kill "${sandbox_pid:-}" 2>/dev/null || true; rm -rf "$out"' EXIT

# shellcheck disable=SC2086
"$BIN/carbonext" sandbox serve --port 0 --print-credentials-json --latency-ms "$latency_ms" $filter \
    >"$out/credentials" 2>"$out/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 100); do [ -s "$out/credentials" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$out/credentials" "$1"; }
api=$(field apiUrl)
export CARBONEXT_API_URL="$api" CARBONEXT_AUTH_URL="$(field tokenUrl)"
export CARBONEXT_CLIENT_ID="$(field clientId)" CARBONEXT_CLIENT_SECRET="$(field clientSecret)"
requests() { curl -s "$api/__sandbox/counters" | python3 -c "import json,sys; print(json.load(sys.stdin)['totalApiRequests'])"; }

for run in "new rows" "re-run"; do
    before=$(requests)
    result=$("$BIN/carbonext-bench-offset" "$rows" "$concurrency" p8)
    after=$(requests)
    python3 - "$run" "$rows" "$concurrency" "$latency_ms" "$before" "$after" "$result" "${filter:-documented}" <<'PY'
import json, sys
run, rows, conc, lat, before, after, result, mode = sys.argv[1:]
rows, conc, lat = int(rows), int(conc), int(lat)
sent = int(after) - int(before)
seconds = json.loads(result)["seconds"]
floor = sent * lat / 1000 / conc
print(f"| {mode} | {rows:,} {run} | {sent:,} | {sent / rows:.3f} | {seconds:.2f} s | {floor:.2f} s | {seconds / floor:.2f}× |")
PY
done
